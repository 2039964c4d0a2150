/*
 * fuse_matmul_scale.c - a Mul or Div by a scalar constant after a MatMul
 * with constant weights is folded into the weights.
 *
 *   before:  x -> MatMul(x, W) -> t -> Mul(t, s) -> y     (or Div(t, s))
 *   after:   x -> MatMul(x, W') -> y,    W' = W * s  (or W / s)
 *
 * Matrix products are linear in each operand, so scaling the output by a
 * scalar is scaling either operand. W' is computed in double and rounded
 * once to W's dtype. The weights may be either MatMul operand.
 *
 * Legality:
 *  - s is a constant with one element, of W's float dtype, and of rank 0,
 *    or of a rank no higher than W's when W is at least 2-D (so the Mul
 *    cannot raise the output's rank);
 *  - Div only with t as the dividend (s / t is not linear in t);
 *  - t is read only by the Mul/Div and is not a graph output;
 *  - a new initializer is written; the old one goes only when unused.
 */
#include <stdlib.h>

#include "match.h"
#include "pass.h"

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	bool divide = ir_node_is(node, "Div");
	ir_value *scale = NULL;
	ir_node *matmul = NULL;
	if (divide) {
		match_begin(&m, model, node, "Div");
		matmul = match_input(&m, node, 0, "MatMul");
		scale = match_operand(&m, node, 1);
	} else {
		match_begin(&m, model, node, "Mul");
		matmul = match_commuted(&m, node, "MatMul", &scale);
	}
	match_const s, w;
	if (!match_constant(&m, scale, &s) || !match_ok(&m) ||
	    matmul->n_inputs != 2)
		return 0;
	int side = match_read_constant(model, matmul->inputs[1], &w) ? 1 : 0;
	if (!match_constant(&m, matmul->inputs[side], &w) ||
	    !match_check(
	        &m, ir_elem_is_float(w.elem_type) &&
	                s.elem_type == w.elem_type && s.numel == 1 &&
	                (s.rank == 0 || (w.rank >= 2 && s.rank <= w.rank))) ||
	    !match_private(&m))
		return 0;
	double factor = match_const_get(&s, 0);
	double *v = match_const_doubles(&w);
	for (int64_t i = 0; i < w.numel; i++)
		v[i] = divide ? v[i] / factor : v[i] * factor;
	ir_value *scaled = match_add_initializer_doubles(
	    m.graph, w.value->name, w.elem_type, w.rank, w.dims, v);
	free(v);
	match_retire(&m, w.value);
	match_edit_input(&m, side, scaled);
	return match_commit(&m, matmul, 0) ? 1 : 0;
}

const pass pass_fuse_matmul_scale = {
    .name = "fuse_matmul_scale",
    .group = "fuse",
    .summary = "fold a Mul or Div by a scalar constant after a MatMul into "
               "the MatMul's constant weights",
    .rewrite = try_fuse,
};
