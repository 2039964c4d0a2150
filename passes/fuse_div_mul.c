/*
 * fuse_div_mul.c - a reciprocal that is only multiplied becomes a Div.
 *
 *   before:  x -> Div(1, x) -> r -> Mul(r, y) -> z
 *   after:   y, x -> Div(y, x) -> z
 *
 * y * (1 / x) and y / x are the same real number; in floating point the
 * Div rounds once instead of twice, so it is the more accurate of the
 * two.
 *
 * Legality:
 *  - the numerator is a constant holding exactly 1, a scalar, or [1]
 *    when x or y is known to have rank >= 1 (so it broadcasts nothing);
 *  - its dtype is a float type: for integers 1 / x truncates to 0, and
 *    the rewrite would change the result;
 *  - r is read only by the Mul and is not a graph output; either operand
 *    order of the Mul.
 */
#include "match.h"
#include "pass.h"

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	ir_value *y = NULL;
	match_begin(&m, model, node, "Mul");
	ir_node *div = match_commuted(&m, node, "Div", &y);
	ir_value *x = match_operand(&m, div, 1);
	match_const one;
	if (!match_constant(&m, match_operand(&m, div, 0), &one) ||
	    !match_check(&m, ir_elem_is_float(one.elem_type) &&
	                         one.numel == 1 &&
	                         match_const_get(&one, 0) == 1.0) ||
	    /* A [1] numerator would lift scalar x and y to rank 1. */
	    !match_check(&m, one.rank == 0 ||
	                         (one.rank == 1 && (match_rank(x) >= 1 ||
	                                            match_rank(y) >= 1))) ||
	    !match_private(&m))
		return 0;
	ir_value *inputs[2] = {y, x};
	ir_node *fused = match_emit(&m, "Div", inputs, 2, 1);
	return match_commit(&m, fused, 0) ? 1 : 0;
}

const pass pass_fuse_div_mul = {
    .name = "fuse_div_mul",
    .group = "fuse",
    .summary = "turn Mul(Div(1, x), y) into Div(y, x)",
    .needs = ANALYSIS_TYPES,
    .rewrite = try_fuse,
};
