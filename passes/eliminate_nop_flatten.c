/*
 * eliminate_nop_flatten.c - remove Flatten nodes whose output shape is the
 * input shape.
 *
 *   before:  x:[N,C] -> Flatten(axis=1) -> y:[N,C] -> A
 *   after:   x -> A
 *
 * Flatten always produces a 2-D tensor (d0*...*d(axis-1), daxis*...*dn),
 * so only a 2-D input can come out unchanged:
 *   axis 1:  (d0, d1), always the input shape;
 *   axis 0:  (1, d0*d1), the input shape when d0 is known to be 1;
 *   axis 2:  (d0*d1, 1), the input shape when d1 is known to be 1.
 * Flatten only reshapes, so equal shapes mean equal tensors.
 *
 * Legality:
 *  - Flatten in the default ONNX domain;
 *  - x's rank is known to be 2;
 *  - the axis (default 1) is valid for the opset: [0, 2] before opset 11,
 *    [-2, 2] from opset 11 on;
 *  - graph output names survive (see pass_remove_passthrough).
 */
#include "pass_util.h"

static bool dim_is_one(const ir_value *x, int i)
{
	return x->type.dims[i].kind == IR_DIM_VALUE &&
	       x->type.dims[i].value == 1;
}

static bool flatten_is_nop(const ir_node *node, const ir_value *x,
                           int64_t opset)
{
	if (!x->type.is_tensor || x->type.rank != 2)
		return false;
	int64_t axis = ir_attr_int(node, "axis", 1);
	if (axis < 0) {
		if (opset < 11)
			return false;
		axis += 2;
	}
	switch (axis) {
	case 0: return dim_is_one(x, 0);
	case 1: return true;
	case 2: return dim_is_one(x, 1);
	default: return false;
	}
}

static ir_value *flatten_input(ir_node *node, int64_t opset)
{
	if (!ir_node_is(node, "Flatten") || node->n_inputs != 1 ||
	    !node->inputs[0] || node->n_outputs != 1 ||
	    !flatten_is_nop(node, node->inputs[0], opset))
		return NULL;
	return node->inputs[0];
}

static int rewrite_eliminate_nop_flatten(ir_model *model, ir_node *node,
                                         pass_context *ctx)
{
	(void)ctx;
	return pass_remove_passthrough_node(model, node, flatten_input);
}

const pass pass_eliminate_nop_flatten = {
    .name = "eliminate_nop_flatten",
    .group = "eliminate",
    .summary = "remove Flatten nodes whose output shape equals the input "
               "shape",
    .needs = ANALYSIS_TYPES,
    .rewrite = rewrite_eliminate_nop_flatten,
};
