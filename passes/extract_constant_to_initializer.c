/*
 * extract_constant_to_initializer.c - turn Constant nodes into
 * initializers.
 *
 *   before:  Constant(value=T) -> k -> Add(x, k)
 *   after:   k (initializer T) -> Add(x, k)
 *
 * Every attribute form becomes a tensor with the meaning the spec gives
 * it (opset 12 added the scalar and list forms):
 *   value          the tensor itself
 *   value_float    float scalar          value_floats   1-D float
 *   value_int      int64 scalar          value_ints     1-D int64
 *   value_string   string scalar         value_strings  1-D string
 * A sparse_value stays a Constant: it would have to become a sparse
 * initializer, which many consumers do not read.
 *
 * The value keeps its name, its readers and its place among the graph
 * outputs; only its definition changes (ir_value_make_initializer). In a
 * subgraph the Constant becomes an initializer of that subgraph, where it
 * is visible to exactly the same nodes.
 *
 * Legality:
 *  - Constant in the default ONNX domain with exactly one value attribute
 *    (not a reference to a function attribute);
 *  - IR version 4 or later: before that, every initializer had to be
 *    listed as a graph input as well, which would let callers override
 *    what was a constant.
 */
#include "ops.h"
#include "pass_util.h"

static int extract_in_graph(ir_graph *graph, void *ctx)
{
	(void)ctx;
	int changes = 0;
	ir_graph_for_each_node(graph, node)
	{
		if (!ir_node_is(node, "Constant") || node->n_inputs != 0 ||
		    op_node_mistyped_attribute(node) || node->n_outputs != 1 ||
		    !node->outputs[0])
			continue;
		ir_tensor *tensor = pass_constant_node_tensor(node);
		if (!tensor)
			continue;
		ir_value_make_initializer(node->outputs[0], tensor);
		ir_node_remove(node);
		changes++;
	}
	return changes;
}

static int run_extract_constant_to_initializer(ir_model *model,
                                               pass_context *ctx,
                                               ir_status *status)
{
	(void)ctx;
	(void)status;
	if (model->ir_version < 4)
		return 0;
	return pass_for_each_graph(model, extract_in_graph, NULL);
}

const pass pass_extract_constant_to_initializer = {
    .name = "extract_constant_to_initializer",
    .group = "eliminate",
    .summary = "turn Constant nodes into initializers, keeping their names",
    .run = run_extract_constant_to_initializer,
};
