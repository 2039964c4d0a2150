/*
 * eliminate_nop_concat.c - remove Concat nodes with a single input.
 *
 *   before:  x -> Concat(axis=a) -> y -> A
 *   after:   x -> A
 *
 * Concatenating one tensor along any axis returns it unchanged.
 *
 * Legality:
 *  - Concat in the default ONNX domain with exactly one (present) input;
 *  - an axis is given (it defaults to 1 in opset 1 only) and, when x's
 *    rank is known, is valid for it (an invalid axis is an error at run
 *    time, which removing the node would hide);
 *  - graph output names survive (see pass_remove_passthrough).
 */
#include "pass_util.h"

static bool axis_is_valid(const ir_node *node, const ir_value *x, int64_t opset)
{
	/* Concat-1 defaults the axis to 1; from opset 4 on it is required. */
	const ir_attr *axis = ir_node_attr(node, "axis");
	bool has_axis = axis && axis->proto->has_i;
	if (!has_axis && opset >= 4)
		return false;
	int64_t a = has_axis ? axis->proto->i : 1;
	int rank = x->type.is_tensor ? x->type.rank : -1;
	if (rank < 0)
		return true;
	return a >= -rank && a < rank;
}

static ir_value *single_concat_input(ir_node *node, int64_t opset)
{
	if (!ir_node_is(node, "Concat") || node->n_inputs != 1 ||
	    !node->inputs[0] || node->n_outputs != 1 ||
	    !axis_is_valid(node, node->inputs[0], opset))
		return NULL;
	return node->inputs[0];
}

static int rewrite_eliminate_nop_concat(ir_model *model, ir_node *node,
                                        pass_context *ctx)
{
	(void)ctx;
	return pass_remove_passthrough_node(model, node, single_concat_input);
}

const pass pass_eliminate_nop_concat = {
    .name = "eliminate_nop_concat",
    .group = "eliminate",
    .summary = "remove Concat nodes that have a single input",
    .rewrite = rewrite_eliminate_nop_concat,
};
