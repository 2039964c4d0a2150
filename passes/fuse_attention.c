/*
 * fuse_attention.c - scaled dot-product attention written out in MatMuls
 * and a Softmax becomes one Attention node (opset >= 23), key/value cache
 * and grouped-query heads included. In the default fuse group: its
 * legality below was checked with ONNX Runtime 1.30 on the BERT, GPT-2,
 * Llama (past key/values) and ViT exports of tests/bench/hf_models.py.
 *
 *   before:  K -> [repeat_kv] -> Transpose(perm) -> Kt
 *            Q, Kt -> MatMul -> Mul(c) | Div(c) | nothing -> s
 *            s -> [Where(allowed, s, fill)] -> [Add(., bias)] -> Softmax(-1)
 *              -> p
 *            V -> [repeat_kv] -> V'
 *            p, V' -> MatMul -> y
 *   after:   mask = [Where(allowed, 0, fill)] [+ bias] [-> Expand]
 *            Q, K, V, mask -> Attention(scale = c or 1/c) -> y
 *
 *   repeat_kv (grouped-query heads, as Hugging Face's Llama writes it):
 *            X [B, Hkv, T, D] -> Unsqueeze(2) -> Expand([B, Hkv, r, T, D])
 *              -> Reshape([B, Hkv * r, T, D])
 *            Attention-23 reads X itself: Q's head h uses K/V head h / r,
 *            which is what the Expand and Reshape spell out.
 *
 *   key/value cache: when K and V (after repeat_kv) are
 *            Concat(past_key, k, axis 2) and Concat(past_value, v, axis 2)
 *            that nothing else reads, Attention takes k, v, past_key and
 *            past_value, and defines the Concat results (the present_key
 *            and present_value graph outputs) as its outputs 1 and 2,
 *            which Attention-23 computes as the same concatenation.
 *
 * Attention-23 computes softmax(Q K^T * scale + mask) V for Q [B, H, Sq,
 * D], K [B, Hkv, T, D], V [B, Hkv, T, Dv]. K^T is recognised in two
 * layouts: perm [0, 1, 3, 2] of a [B, H, T, D] tensor, or perm [0, 2, 3, 1]
 * of a [B, T, H, D] tensor (then K' = Transpose [0, 2, 1, 3] of it, a new
 * node). is_causal is never used: Attention-23's causal mask is aligned
 * top-left, wrong with a past cache; the model's own mask is kept.
 *
 * Legality:
 *  - model opset >= 23; standard domain; one graph; no intermediate
 *    (Kt, the scores, the probabilities, repeat_kv's tensors) is read
 *    outside the pattern or is a graph output;
 *  - Q, K and V have known rank 4; their batch dims are provably equal
 *    (MatMul would broadcast a batch of 1, Attention does not); Q and K
 *    have provably the same heads, or K comes through a repeat_kv whose
 *    dims are all proven by shape inference (H = Hkv * r, constants);
 *  - the scale is a positive float scalar constant; Softmax is over the
 *    last axis (-1, or 3 of the 4-D scores);
 *  - masks are always passed as an additive float mask, never as a
 *    boolean: Where(allowed, s, fill) becomes the mask Where(allowed, 0,
 *    fill), and needs fill <= -1e30 (the float lowest, or -inf). Then s +
 *    fill rounds to fill for any |s| < 2^-25 |fill| (above 1e22, far past
 *    any score), so every score equals the original's, and a row whose
 *    every position is masked gets the same uniform weights the original
 *    gives (a boolean mask would give -inf there: a NaN row). An Add's
 *    float mask is the original's own summand: the same sum;
 *  - ONNX Runtime 1.30's Attention outputs zeros for a row whose largest
 *    score is the float lowest or -inf, where Softmax gives uniform
 *    weights (or NaN). Every mask value equal to the lowest is therefore
 *    replaced by the next float above it: s + either rounds to itself for
 *    |s| < 1e31, both vanish beside any unmasked score, and a fully
 *    masked row is uniform over the same positions. A -inf fill is not
 *    fused (the original's NaN row would become zeros); a float mask
 *    whose row is all -inf at run time (a padding mask computed from an
 *    out-of-range value) would give zeros where the original gives NaN;
 *  - the mask cannot grow the scores: shape inference proves Softmax's
 *    input has Q's batch, heads and Sq dims (a [B, 1, r, T] mask against
 *    Sq = 1 would broadcast the scores to r rows; Attention would not).
 *    Then each mask dim is 1 or the scores' dim, and the last is T (P V
 *    contracts over it);
 *  - ONNX Runtime 1.30 wants the mask's last two dims to be exactly Sq
 *    and T, where ONNX lets any mask broadcast (it refuses [B, 1, 1, T]).
 *    A dim is proven when the mask, or an operand of the Add/Sub/Mul/Div/
 *    Where that makes it, has that dim, or it is GPT-2's causal slice of a
 *    constant buffer (is_causal_slice proves its dims): by the above, a
 *    broadcast with Sq
 *    (or T) is Sq (or T). Otherwise an Expand to [1, 1, Sq, T] (shapes
 *    from Q and K, a constant 1 for a proven dim) makes it so; masks are
 *    expanded once and shared by every layer reading the same mask.
 */
#include <float.h>
#include <math.h>

#include "match.h"
#include "pass.h"

typedef struct attention {
	ir_model *model;
	ir_value *q;
	ir_value *k, *v;    /* as Attention reads them, [B, Hkv, T, D] */
	ir_value *k_source; /* before the [B, T, H, D] transpose */
	bool k_needs_transpose;
	double scale;
	ir_value *masked;  /* Softmax's input */
	ir_value *bias;    /* a float mask added to the scores, or NULL */
	ir_value *allowed; /* Where's condition, or NULL */
	ir_value *fill;    /* Where's fill for the masked scores */
	/* repeat_kv's Expand and Reshape shapes, K's then V's */
	ir_value *shapes[4];
} attention;

/* Masks made for ONNX Runtime in this run, shared by later layers. */
typedef struct prepared_mask {
	ir_value *source; /* the model's mask */
	bool expanded;
	const ir_dim *sq, *t; /* the dims expanded to, NULL when proven */
	ir_value *mask;       /* what Attention reads */
} prepared_mask;

typedef struct attention_run {
	prepared_mask masks[16];
	int n_masks;
} attention_run;

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

/* x = Reshape(Expand(Unsqueeze(kv, [2]), [B, Hkv, r, T, D]), [B, Hkv * r,
 * T, D]) with every dim proven: returns kv and records the nodes; else
 * returns x and records nothing. */
static ir_value *match_repeat_kv(match *m, ir_value *x, ir_value **shapes)
{
	match_mark mark = match_save(m);
	ir_node *reshape = match_producer(m, x, "Reshape");
	ir_node *expand = match_input(m, reshape, 0, "Expand");
	ir_node *unsqueeze = match_input(m, expand, 0, "Unsqueeze");
	ir_value *kv = match_operand(m, unsqueeze, 0);
	ir_value *expand_shape = match_operand(m, expand, 1);
	ir_value *reshape_shape = match_operand(m, reshape, 1);
	int64_t axes[8];
	int n_axes = 0;
	if (match_ok(m) && match_node_axes(m, unsqueeze, 5, axes, &n_axes) &&
	    n_axes == 1 && axes[0] == 2 && match_rank(kv) == 4 &&
	    match_rank(expand->outputs[0]) == 5 && match_rank(x) == 4) {
		ir_value *e = expand->outputs[0];
		int64_t hkv = match_dim(kv, 1), r = match_dim(e, 2), heads;
		bool ok = hkv > 0 && r > 0 &&
		          !__builtin_mul_overflow(hkv, r, &heads) &&
		          match_dim(x, 1) == heads &&
		          same_dim(e, 0, kv, 0) && same_dim(e, 1, kv, 1) &&
		          same_dim(e, 3, kv, 2) && same_dim(e, 4, kv, 3) &&
		          same_dim(x, 0, kv, 0) && same_dim(x, 2, kv, 2) &&
		          same_dim(x, 3, kv, 3);
		if (ok) {
			shapes[0] = expand_shape;
			shapes[1] = reshape_shape;
			return kv;
		}
	}
	match_restore(m, mark);
	return x;
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
	if (perm_is(kt, swap_last)) {
		a->k_needs_transpose = false;
		a->k = match_repeat_kv(m, a->k_source, &a->shapes[0]);
	} else if (perm_is(kt, from_bshd)) {
		a->k_needs_transpose = true;
	} else {
		return match_check(m, false);
	}
	return true;
}

/* v = [Where(allowed, scores, fill)] scores. */
static bool match_where(match *m, ir_value *v, attention *a)
{
	match_mark mark = match_save(m);
	ir_node *where = match_producer(m, v, "Where");
	if (where) {
		a->allowed = match_operand(m, where, 0);
		a->fill = match_operand(m, where, 2);
		double fill = match_scalar(m, a->fill);
		return match_check(m, fill <= -1e30 && isfinite(fill)) &&
		       match_scores(m, match_operand(m, where, 1), a);
	}
	match_restore(m, mark);
	a->allowed = NULL;
	return match_scores(m, v, a);
}

/* masked = Add(x, bias) | x, where x is match_where's. */
static bool match_masked(match *m, ir_value *masked, attention *a)
{
	match_mark mark = match_save(m);
	ir_node *add = match_producer(m, masked, "Add");
	/* Both operands present: an absent bias would read as "no mask" and
	 * turn an Add that ONNX Runtime rejects into a valid Attention. */
	if (add && add->n_inputs == 2) {
		if (!match_check(m, add->inputs[0] && add->inputs[1]))
			return false;
		for (int side = 0; side < 2; side++) {
			match_mark inner = match_save(m);
			a->bias = add->inputs[1 - side];
			if (match_where(m, add->inputs[side], a))
				return true;
			match_restore(m, inner);
		}
		return match_check(m, false);
	}
	match_restore(m, mark);
	a->bias = NULL;
	return match_where(m, masked, a);
}

/* Dim `axis` of K as Attention reads it. */
static bool k_dim_is(const attention *a, const ir_value *x, int xi, int axis)
{
	if (!a->k_needs_transpose)
		return same_dim(x, xi, a->k, axis);
	static const int from_bshd[4] = {0, 2, 1, 3};
	return same_dim(x, xi, a->k_source, from_bshd[axis]);
}

/* Q, K and V agree on batch and heads (see the legality above); `v_read`
 * is V as the last MatMul reads it, after any repeat_kv. */
static bool heads_ok(const attention *a, const ir_value *v_read)
{
	const ir_value *k = a->k_needs_transpose ? a->k_source : a->k;
	if (match_rank(a->q) != 4 || match_rank(k) != 4 ||
	    match_rank(a->v) != 4 || match_rank(v_read) != 4)
		return false;
	bool k_repeated = a->shapes[0] != NULL,
	     v_repeated = a->shapes[2] != NULL;
	bool k_heads = a->k_needs_transpose ? same_dim(a->q, 1, a->k_source, 2)
	                                    : same_dim(a->q, 1, a->k_source, 1);
	return k_dim_is(a, a->q, 0, 0) && same_dim(a->q, 0, a->v, 0) &&
	       k_heads && same_dim(a->q, 1, v_read, 1) &&
	       k_repeated == v_repeated &&
	       (!k_repeated || match_dim(a->k, 1) == match_dim(a->v, 1));
}

static bool const_int_is(ir_model *model, ir_value *v, int64_t a, int64_t b)
{
	match_const c;
	int64_t x;
	int n = 0;
	return v && match_read_constant(model, v, &c) &&
	       match_const_int64s(&c, &x, 1, &n) && n == 1 &&
	       (x == a || x == b);
}

/* Slice(x, start, end, axes = [axis], steps absent or [1]). */
static const ir_node *slice_on(ir_model *model, const ir_value *v, int axis)
{
	const ir_node *s = ir_value_producer(v);
	if (!s || !ir_node_is(s, "Slice") || s->n_inputs < 4 ||
	    !const_int_is(model, s->inputs[3], axis, axis - 4) ||
	    (s->n_inputs > 4 && s->inputs[4] &&
	     !const_int_is(model, s->inputs[4], 1, 1)))
		return NULL;
	return s;
}

/* K's sequence length T is at least Q's Sq: K is Q's length, or a
 * cache Concat(past, new) whose new part is. */
static bool key_covers_query(const attention *a)
{
	if (same_dim(a->k, 2, a->q, 2))
		return true;
	const ir_node *c = ir_value_producer(a->k);
	return c && ir_node_is(c, "Concat") && c->n_inputs == 2 &&
	       (ir_attr_int(c, "axis", 0) == 2 ||
	        ir_attr_int(c, "axis", 0) == -2) &&
	       same_dim(c->inputs[1], 2, a->q, 2);
}

/* GPT-2's causal mask: c = Slice(Slice(C, T - Sq, T, axis 2), 0, T, axis
 * 3) of a constant C [., ., N2, N3], N2 >= N3 > 1, T >= Sq. With T <= N3
 * it has Sq rows and T columns; with T > N3 it has N3 columns and the
 * original's Where fails to broadcast it. So whenever the original runs,
 * the mask has exactly the scores' last two dims. */
static bool is_causal_slice(const attention *a, ir_value *c)
{
	ir_model *model = a->model;
	const ir_node *cols = slice_on(model, c, 3);
	const ir_node *rows = cols ? slice_on(model, cols->inputs[0], 2) : NULL;
	match_const buffer;
	if (a->k_needs_transpose || !rows ||
	    !const_int_is(model, cols->inputs[1], 0, 0) ||
	    !match_read_constant(model, rows->inputs[0], &buffer) ||
	    buffer.rank != 4 || buffer.dims[3] <= 1 ||
	    buffer.dims[2] < buffer.dims[3] ||
	    !match_holds_dim(model, rows->inputs[2], a->k, 2) ||
	    !match_holds_dim(model, cols->inputs[2], a->k, 2) ||
	    !key_covers_query(a))
		return false;
	/* start = [Unsqueeze(0)] Sub(T, Sq) */
	ir_value *start = rows->inputs[1];
	const ir_node *p = ir_value_producer(start);
	if (p && ir_node_is(p, "Unsqueeze") && p->n_inputs == 2 &&
	    const_int_is(model, p->inputs[1], 0, 0))
		p = ir_value_producer(p->inputs[0]);
	return p && ir_node_is(p, "Sub") && p->n_inputs == 2 &&
	       match_holds_dim(model, p->inputs[0], a->k, 2) &&
	       match_holds_dim(model, p->inputs[1], a->q, 2);
}

/* The mask, or an operand of the broadcasting op that makes it, provably
 * has Sq as its second-to-last dim (`key` false) or T as its last (`key`
 * true); see the legality above. */
static bool mask_dim_proven(const attention *a, const ir_value *mask, bool key,
                            int depth)
{
	if (!mask)
		return false;
	if (key ? k_dim_is(a, mask, -1, 2) : same_dim(mask, -2, a->q, 2))
		return true;
	if (is_causal_slice(a, (ir_value *)mask))
		return true;
	const ir_node *p = ir_value_producer(mask);
	if (!p || depth == 0 ||
	    !(ir_node_is(p, "Add") || ir_node_is(p, "Sub") ||
	      ir_node_is(p, "Mul") || ir_node_is(p, "Div") ||
	      ir_node_is(p, "Where")))
		return false;
	for (int i = 0; i < p->n_inputs; i++)
		if (mask_dim_proven(a, p->inputs[i], key, depth - 1))
			return true;
	return false;
}

/* A mask part's dims before the last are 1 or provably the scores' (the
 * causal slice's rows are Sq): broadcasting it cannot grow them. */
static bool part_cannot_grow(const attention *a, const ir_value *part)
{
	if (!part)
		return true;
	int rank = match_rank(part);
	bool causal = is_causal_slice(a, (ir_value *)part);
	for (int i = 2; i <= rank; i++)
		if (match_dim(part, -i) != 1 && !(causal && i == 2) &&
		    !same_dim(part, -i, a->q, 4 - i))
			return false;
	return true;
}

/* The mask parts' ranks are known and at most 4; the mask cannot grow
 * the scores (shape inference proves the masked scores have Q's dims, or
 * every part's dims do). */
static bool mask_ok(const attention *a)
{
	const ir_value *parts[2] = {a->bias, a->allowed};
	for (int i = 0; i < 2; i++)
		if (parts[i] &&
		    (match_rank(parts[i]) < 0 || match_rank(parts[i]) > 4))
			return false;
	if (!a->bias && !a->allowed)
		return true;
	bool inferred =
	    match_rank(a->masked) == 4 && same_dim(a->masked, 0, a->q, 0) &&
	    same_dim(a->masked, 1, a->q, 1) && same_dim(a->masked, 2, a->q, 2);
	return inferred || (part_cannot_grow(a, a->bias) &&
	                    part_cannot_grow(a, a->allowed));
}

static bool part_proven(const attention *a, bool key)
{
	return mask_dim_proven(a, a->bias, key, 3) ||
	       mask_dim_proven(a, a->allowed, key, 3);
}

static int mask_rank(const attention *a)
{
	int rb = a->bias ? match_rank(a->bias) : 0;
	int ra = a->allowed ? match_rank(a->allowed) : 0;
	return rb > ra ? rb : ra;
}

/* Shape(x)[axis] as a 1-D value (Shape-15's start and end). */
static ir_value *emit_dim(match *m, ir_value *x, int axis)
{
	ir_node *shape = match_emit(m, "Shape", &x, 1, 1);
	ir_node_set_attr_int(shape, "start", axis);
	ir_node_set_attr_int(shape, "end", axis + 1);
	return shape->outputs[0];
}

/* mask -> Where(mask == lowest, next above lowest, mask): see the top of
 * this file for why ONNX Runtime needs it and why it changes nothing. */
static ir_value *emit_unlowest(match *m, ir_value *mask)
{
	ir_graph *g = m->graph;
	ir_value *lowest = match_add_initializer_doubles(
	    g, "attention_lowest", IR_FLOAT, 0, NULL, (double[]){-FLT_MAX});
	ir_value *above = match_add_initializer_doubles(
	    g, "attention_above_lowest", IR_FLOAT, 0, NULL,
	    (double[]){nextafterf(-FLT_MAX, 0.0f)});
	ir_value *eq[2] = {mask, lowest};
	ir_value *is_lowest = match_emit(m, "Equal", eq, 2, 1)->outputs[0];
	ir_value *in[3] = {is_lowest, above, mask};
	return match_emit(m, "Where", in, 3, 1)->outputs[0];
}

/* [1, 1, Sq | 1, T | 1]: Expand's shape, a dim from Q or K where not
 * proven. */
static ir_value *emit_expand_shape(match *m, const attention *a, bool sq,
                                   bool t)
{
	ir_graph *g = m->graph;
	ir_value *one = match_add_initializer_int64s(
	    g, "attention_one", 1, (int64_t[]){1}, (int64_t[]){1});
	ir_value *batch_heads = match_add_initializer_int64s(
	    g, "attention_ones", 1, (int64_t[]){2}, (int64_t[]){1, 1});
	ir_value *k = a->k_needs_transpose ? a->k_source : a->k;
	ir_value *dims[3] = {batch_heads, sq ? emit_dim(m, a->q, 2) : one,
	                     t ? emit_dim(m, k, a->k_needs_transpose ? 1 : 2)
	                       : one};
	ir_node *concat = match_emit(m, "Concat", dims, 3, 1);
	ir_node_set_attr_int(concat, "axis", 0);
	return concat->outputs[0];
}

/* The mask as ONNX Runtime takes it: additive, no float lowest, its last
 * two dims exactly [Sq, T]. A mask the model passes to every layer is
 * made once, by the first, and shared. */
static ir_value *emit_mask(match *m, attention_run *run, const attention *a,
                           prepared_mask *record)
{
	bool rows = part_proven(a, false);
	bool cols = part_proven(a, true);
	int rank = mask_rank(a);
	bool expand = !rows || !cols || (rank != 2 && rank != 4);
	const ir_value *k = a->k_needs_transpose ? a->k_source : a->k;
	const ir_dim *sq = rows ? NULL : &a->q->type.dims[2];
	const ir_dim *t =
	    cols ? NULL : &k->type.dims[a->k_needs_transpose ? 1 : 2];
	/* Shared only when defined before this root: emitted before it. */
	for (int i = 0; i < run->n_masks && !a->allowed; i++) {
		prepared_mask *e = &run->masks[i];
		if (e->source != a->bias || e->expanded != expand ||
		    !e->sq != !sq || !e->t != !t ||
		    (sq && !match_dims_equal(e->sq, sq)) ||
		    (t && !match_dims_equal(e->t, t)) || e->mask->removed)
			continue;
		for (const ir_node *n = e->mask->producer; n; n = n->next)
			if (n == m->nodes[0])
				return e->mask;
	}
	ir_value *mask = a->bias;
	if (a->allowed) {
		ir_value *zero = match_add_initializer_doubles(
		    m->graph, "attention_zero", IR_FLOAT, 0, NULL,
		    (double[]){0});
		ir_value *in[3] = {a->allowed, zero, a->fill};
		mask = match_emit(m, "Where", in, 3, 1)->outputs[0];
		if (a->bias) {
			ir_value *sum[2] = {mask, a->bias};
			mask = match_emit(m, "Add", sum, 2, 1)->outputs[0];
		}
	}
	mask = emit_unlowest(m, mask);
	if (expand) {
		ir_value *in[2] = {mask, emit_expand_shape(m, a, sq, t)};
		mask = match_emit(m, "Expand", in, 2, 1)->outputs[0];
	}
	if (!a->allowed)
		*record = (prepared_mask){a->bias, expand, sq, t, mask};
	return mask;
}

/* x = Concat(past, new, axis 2) of 4-D tensors, read only by Attention. */
static bool cache_concat(ir_value *x, ir_value **past, ir_value **new_part)
{
	ir_node *c = ir_value_producer(x);
	if (!c || !ir_node_is(c, "Concat") || c->n_inputs != 2 ||
	    x->n_uses != 1 || match_rank(x) != 4 || !c->inputs[0] ||
	    !c->inputs[1] || match_rank(c->inputs[0]) != 4 ||
	    match_rank(c->inputs[1]) != 4)
		return false;
	int64_t axis = ir_attr_int(c, "axis", 0);
	if (axis != 2 && axis != -2)
		return false;
	*past = c->inputs[0];
	*new_part = c->inputs[1];
	return true;
}

/* After the fusion: the cache Concats become Attention's present outputs
 * when nothing else reads them (see the top of this file). */
static void absorb_cache(ir_node *fused)
{
	ir_value *kf = fused->inputs[1], *vf = fused->inputs[2];
	ir_value *past_k, *k, *past_v, *v;
	if (kf == vf || !cache_concat(kf, &past_k, &k) ||
	    !cache_concat(vf, &past_v, &v)) {
		ir_node_truncate_outputs(fused, 1);
		return;
	}
	ir_node *ck = kf->producer, *cv = vf->producer;
	ir_node_set_input(fused, 1, k);
	ir_node_set_input(fused, 2, v);
	if (fused->n_inputs < 4)
		match_set_input(fused, 3, NULL);
	match_set_input(fused, 4, past_k);
	match_set_input(fused, 5, past_v);
	ir_value_move_definition(kf, fused, 1);
	ir_value_move_definition(vf, fused, 2);
	ir_node_remove(ck);
	ir_node_remove(cv);
}

static int try_fuse(ir_model *model, ir_node *node, void *ctx)
{
	attention_run *run = ctx;
	match m;
	attention a = {.model = model};
	match_begin(&m, model, node, "MatMul");
	ir_node *softmax = match_input(&m, node, 0, "Softmax");
	a.masked = match_operand(&m, softmax, 0);
	if (!match_opset_at_least(&m, 23) ||
	    !match_check(&m,
	                 softmax && (ir_attr_int(softmax, "axis", -1) == -1 ||
	                             ir_attr_int(softmax, "axis", -1) == 3)) ||
	    !match_masked(&m, a.masked, &a))
		return 0;
	ir_value *v_read = match_operand(&m, node, 1);
	a.v = a.k_needs_transpose ? v_read
	                          : match_repeat_kv(&m, v_read, &a.shapes[2]);
	if (!match_check(&m, heads_ok(&a, v_read) && mask_ok(&a) &&
	                         match_elem_type(model, a.q) == IR_FLOAT) ||
	    !match_private(&m))
		return 0;
	/* MatMul(Softmax(Q K^T), K^T) reads V from K's Transpose, which the
	 * fusion removes. */
	const ir_value *k_read = a.k_needs_transpose ? a.k_source : a.k;
	const ir_value *read[] = {a.q, k_read, a.v, a.bias, a.allowed, a.fill};
	for (int i = 0; i < 6; i++)
		if (!match_from_outside(&m, read[i]))
			return 0;
	ir_value *k = a.k;
	if (a.k_needs_transpose) {
		ir_node *t = match_emit(&m, "Transpose", &a.k_source, 1, 1);
		ir_node_set_attr_ints(t, "perm", (int64_t[]){0, 2, 1, 3}, 4);
		k = t->outputs[0];
	}
	prepared_mask record = {0};
	ir_value *mask =
	    a.bias || a.allowed ? emit_mask(&m, run, &a, &record) : NULL;
	ir_value *inputs[4] = {a.q, k, a.v, mask};
	ir_node *fused = match_emit(&m, "Attention", inputs, mask ? 4 : 3, 3);
	ir_node_set_attr_float(fused, "scale", (float)a.scale);
	if (!match_commit(&m, fused, 0))
		return 0;
	if (record.mask && run->n_masks < 16)
		run->masks[run->n_masks++] = record;
	/* repeat_kv's shape computations read the cache's Concat. */
	for (int i = 0; i < 4; i++)
		match_remove_dead_producers(a.shapes[i]);
	absorb_cache(fused);
	return 1;
}

static int run_fuse_attention(ir_model *model, pass_context *ctx,
                              ir_status *status)
{
	(void)ctx;
	(void)status;
	if (ir_model_opset(model, "") < 23)
		return 0;
	attention_run run = {0};
	return match_for_each_node(model, try_fuse, &run);
}

const pass pass_fuse_attention = {
    .name = "fuse_attention",
    .group = "fuse",
    .summary = "fuse scaled dot-product attention, grouped-query heads and "
               "the key/value cache into Attention (opset >= 23)",
    .needs = ANALYSIS_TYPES,
    .run = run_fuse_attention,
};
