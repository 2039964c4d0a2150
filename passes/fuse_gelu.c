/*
 * fuse_gelu.c - a hand-written GELU becomes one Gelu node (opset >= 20).
 *
 *   erf form:   x -> Div(x, sqrt 2) -> Erf -> Add(1) -> a
 *               (or Mul(x, 1/sqrt 2))
 *   tanh form:  x -> Pow(x, 3) -> Mul(0.044715) -> Add(x) -> Mul(sqrt(2/pi))
 *                 -> Tanh -> Add(1) -> a
 *               (x^3 also as Mul(Mul(x, x), x) in either order)
 *   then:       y = x * 0.5 * a, in any association and operand order:
 *               Mul(Mul(x, a), 0.5), Mul(x, Mul(a, 0.5)),
 *               Mul(Mul(x, 0.5), a), ...
 *   after:      x -> Gelu(approximate = "none" | "tanh") -> y
 *
 * The final product is matched by trying, for each operand of the root
 * Mul that is itself a Mul, the three factors {x, 0.5, a} in any order.
 *
 * Legality:
 *  - model opset >= 20; all nodes standard-domain and in one graph;
 *  - constants are scalars within a tight relative tolerance (1e-5) of
 *    sqrt 2, 1/sqrt 2, sqrt(2/pi) and 0.044715; 0.5, 1 and the exponent 3
 *    within 1e-6; of a float type (Gelu takes float16/32/64, bfloat16);
 *  - the same x feeds the Erf/Tanh branch and the final product;
 *  - no intermediate is read outside the pattern or is a graph output.
 */
#include <math.h>
#include <string.h>

#include "match.h"
#include "pass.h"

#define TIGHT 1e-5
#define EXACT 1e-6

static bool float_scalar(match *m, ir_value *v, double want, double tol)
{
	match_const c;
	return match_scalar_near(m, v, want, tol) && match_constant(m, v, &c) &&
	       match_check(m, ir_elem_is_float(c.elem_type));
}

/* The operand of a two-input node that is a constant near `want`; the
 * other operand goes to *other. */
static bool commuted_scalar(match *m, ir_node *node, double want, double tol,
                            ir_value **other)
{
	if (!match_check(m, node && node->n_inputs == 2))
		return false;
	for (int i = 0; i < 2; i++) {
		match_mark mark = match_save(m);
		if (float_scalar(m, node->inputs[i], want, tol)) {
			*other = node->inputs[1 - i];
			return true;
		}
		match_restore(m, mark);
	}
	return match_check(m, false);
}

/* x^3 as Pow(x, 3), Mul(Mul(x, x), x) or Mul(x, Mul(x, x)); sets *x. */
static bool match_cube(match *m, ir_value *v, ir_value **x)
{
	match_mark mark = match_save(m);
	ir_node *pow = match_producer(m, v, "Pow");
	if (pow) {
		*x = match_operand(m, pow, 0);
		return float_scalar(m, match_operand(m, pow, 1), 3.0, EXACT);
	}
	match_restore(m, mark);
	ir_node *outer = match_producer(m, v, "Mul");
	if (!match_check(m, outer && outer->n_inputs == 2))
		return false;
	for (int side = 0; side < 2; side++) {
		mark = match_save(m);
		*x = outer->inputs[1 - side];
		ir_node *square = match_producer(m, outer->inputs[side], "Mul");
		match_same(m, match_operand(m, square, 0), *x);
		if (match_same(m, match_operand(m, square, 1), *x))
			return true;
		match_restore(m, mark);
	}
	return match_check(m, false);
}

/* a = Add(Erf(x / sqrt 2), 1): sets *x. */
static bool match_erf_branch(match *m, ir_value *a, ir_value **x)
{
	ir_node *add = match_producer(m, a, "Add");
	ir_value *erf_out = NULL;
	commuted_scalar(m, add, 1.0, EXACT, &erf_out);
	ir_node *erf = match_producer(m, erf_out, "Erf");
	ir_value *scaled = match_operand(m, erf, 0);
	match_mark mark = match_save(m);
	ir_node *div = match_producer(m, scaled, "Div");
	if (div &&
	    float_scalar(m, match_operand(m, div, 1), sqrt(2.0), TIGHT)) {
		*x = div->inputs[0];
		return true;
	}
	match_restore(m, mark);
	ir_node *mul = match_producer(m, scaled, "Mul");
	return commuted_scalar(m, mul, sqrt(0.5), TIGHT, x);
}

/* a = Add(Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)), 1): sets *x. */
static bool match_tanh_branch(match *m, ir_value *a, ir_value **x)
{
	ir_node *add = match_producer(m, a, "Add");
	ir_value *tanh_out = NULL, *inner = NULL, *cubed = NULL;
	commuted_scalar(m, add, 1.0, EXACT, &tanh_out);
	ir_node *tanh = match_producer(m, tanh_out, "Tanh");
	ir_node *scale = match_input(m, tanh, 0, "Mul");
	commuted_scalar(m, scale, sqrt(2.0 / M_PI), TIGHT, &inner);
	ir_node *sum = match_producer(m, inner, "Add");
	if (!match_check(m, sum && sum->n_inputs == 2))
		return false;
	for (int side = 0; side < 2; side++) {
		match_mark mark = match_save(m);
		ir_value *x_direct = sum->inputs[1 - side];
		ir_node *cube_scale =
		    match_producer(m, sum->inputs[side], "Mul");
		commuted_scalar(m, cube_scale, 0.044715, TIGHT, &cubed);
		if (match_ok(m) && match_cube(m, cubed, x) &&
		    match_same(m, *x, x_direct))
			return true;
		match_restore(m, mark);
	}
	return match_check(m, false);
}

/* Given the three factors of y, find which is which. */
static bool match_factors(match *m, ir_value *const f[3], bool tanh_form,
                          ir_value **x)
{
	for (int half = 0; half < 3; half++) {
		for (int branch = 0; branch < 3; branch++) {
			if (branch == half)
				continue;
			int rest = 3 - half - branch;
			match_mark mark = match_save(m);
			ir_value *bx = NULL;
			float_scalar(m, f[half], 0.5, EXACT);
			if (tanh_form)
				match_tanh_branch(m, f[branch], &bx);
			else
				match_erf_branch(m, f[branch], &bx);
			if (match_same(m, bx, f[rest])) {
				*x = bx;
				return true;
			}
			match_restore(m, mark);
		}
	}
	return match_check(m, false);
}

static bool match_gelu(match *m, ir_model *model, ir_node *root, bool tanh_form,
                       ir_value **x)
{
	if (!match_begin(m, model, root, "Mul") ||
	    !match_opset_at_least(m, 20) ||
	    !match_check(m, root->n_inputs == 2))
		return false;
	for (int side = 0; side < 2; side++) {
		match_mark mark = match_save(m);
		ir_node *inner = match_producer(m, root->inputs[side], "Mul");
		if (inner && inner->n_inputs == 2) {
			ir_value *f[3] = {inner->inputs[0], inner->inputs[1],
			                  root->inputs[1 - side]};
			if (match_factors(m, f, tanh_form, x) &&
			    match_private(m))
				return true;
		}
		match_restore(m, mark);
	}
	return match_check(m, false);
}

static int try_fuse(ir_model *model, ir_node *node, void *ctx)
{
	(void)ctx;
	match m;
	ir_value *x = NULL;
	bool tanh_form = false;
	if (!match_gelu(&m, model, node, false, &x)) {
		tanh_form = true;
		if (!match_gelu(&m, model, node, true, &x))
			return 0;
	}
	ir_node *gelu = match_emit(&m, "Gelu", &x, 1, 1);
	if (tanh_form)
		ir_node_set_attr_string(gelu, "approximate", "tanh");
	return match_commit(&m, gelu, 0) ? 1 : 0;
}

static int run_fuse_gelu(ir_model *model, pass_context *ctx, ir_status *status)
{
	(void)ctx;
	(void)status;
	if (ir_model_opset(model, "") < 20)
		return 0;
	return match_for_each_node(model, try_fuse, NULL);
}

const pass pass_fuse_gelu = {
    .name = "fuse_gelu",
    .group = "fuse",
    .summary = "fuse the erf and tanh forms of a decomposed GELU into Gelu "
               "(opset >= 20)",
    .run = run_fuse_gelu,
};
