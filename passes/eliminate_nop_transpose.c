/*
 * eliminate_nop_transpose.c - remove Transpose nodes that keep every axis
 * in place.
 *
 *   before:  x:[A,B,C] -> Transpose(perm=[0,1,2]) -> y -> A
 *   after:   x -> A
 *
 * Legality:
 *  - Transpose in the default ONNX domain;
 *  - `perm` is the identity [0, 1, ..., n-1], and n is x's rank when that
 *    is known; without `perm` the axes are reversed, which keeps them in
 *    place only when x's rank is known to be 0 or 1;
 *  - graph output names survive (see pass_remove_passthrough).
 */
#include "pass_util.h"

static bool transpose_is_nop(const ir_node *node)
{
	const ir_value *x = node->inputs[0];
	int rank = x->type.is_tensor ? x->type.rank : -1;
	const int64_t *perm;
	int n = ir_attr_ints(node, "perm", &perm);
	if (n == IR_ATTR_ABSENT)
		return rank == 0 || rank == 1;
	if (n < 0 || (rank >= 0 && n != rank))
		return false;
	for (int i = 0; i < n; i++)
		if (perm[i] != i)
			return false;
	return true;
}

static ir_value *transpose_input(ir_node *node, int64_t opset)
{
	(void)opset;
	if (!ir_node_is(node, "Transpose") || node->n_inputs != 1 ||
	    !node->inputs[0] || node->n_outputs != 1 || !transpose_is_nop(node))
		return NULL;
	return node->inputs[0];
}

static int rewrite_eliminate_nop_transpose(ir_model *model, ir_node *node,
                                           pass_context *ctx)
{
	(void)ctx;
	return pass_remove_passthrough_node(model, node, transpose_input);
}

const pass pass_eliminate_nop_transpose = {
    .name = "eliminate_nop_transpose",
    .group = "eliminate",
    .summary = "remove Transpose nodes with the identity permutation",
    .needs = ANALYSIS_TYPES,
    .rewrite = rewrite_eliminate_nop_transpose,
};
