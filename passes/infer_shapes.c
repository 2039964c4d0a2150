/*
 * infer_shapes.c - record inferred types in the model.
 *
 *   before:  x:[batch,128] -> MatMul(W:[128,64]) -> t -> Relu -> y:?
 *   after:   same nodes; the graph output y:[batch,64] float in the
 *            graph's interface
 *
 * The pass manager runs the shape analysis (analysis/shape/) before this
 * pass (.needs); the pass records what it found for the saved model:
 * graph outputs carry their types in the graph's interface, and
 * value_info entries the model already has are refined; no new value_info
 * entry is written. That is deliberate: given our (consistent) symbolic
 * shapes, ONNX Runtime's default level fuses SkipLayerNormalization where
 * it does not on the original, and its CPU kernel made
 * tests/bench/hf_models.py's BERT 16-20% slower (paired runs,
 * tests/bench/ort_latency.sh); the same model without the added
 * value_info ran at 1.03x. Nothing about the computation changes, so the
 * rewrite is always legal; inferred types only refine what the model
 * states (never contradict it). Returns the number of values whose saved
 * type changed.
 */
#include "pass.h"

static int record_graph(ir_graph *graph)
{
	int recorded = 0;
	for (ir_value *v = graph->scope; v; v = v->hh.next)
		recorded += ir_value_record_type(v);
	for (int i = 0; i < graph->n_subgraphs; i++)
		recorded += record_graph(graph->subgraphs[i]);
	return recorded;
}

static int run_infer_shapes(ir_model *model, pass_context *ctx,
                            ir_status *status)
{
	(void)ctx;
	(void)status;
	return record_graph(model->graph);
}

const pass pass_infer_shapes = {
    .name = "infer_shapes",
    .group = "fold",
    .summary = "infer element types and shapes (refining the model's "
               "value_info, adding none)",
    .needs = ANALYSIS_TYPES,
    .run = run_infer_shapes,
};
