/*
 * fuse_layer_norm.c - a hand-written layer normalization becomes one
 * LayerNormalization node (opset >= 17).
 *
 *   before:                 +-------------------------------+
 *            x -> ReduceMean -> mean -> Sub(x, mean) -> d --+-> Div(d, s) -> n
 *                 d -> Pow(d, 2) -> ReduceMean -> Add(eps) -> Sqrt -> s
 *                 n -> Mul(gamma) -> Add(beta) -> y
 *   after:   x -> LayerNormalization(gamma, beta, axis = -k, epsilon) -> y
 *
 * Variants accepted:
 *  - Pow(d, 2) or Mul(d, d); Div(d, s) or Mul(d, Reciprocal(s));
 *  - one Sub feeding both Pow and Div, or two Subs of the same x and mean;
 *  - either operand order of every Add and Mul;
 *  - eps, gamma and beta as initializers or Constant nodes;
 *  - axes as an attribute or as the second input (ReduceMean-18);
 *  - no beta (the pattern ends at the Mul);
 *  - a Cast of n before Mul(gamma) (mixed precision): gamma and beta are
 *    converted to x's type, and the Cast moves after the fused node. A
 *    Cast producing x stays where it is, outside the pattern.
 *
 * Legality:
 *  - model opset >= 17; every node in the standard domain, one graph;
 *  - both ReduceMeans have keepdims = 1 and the same axes, which are the
 *    last k axes of x (negative, or positive with x's rank known), so
 *    that LayerNormalization's axis = -k expresses them;
 *  - x feeds the first ReduceMean and every Sub, and every Sub subtracts
 *    that ReduceMean's output;
 *  - eps is a float scalar constant; the Pow exponent is exactly 2;
 *  - gamma and beta are constants of x's float type, told apart by the
 *    edge they sit on (gamma multiplies n, beta is added to the product),
 *    never by rank; their shape is exactly x's last k dims, which must
 *    be known (shape inference runs first): LayerNormalization takes
 *    Scale and B of the normalized shape, and a gamma that broadcast x
 *    to a larger shape would change the output's shape;
 *  - no intermediate is read outside the pattern or is a graph output.
 */
#include <math.h>

#include "ir_arena.h"
#include "match.h"
#include "pass.h"

typedef struct layer_norm {
	ir_value *x, *gamma, *beta;
	match_const gamma_c, beta_c;
	double epsilon;
	int k;         /* number of normalized trailing axes */
	int cast_to;   /* 0, or the dtype of the Cast between n and gamma */
	int elem_type; /* x's dtype (from eps) */
} layer_norm;

/* s = Sqrt(Add(ReduceMean(Pow(d, 2)), eps)): returns the Sub nodes the
 * variance reads through *sub. */
static bool match_std(match *m, ir_value *s, layer_norm *ln, ir_node **var_mean,
                      ir_node **var_sub)
{
	ir_node *sqrt = match_producer(m, s, "Sqrt");
	ir_node *add = match_input(m, sqrt, 0, "Add");
	ir_value *eps = NULL;
	*var_mean = match_commuted(m, add, "ReduceMean", &eps);
	ln->epsilon = match_scalar(m, eps);
	match_const eps_c;
	if (!match_constant(m, eps, &eps_c) ||
	    !match_check(m, ir_elem_is_float(eps_c.elem_type)))
		return false;
	ln->elem_type = eps_c.elem_type;
	ir_value *square = match_operand(m, *var_mean, 0);
	match_mark mark = match_save(m);
	ir_node *pow = match_producer(m, square, "Pow");
	if (pow) {
		match_scalar_near(m, match_operand(m, pow, 1), 2.0, 0.0);
		*var_sub = match_input(m, pow, 0, "Sub");
		return match_ok(m);
	}
	match_restore(m, mark);
	ir_node *mul = match_producer(m, square, "Mul");
	*var_sub = match_input(m, mul, 0, "Sub");
	return match_same(m, match_operand(m, mul, 0),
	                  match_operand(m, mul, 1));
}

/* n = Div(d, s) or Mul(d, Reciprocal(s)); d = Sub(x, mean). */
static bool match_core(match *m, ir_value *n, layer_norm *ln)
{
	ir_node *div_sub = NULL;
	ir_value *s = NULL;
	match_mark mark = match_save(m);
	ir_node *div = match_producer(m, n, "Div");
	if (div) {
		div_sub = match_input(m, div, 0, "Sub");
		s = match_operand(m, div, 1);
	} else {
		match_restore(m, mark);
		ir_node *mul = match_producer(m, n, "Mul");
		ir_value *d = NULL;
		ir_node *recip = match_commuted(m, mul, "Reciprocal", &d);
		div_sub = match_producer(m, d, "Sub");
		s = match_operand(m, recip, 0);
	}
	ir_node *var_mean = NULL, *var_sub = NULL;
	if (!match_std(m, s, ln, &var_mean, &var_sub))
		return false;
	ir_value *x = match_operand(m, div_sub, 0);
	ir_node *mean = match_input(m, div_sub, 1, "ReduceMean");
	match_same(m, match_operand(m, mean, 0), x);
	match_same(m, match_operand(m, var_sub, 0), x);
	match_same(m, match_operand(m, var_sub, 1),
	           mean ? mean->outputs[0] : NULL);
	if (!match_ok(m))
		return false;
	int rank = match_rank(x);
	ln->k = match_trailing_axes(m->model, mean, rank);
	ln->x = x;
	return match_check(m,
	                   ln->k > 0 && match_trailing_axes(m->model, var_mean,
	                                                    rank) == ln->k);
}

/* gamma/beta must line up with x's last k dims without broadcasting x. */
static bool affine_shape_ok(const layer_norm *ln, const match_const *c)
{
	if (c->rank != ln->k)
		return false;
	for (int i = 0; i < c->rank; i++) {
		int64_t want = match_dim(ln->x, i - ln->k);
		if (want < 0 || c->dims[i] != want)
			return false;
	}
	return true;
}

static bool affine_ok(match *m, ir_value *v, layer_norm *ln, match_const *c)
{
	int want = ln->cast_to ? ln->cast_to : ln->elem_type;
	return match_constant(m, v, c) &&
	       match_check(m, c->elem_type == want && affine_shape_ok(ln, c));
}

/* Match from the Add(beta) (with_beta) or the Mul(gamma). */
static bool match_layer_norm(match *m, ir_model *model, ir_node *root,
                             bool with_beta, layer_norm *ln)
{
	*ln = (layer_norm){0};
	ir_node *scale = root;
	if (with_beta) {
		if (!match_begin(m, model, root, "Add"))
			return false;
		scale = match_commuted(m, root, "Mul", &ln->beta);
	} else if (!match_begin(m, model, root, "Mul")) {
		return false;
	}
	if (!match_opset_at_least(m, 17))
		return false;
	ir_value *n = match_scaled_operand(m, scale, &ln->gamma, &ln->cast_to);
	if (!n || !match_core(m, n, ln))
		return false;
	if (ln->cast_to == ln->elem_type)
		ln->cast_to = 0;
	if (!affine_ok(m, ln->gamma, ln, &ln->gamma_c))
		return false;
	if (ln->beta && !affine_ok(m, ln->beta, ln, &ln->beta_c))
		return false;
	return match_check(m, !ln->cast_to || ir_elem_is_float(ln->cast_to)) &&
	       match_private(m);
}

static int try_fuse(ir_model *model, ir_node *node, void *ctx)
{
	(void)ctx;
	match m;
	layer_norm ln;
	bool with_beta = ir_node_is(node, "Add");
	if (!with_beta) {
		/* A Mul whose only reader is a fusable Add(beta) is left to
		 * that Add, which fuses more. */
		ir_value *out = node->outputs[0];
		if (!ir_node_is(node, "Mul") || !out)
			return 0;
		if (out->n_uses == 1 && ir_node_is(out->uses[0].node, "Add") &&
		    match_layer_norm(&m, model, out->uses[0].node, true, &ln))
			return 0;
	}
	if (!match_layer_norm(&m, model, node, with_beta, &ln))
		return 0;
	ir_value *gamma = ln.gamma, *beta = ln.beta;
	if (ln.cast_to) {
		gamma = match_constant_as(&m, &ln.gamma_c, ln.elem_type);
		if (beta)
			beta = match_constant_as(&m, &ln.beta_c, ln.elem_type);
		match_retire(&m, ln.gamma);
		match_retire(&m, ln.beta);
	}
	ir_value *inputs[3] = {ln.x, gamma, beta};
	ir_node *fused =
	    match_emit(&m, "LayerNormalization", inputs, beta ? 3 : 2, 1);
	ir_node_set_attr_int(fused, "axis", -ln.k);
	ir_node_set_attr_float(fused, "epsilon", (float)ln.epsilon);
	return match_commit(&m, match_emit_cast(&m, fused, ln.cast_to), 0) ? 1
	                                                                   : 0;
}

static int run_fuse_layer_norm(ir_model *model, pass_context *ctx,
                               ir_status *status)
{
	(void)ctx;
	(void)status;
	if (ir_model_opset(model, "") < 17)
		return 0;
	return match_for_each_node(model, try_fuse, NULL);
}

const pass pass_fuse_layer_norm = {
    .name = "fuse_layer_norm",
    .group = "fuse",
    .summary = "fuse a decomposed layer normalization into "
               "LayerNormalization (opset >= 17)",
    .needs = ANALYSIS_TYPES,
    .run = run_fuse_layer_norm,
};
