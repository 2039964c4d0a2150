/*
 * fuse_matmul_add_bias_into_gemm.c - a 2-D MatMul plus a bias becomes one
 * Gemm.
 *
 *   before:  A [M, K], B [K, N] -> MatMul -> t -> Add(t, C) -> y
 *   after:   A, B, C -> Gemm(alpha = 1, beta = 1) -> y
 *
 * Gemm computes A * B + C with C broadcast to [M, N] in one direction
 * only, so the Add must not broadcast t to anything larger.
 *
 * Legality:
 *  - opset >= 7 (Gemm with unidirectional broadcasting of C);
 *  - A and B are known to be 2-D (from their types or B's data);
 *  - C has rank <= 2 and each of its dims, right-aligned against [M, N],
 *    is 1 or provably equal to that dim (same number or same symbol);
 *  - the dtype is float, double or float16 (a constant operand, or a known
 *    type, tells it);
 *  - t is read only by the Add and is not a graph output; either operand
 *    order of the Add.
 */
#include "match.h"
#include "pass.h"

/* d (of C) against the output dim taken from `source`'s axis. */
static bool dim_fits(const ir_value *c, int c_axis, const ir_value *source,
                     int source_axis)
{
	int64_t d = match_dim(c, c_axis);
	if (d == 1)
		return true;
	int64_t want = match_dim(source, source_axis);
	if (d >= 0 && want >= 0)
		return d == want;
	/* Symbolic: the same dim_param on both sides. */
	int cr = match_rank(c), sr = match_rank(source);
	if (c->def == IR_DEF_INITIALIZER || source->def == IR_DEF_INITIALIZER ||
	    cr < 0 || sr < 0)
		return false;
	return match_dims_equal(
	    &c->type.dims[c_axis < 0 ? c_axis + cr : c_axis],
	    &source->type
	         .dims[source_axis < 0 ? source_axis + sr : source_axis]);
}

static bool bias_fits(const ir_value *c, const ir_value *a, const ir_value *b)
{
	int rank = match_rank(c);
	if (rank < 0 || rank > 2)
		return false;
	if (rank >= 1 && !dim_fits(c, -1, b, 1))
		return false;
	if (rank == 2 && !dim_fits(c, 0, a, 0))
		return false;
	return true;
}

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	ir_value *c = NULL;
	match_begin(&m, model, node, "Add");
	ir_node *matmul = match_commuted(&m, node, "MatMul", &c);
	ir_value *a = match_operand(&m, matmul, 0);
	ir_value *b = match_operand(&m, matmul, 1);
	if (!match_opset_at_least(&m, 7) ||
	    !match_check(&m, match_rank(a) == 2 && match_rank(b) == 2 &&
	                         bias_fits(c, a, b)))
		return 0;
	int elem_type = match_elem_type(model, b);
	if (!elem_type)
		elem_type = match_elem_type(model, a);
	if (!elem_type)
		elem_type = match_elem_type(model, c);
	if (!match_check(&m, elem_type == IR_FLOAT || elem_type == IR_DOUBLE ||
	                         elem_type == IR_FLOAT16) ||
	    !match_private(&m))
		return 0;
	ir_value *inputs[3] = {a, b, c};
	ir_node *gemm = match_emit(&m, "Gemm", inputs, 3, 1);
	return match_commit(&m, gemm, 0) ? 1 : 0;
}

const pass pass_fuse_matmul_add_bias_into_gemm = {
    .name = "fuse_matmul_add_bias_into_gemm",
    .group = "fuse",
    .summary = "turn a 2-D MatMul followed by an Add of a bias into a Gemm",
    .needs = ANALYSIS_TYPES,
    .rewrite = try_fuse,
};
