/*
 * fuse_attention.c - scaled dot-product attention written out in MatMuls
 * and a Softmax becomes one Attention node (opset >= 23). Opt-in.
 *
 *   before:  K -> Transpose(perm) -> Kt
 *            Q, Kt -> MatMul -> Mul(c) | Div(c) -> s
 *            s -> Add(s, mask) | Where(allowed, s, lowest) -> Softmax(-1) -> p
 *            p, V -> MatMul -> y
 *   after:   Q, K', V, mask -> Attention(scale = c or 1/c) -> y
 *
 * Attention-23 takes Q [B, H, Sq, D], K [B, Hkv, Skv, D] and V [B, Hkv,
 * Skv, Dv] and computes softmax(Q K^T * scale + bias) V, where bias is the
 * float mask itself, or 0 / -inf for a boolean mask whose True means
 * "attend". K^T is recognised in two layouts:
 *   perm [0, 1, 3, 2] of a [B, H, S, D] tensor: K' is that tensor;
 *   perm [0, 2, 3, 1] of a [B, S, H, D] tensor: K' = Transpose [0, 2, 1, 3]
 *   of it (a new node: the [B, H, S, D] view Attention needs).
 *
 * Legality:
 *  - model opset >= 23; standard domain; one graph;
 *  - Q and V are known to be 4-D; the scale is a float scalar constant
 *    (or absent: scale 1); Softmax is over the last axis (-1, or 3 of
 *    the 4-D scores);
 *  - a Where mask fills masked scores with a constant of at most -1e30
 *    (the float lowest or -inf) and keeps the scores where the condition
 *    is true; the mask's last two dims are provably Sq and Skv (ONNX
 *    allows any mask that broadcasts, ONNX Runtime does not);
 *  - no intermediate (Kt, scores, probabilities) is read outside the
 *    pattern or is a graph output.
 * Caveat, and why this pass is opt-in: a row whose every position is
 * masked gives uniform weights with a finite fill value but an undefined
 * (NaN) row with Attention's -inf; causal and padding masks always leave
 * a position, but a model is free not to.
 */
#include <math.h>

#include "match.h"
#include "pass.h"

typedef struct attention {
	ir_value *q, *k_source, *v, *mask;
	bool k_needs_transpose;
	double scale;
} attention;

static bool perm_is(const ir_node *transpose, const int64_t *want)
{
	int64_t perm[4];
	int n = 0;
	if (!match_attr_ints(transpose, "perm", perm, 4, &n) || n != 4)
		return false;
	for (int i = 0; i < 4; i++)
		if (perm[i] != want[i])
			return false;
	return true;
}

static bool is_4d(const ir_value *v)
{
	if (match_rank(v) == 4)
		return true;
	const ir_node *p = v && v->def == IR_DEF_NODE ? v->producer : NULL;
	const ir_attr *perm =
	    p && ir_node_is(p, "Transpose") ? ir_node_attr(p, "perm") : NULL;
	return perm && perm->proto->n_ints == 4;
}

/* scores = MatMul(Q, Kt) [* c | / c]; sets Q, K and the scale. */
static bool match_scores(match *m, ir_value *scores, attention *a)
{
	a->scale = 1.0;
	match_mark mark = match_save(m);
	ir_node *scale_node = match_producer(m, scores, "Mul");
	ir_node *qk = NULL;
	if (scale_node) {
		ir_value *c = NULL;
		qk = match_commuted(m, scale_node, "MatMul", &c);
		a->scale = match_scalar(m, c);
	} else {
		match_restore(m, mark);
		scale_node = match_producer(m, scores, "Div");
		if (scale_node) {
			qk = match_input(m, scale_node, 0, "MatMul");
			a->scale =
			    1.0 /
			    match_scalar(m, match_operand(m, scale_node, 1));
		} else {
			match_restore(m, mark);
			qk = match_producer(m, scores, "MatMul");
		}
	}
	a->q = match_operand(m, qk, 0);
	ir_node *kt = match_input(m, qk, 1, "Transpose");
	a->k_source = match_operand(m, kt, 0);
	if (!match_ok(m) || !isfinite(a->scale) || a->scale <= 0)
		return match_check(m, false);
	static const int64_t swap_last[4] = {0, 1, 3, 2};
	static const int64_t from_bshd[4] = {0, 2, 3, 1};
	if (perm_is(kt, swap_last))
		a->k_needs_transpose = false;
	else if (perm_is(kt, from_bshd))
		a->k_needs_transpose = true;
	else
		return match_check(m, false);
	return true;
}

/* masked = Add(scores, mask) | Where(allowed, scores, lowest) | scores. */
static bool match_masked(match *m, ir_value *masked, attention *a)
{
	match_mark mark = match_save(m);
	ir_node *add = match_producer(m, masked, "Add");
	if (add && add->n_inputs == 2) {
		for (int side = 0; side < 2; side++) {
			match_mark inner = match_save(m);
			a->mask = add->inputs[1 - side];
			if (match_rank(a->mask) <= 4 &&
			    match_scores(m, add->inputs[side], a))
				return true;
			match_restore(m, inner);
		}
		return match_check(m, false);
	}
	match_restore(m, mark);
	ir_node *where = match_producer(m, masked, "Where");
	if (where) {
		a->mask = match_operand(m, where, 0);
		double fill = match_scalar(m, match_operand(m, where, 2));
		return match_check(m, fill <= -1e30) &&
		       match_scores(m, match_operand(m, where, 1), a);
	}
	match_restore(m, mark);
	a->mask = NULL;
	return match_scores(m, masked, a);
}

/* Dim `ai` of a and dim `bi` of b are provably equal (negative axes count
 * from the end). */
static bool same_dim(const ir_value *a, int ai, const ir_value *b, int bi)
{
	int ra = match_rank(a), rb = match_rank(b);
	if (ra < 0 || rb < 0 || a->def == IR_DEF_INITIALIZER ||
	    b->def == IR_DEF_INITIALIZER)
		return false;
	ai = ai < 0 ? ai + ra : ai;
	bi = bi < 0 ? bi + rb : bi;
	if (ai < 0 || ai >= ra || bi < 0 || bi >= rb)
		return false;
	return match_dims_equal(&a->type.dims[ai], &b->type.dims[bi]);
}

/* ONNX lets the mask broadcast to [B, H, Sq, Skv]; ONNX Runtime wants its
 * last two dims to be Sq and Skv exactly, so only such masks are fused. */
static bool mask_shape_ok(const attention *a)
{
	if (!a->mask)
		return true;
	int k_seq_axis = a->k_needs_transpose ? 1 : 2;
	return match_rank(a->mask) >= 2 && match_rank(a->mask) <= 4 &&
	       same_dim(a->mask, -2, a->q, 2) &&
	       same_dim(a->mask, -1, a->k_source, k_seq_axis);
}

static int try_fuse(ir_model *model, ir_node *node, void *ctx)
{
	(void)ctx;
	match m;
	attention a = {0};
	match_begin(&m, model, node, "MatMul");
	ir_node *softmax = match_input(&m, node, 0, "Softmax");
	a.v = match_operand(&m, node, 1);
	if (!match_opset_at_least(&m, 23) ||
	    !match_check(&m,
	                 softmax && (ir_attr_int(softmax, "axis", -1) == -1 ||
	                             ir_attr_int(softmax, "axis", -1) == 3)) ||
	    !match_masked(&m, match_operand(&m, softmax, 0), &a) ||
	    !match_check(&m, is_4d(a.q) && is_4d(a.v) && mask_shape_ok(&a)) ||
	    !match_private(&m))
		return 0;
	ir_value *k = a.k_source;
	if (a.k_needs_transpose) {
		ir_node *t = match_emit(&m, "Transpose", &k, 1, 1);
		ir_node_set_attr_ints(t, "perm", (int64_t[]){0, 2, 1, 3}, 4);
		k = t->outputs[0];
	}
	ir_value *inputs[4] = {a.q, k, a.v, a.mask};
	ir_node *fused = match_emit(&m, "Attention", inputs, a.mask ? 4 : 3, 1);
	ir_node_set_attr_float(fused, "scale", (float)a.scale);
	return match_commit(&m, fused, 0) ? 1 : 0;
}

static int run_fuse_attention(ir_model *model, pass_context *ctx,
                              ir_status *status)
{
	(void)ctx;
	(void)status;
	if (ir_model_opset(model, "") < 23)
		return 0;
	return match_for_each_node(model, try_fuse, NULL);
}

const pass pass_fuse_attention = {
    .name = "fuse_attention",
    .group = "fuse",
    .summary = "fuse scaled dot-product attention into Attention (opset >= "
               "23; opt-in)",
    .opt_in = true,
    .needs = ANALYSIS_TYPES,
    .run = run_fuse_attention,
};
