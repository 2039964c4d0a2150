/*
 * infer_shapes.c - write inferred types into the model as value_info.
 *
 *   before:  x:[batch,128] -> MatMul(W:[128,64]) -> t -> Relu -> y:?
 *   after:   same nodes; value_info t:[batch,64] float,
 *            graph output y:[batch,64] float
 *
 * Runs the shape analysis (analysis/shape/) and gives every node output
 * whose type it knows anything about a value_info entry, so the types
 * survive export; graph outputs carry theirs in the graph's interface.
 * Nothing about the computation changes, so the rewrite is always legal;
 * inferred types only refine what the model states (never contradict it).
 * Returns the number of values whose type was refined.
 */
#include "pass.h"
#include "shape/shape.h"

static void record_graph(ir_graph *graph)
{
	ir_graph_for_each_node(graph, node)
	{
		for (int i = 0; i < node->n_outputs; i++) {
			ir_value *v = node->outputs[i];
			if (v && v->type.is_tensor &&
			    (v->type.elem_type != IR_UNDEFINED ||
			     v->type.rank >= 0))
				ir_value_info_add(v);
		}
	}
	for (int i = 0; i < graph->n_subgraphs; i++)
		record_graph(graph->subgraphs[i]);
}

static int run_infer_shapes(ir_model *model, pass_context *ctx,
                            ir_status *status)
{
	(void)ctx;
	int refined = shape_infer_refine(model, status);
	if (refined < 0)
		return -1;
	record_graph(model->graph);
	return refined;
}

const pass pass_infer_shapes = {
    .name = "infer-shapes",
    .group = "fold",
    .summary = "infer element types and shapes, and record them as "
               "value_info",
    .run = run_infer_shapes,
};
