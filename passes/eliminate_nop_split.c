/*
 * eliminate_nop_split.c - remove Split nodes with a single output.
 *
 *   before:  x -> Split(axis=a) -> y -> A        (one output)
 *   after:   x -> A
 *
 * A Split with one output returns the whole input along its axis. Its
 * sizes, if given, can only be [d] with d the axis' dim; anything else is
 * a model that fails at run time, which is kept as is.
 *
 * Where the sizes live depends on the opset: attribute `split` (opsets 1
 * to 12; opset 1 also accepts them as input 1), input 1 from opset 13 on;
 * opset 18 adds `num_outputs`, which must then be 1.
 *
 * Legality:
 *  - Split in the default ONNX domain with exactly one (present) output;
 *  - the axis (default 0) is valid when x's rank is known (negative axes
 *    only from opset 11);
 *  - given sizes are a constant [d] with d equal to x's known dim there;
 *  - graph output names survive (see pass_remove_passthrough).
 */
#include "ops.h"
#include "pass_util.h"

/* The sizes the node gives, if any: *given is false when it gives none. */
static bool split_sizes(const ir_node *node, int64_t opset, bool *given,
                        const int64_t **sizes, int64_t *count)
{
	*given = false;
	if (op_attribute_input("Split", "split", opset) < 0) {
		int n = ir_attr_ints(node, "split", sizes);
		if (n == IR_ATTR_WRONG_TYPE)
			return false;
		if (n >= 0) {
			*given = true;
			*count = n;
			return true;
		}
		if (opset >= 2 || node->n_inputs < 2 || !node->inputs[1])
			return true;
	} else if (node->n_inputs < 2 || !node->inputs[1]) {
		return true;
	}
	*given = true;
	return pass_constant_ints(node->inputs[1], sizes, count);
}

static bool split_is_nop(const ir_node *node, int64_t opset)
{
	const ir_value *x = node->inputs[0];
	int rank = x->type.is_tensor ? x->type.rank : -1;
	int64_t axis = ir_attr_int(node, "axis", 0);
	if (axis < 0 && opset < 11)
		return false;
	if (rank >= 0) {
		if (axis < -rank || axis >= rank)
			return false;
		if (axis < 0)
			axis += rank;
	}
	if (opset >= 18 && ir_node_attr(node, "num_outputs") &&
	    ir_attr_int(node, "num_outputs", 0) != 1)
		return false;
	bool given;
	const int64_t *sizes;
	int64_t count;
	if (!split_sizes(node, opset, &given, &sizes, &count))
		return false;
	if (!given)
		return true;
	if (count != 1 || rank < 0)
		return false;
	const ir_dim *d = &x->type.dims[axis];
	return d->kind == IR_DIM_VALUE && d->value == sizes[0];
}

static ir_value *split_input(ir_node *node, int64_t opset)
{
	if (!ir_node_is(node, "Split") || node->n_inputs < 1 ||
	    !node->inputs[0] || node->n_outputs != 1 || !node->outputs[0] ||
	    !split_is_nop(node, opset))
		return NULL;
	return node->inputs[0];
}

static int rewrite_eliminate_nop_split(ir_model *model, ir_node *node,
                                       pass_context *ctx)
{
	(void)ctx;
	if (ir_model_opset(model, "") < 1)
		return 0;
	return pass_remove_passthrough_node(model, node, split_input);
}

const pass pass_eliminate_nop_split = {
    .name = "eliminate_nop_split",
    .group = "eliminate",
    .summary = "remove Split nodes with a single output",
    .needs = ANALYSIS_TYPES,
    .rewrite = rewrite_eliminate_nop_split,
};
