/*
 * eliminate_nop_expand.c - remove Expand nodes that do not change the shape.
 *
 *   before:  x:[N,3,4] -> Expand(shape=[1,4]) -> y:[N,3,4] -> A
 *   after:   x -> A
 *
 * Expand broadcasts x against `shape`; the output has x's shape exactly
 * when broadcasting adds no dimension and grows none: `shape` has no more
 * entries than x has dims, and each entry is 1 or equals the known dim it
 * lines up with. A 1 keeps any dim, including a symbolic or zero one.
 *
 * Legality:
 *  - Expand in the default ONNX domain (opset 8 or later);
 *  - `shape` is a constant 1-D int64 tensor;
 *  - x's rank is known (unless `shape` is empty), and its dims wherever
 *    an entry is not 1;
 *  - graph output names survive (see pass_remove_passthrough).
 */
#include "pass_util.h"

static ir_value *expand_input(ir_node *node, int64_t opset)
{
	(void)opset;
	if (!ir_node_is(node, "Expand") || node->n_inputs != 2 ||
	    node->n_outputs != 1 || !node->inputs[0])
		return NULL;
	ir_value *x = node->inputs[0];
	ir_tensor *shape_tensor = pass_constant_tensor(node->inputs[1]);
	const int64_t *shape;
	int64_t count;
	if (!shape_tensor || shape_tensor->rank != 1 ||
	    shape_tensor->elem_type != IR_INT64 ||
	    !pass_constant_ints(node->inputs[1], &shape, &count))
		return NULL;
	if (!pass_broadcast_keeps_shape(&x->type, shape, (int)count))
		return NULL;
	return x;
}

static int rewrite_eliminate_nop_expand(ir_model *model, ir_node *node,
                                        pass_context *ctx)
{
	(void)ctx;
	if (ir_model_opset(model, "") < 8)
		return 0;
	return pass_remove_passthrough_node(model, node, expand_input);
}

const pass pass_eliminate_nop_expand = {
    .name = "eliminate_nop_expand",
    .group = "eliminate",
    .summary = "remove Expand nodes whose constant shape leaves the input "
               "shape unchanged",
    .needs = ANALYSIS_TYPES,
    .rewrite = rewrite_eliminate_nop_expand,
};
