/*
 * fuse_transpose_into_gemm.c - a 2-D Transpose feeding a Gemm operand is
 * absorbed by flipping the Gemm's transA/transB.
 *
 *   before:  a -> Transpose(perm = [1, 0]) -> t -> Gemm(t, b, transA = 0)
 *   after:   a -> Gemm(a, b, transA = 1)
 *
 * Legality:
 *  - the Transpose swaps the two axes of a 2-D tensor: perm [1, 0], or no
 *    perm (which reverses the axes) on an input known to be 2-D;
 *  - t is read only by that one Gemm input and is not a graph output;
 *  - applies to inputs A (transA) and B (transB) independently; the C
 *    input is never transposed by Gemm, so it is left alone.
 */
#include "match.h"
#include "pass.h"

static bool swaps_two_axes(const ir_node *transpose)
{
	int64_t perm[2];
	int n = 0;
	if (!ir_node_attr(transpose, "perm"))
		return match_rank(transpose->inputs[0]) == 2;
	return match_attr_ints(transpose, "perm", perm, 2, &n) && n == 2 &&
	       perm[0] == 1 && perm[1] == 0;
}

static int fuse_operand(ir_model *model, ir_node *gemm, int index,
                        const char *flag)
{
	match m;
	match_begin(&m, model, gemm, "Gemm");
	ir_node *transpose = match_input(&m, gemm, index, "Transpose");
	/* One output: the value Gemm reads is outputs[0] (a second, invalid
	 * output could leave outputs[0] absent). */
	if (!match_check(&m, transpose && transpose->n_inputs == 1 &&
	                         transpose->inputs[0] &&
	                         transpose->n_outputs == 1 &&
	                         transpose->outputs[0]->n_uses == 1 &&
	                         swaps_two_axes(transpose)) ||
	    !match_private(&m))
		return 0;
	match_edit_input(&m, index, transpose->inputs[0]);
	match_edit_attr_int(&m, flag, !ir_attr_int(gemm, flag, 0));
	return match_commit(&m, gemm, 0) ? 1 : 0;
}

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	if (!ir_node_is(node, "Gemm"))
		return 0;
	return fuse_operand(model, node, 0, "transA") +
	       fuse_operand(model, node, 1, "transB");
}

const pass pass_fuse_transpose_into_gemm = {
    .name = "fuse_transpose_into_gemm",
    .group = "fuse",
    .summary = "absorb a 2-D Transpose of a Gemm operand into transA or "
               "transB",
    .needs = ANALYSIS_TYPES,
    .rewrite = try_fuse,
};
