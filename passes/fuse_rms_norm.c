/*
 * fuse_rms_norm.c - a hand-written RMS normalization becomes one
 * RMSNormalization node (opset >= 23).
 *
 *   before:  x -> Pow(x, 2) -> ReduceMean -> Add(eps) -> Sqrt -> s
 *            x, s -> Div(x, s) -> n          (or Mul(x, Reciprocal(s)))
 *            n -> Mul(gamma) -> y
 *   after:   x -> RMSNormalization(gamma, axis = -k, epsilon) -> y
 *
 * Variants accepted: Pow(x, 2) or Mul(x, x); either operand order of
 * every Add and Mul; eps and gamma as initializers or Constant nodes; axes
 * as an attribute or an input (ReduceMean-18); a Cast of n before the Mul
 * (LLaMA's `.to(dtype) * weight`), in which case gamma is converted to x's
 * type and the Cast moves after the fused node.
 *
 * Legality:
 *  - model opset >= 23; all nodes standard-domain and in one graph;
 *  - ReduceMean has keepdims = 1 and reduces the last k axes of x;
 *  - the same x is squared and divided;
 *  - eps is a float scalar constant; the exponent is exactly 2;
 *  - gamma is a constant of x's float type (picked by its edge: the
 *    operand of the last Mul that is not n), of exactly x's last k
 *    dims, which must be known (shape inference runs first);
 *  - no intermediate is read outside the pattern or is a graph output.
 */

#include "match.h"
#include "pass.h"

typedef struct rms_norm {
	ir_value *x, *gamma;
	match_const gamma_c;
	double epsilon;
	int k;
	int cast_to;
	int elem_type;
} rms_norm;

/* s = Sqrt(Add(ReduceMean(x^2), eps)); sets rms->x from the square. */
static bool match_root_mean_square(match *m, ir_value *s, rms_norm *rms)
{
	ir_node *sqrt = match_producer(m, s, "Sqrt");
	ir_node *add = match_input(m, sqrt, 0, "Add");
	ir_value *eps = NULL;
	ir_node *mean = match_commuted(m, add, "ReduceMean", &eps);
	rms->epsilon = match_scalar(m, eps);
	match_const eps_c;
	if (!match_constant(m, eps, &eps_c) ||
	    !match_check(m, ir_elem_is_float(eps_c.elem_type)))
		return false;
	rms->elem_type = eps_c.elem_type;
	ir_value *square = match_operand(m, mean, 0);
	match_mark mark = match_save(m);
	ir_node *pow = match_producer(m, square, "Pow");
	if (pow) {
		rms->x = match_operand(m, pow, 0);
		match_scalar_near(m, match_operand(m, pow, 1), 2.0, 0.0);
	} else {
		match_restore(m, mark);
		ir_node *mul = match_producer(m, square, "Mul");
		rms->x = match_operand(m, mul, 0);
		match_same(m, match_operand(m, mul, 1), rms->x);
	}
	if (!match_ok(m))
		return false;
	rms->k = match_trailing_axes(m->model, mean, match_rank(rms->x));
	return match_check(m, rms->k > 0);
}

/* n = Div(x, s) or Mul(x, Reciprocal(s)). */
static bool match_normalized(match *m, ir_value *n, rms_norm *rms)
{
	ir_value *x = NULL, *s = NULL;
	match_mark mark = match_save(m);
	ir_node *div = match_producer(m, n, "Div");
	if (div) {
		x = match_operand(m, div, 0);
		s = match_operand(m, div, 1);
	} else {
		match_restore(m, mark);
		ir_node *mul = match_producer(m, n, "Mul");
		ir_node *recip = match_commuted(m, mul, "Reciprocal", &x);
		s = match_operand(m, recip, 0);
	}
	return match_root_mean_square(m, s, rms) && match_same(m, x, rms->x);
}

static bool gamma_shape_ok(const rms_norm *rms, const match_const *c)
{
	if (c->rank != rms->k)
		return false;
	for (int i = 0; i < c->rank; i++) {
		int64_t want = match_dim(rms->x, i - rms->k);
		if (want < 0 || c->dims[i] != want)
			return false;
	}
	return true;
}

static bool match_rms_norm(match *m, ir_model *model, ir_node *root,
                           rms_norm *rms)
{
	*rms = (rms_norm){0};
	if (!match_begin(m, model, root, "Mul") || !match_opset_at_least(m, 23))
		return false;
	ir_value *n = match_scaled_operand(m, root, &rms->gamma, &rms->cast_to);
	if (!n || !match_normalized(m, n, rms))
		return false;
	if (rms->cast_to == rms->elem_type)
		rms->cast_to = 0;
	int want = rms->cast_to ? rms->cast_to : rms->elem_type;
	return match_constant(m, rms->gamma, &rms->gamma_c) &&
	       match_check(m, rms->gamma_c.elem_type == want &&
	                          ir_elem_is_float(want) &&
	                          gamma_shape_ok(rms, &rms->gamma_c)) &&
	       match_private(m);
}

static int try_fuse(ir_model *model, ir_node *node, void *ctx)
{
	(void)ctx;
	match m;
	rms_norm rms;
	if (!match_rms_norm(&m, model, node, &rms))
		return 0;
	ir_value *gamma = rms.gamma;
	if (rms.cast_to) {
		gamma = match_constant_as(&m, &rms.gamma_c, rms.elem_type);
		match_retire(&m, rms.gamma);
	}
	ir_value *inputs[2] = {rms.x, gamma};
	ir_node *fused = match_emit(&m, "RMSNormalization", inputs, 2, 1);
	ir_node_set_attr_int(fused, "axis", -rms.k);
	ir_node_set_attr_float(fused, "epsilon", (float)rms.epsilon);
	return match_commit(&m, match_emit_cast(&m, fused, rms.cast_to), 0) ? 1
	                                                                    : 0;
}

static int run_fuse_rms_norm(ir_model *model, pass_context *ctx,
                             ir_status *status)
{
	(void)ctx;
	(void)status;
	if (ir_model_opset(model, "") < 23)
		return 0;
	return match_for_each_node(model, try_fuse, NULL);
}

const pass pass_fuse_rms_norm = {
    .name = "fuse_rms_norm",
    .group = "fuse",
    .summary = "fuse a decomposed RMS normalization into RMSNormalization "
               "(opset >= 23)",
    .needs = ANALYSIS_TYPES,
    .run = run_fuse_rms_norm,
};
