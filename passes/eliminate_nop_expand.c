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

static int eliminate_in_graph(ir_graph *graph, void *ctx)
{
	(void)ctx;
	int changes = 0;
	ir_graph_for_each_node(graph, node)
	{
		if (!ir_node_is(node, "Expand") || node->n_inputs != 2 ||
		    node->n_outputs != 1 || !node->inputs[0])
			continue;
		ir_value *x = node->inputs[0];
		ir_tensor *shape_tensor = pass_constant_tensor(node->inputs[1]);
		const int64_t *shape;
		int64_t count;
		if (!shape_tensor || shape_tensor->rank != 1 ||
		    shape_tensor->elem_type != IR_INT64 ||
		    !pass_constant_ints(node->inputs[1], &shape, &count))
			continue;
		if (!pass_broadcast_keeps_shape(&x->type, shape, (int)count))
			continue;
		if (pass_remove_passthrough(node, 0, x))
			changes++;
	}
	return changes;
}

static int run_eliminate_nop_expand(ir_model *model, pass_context *ctx,
                                    ir_status *status)
{
	(void)ctx;
	(void)status;
	if (ir_model_opset(model, "") < 8)
		return 0;
	static const char *const typed_ops[] = {"Expand"};
	pass_infer_types_for(model, typed_ops,
	                     (int)(sizeof typed_ops / sizeof typed_ops[0]));
	return pass_for_each_graph(model, eliminate_in_graph, NULL);
}

const pass pass_eliminate_nop_expand = {
    .name = "eliminate_nop_expand",
    .group = "eliminate",
    .summary = "remove Expand nodes whose constant shape leaves the input "
               "shape unchanged",
    .run = run_eliminate_nop_expand,
};
