/*
 * eliminate_nop_dropout.c - remove Dropout nodes that copy their input.
 *
 *   before:  x -> Dropout(ratio=r) -> y -> A      (mask unused)
 *   after:   x -> A
 *
 * What makes a Dropout a copy depends on the opset:
 *  - opset 1 and 6: attribute is_test, default 0 (training mode, random).
 *    A copy when is_test is nonzero, or when ratio is 0 (nothing dropped,
 *    scale 1/(1-0) = 1).
 *  - opset 7 to 11: no mode in the graph; whether the runtime is in test
 *    mode is outside the model, and ONNX models run for inference, where
 *    the spec says the output is a simple copy of the input.
 *  - opset 12 and later: the optional training_mode input. A copy when it
 *    is absent or a constant false, or when the ratio input is a constant
 *    0. A training_mode computed at run time keeps the node.
 *
 * Legality:
 *  - default ONNX domain, a known opset;
 *  - the mask output is absent, or unread and not a graph output (in
 *    inference it is all true, but nothing here rebuilds it);
 *  - graph output names survive (see pass_remove_passthrough).
 */
#include "ops.h"
#include "pass_util.h"

static bool ratio_attribute_is_zero(const ir_node *node)
{
	const ir_attr *a = ir_node_attr(node, "ratio");
	return a && a->proto->has_f && a->proto->f == 0.0f;
}

static bool is_copy_at_opset(const ir_node *node, int64_t opset)
{
	if (opset < 1)
		return false;
	if (opset < 7)
		return ir_attr_int(node, "is_test", 0) != 0 ||
		       ratio_attribute_is_zero(node);
	if (op_attribute_input("Dropout", "ratio", opset) < 0)
		return true; /* opsets 7-11: inference only */
	ir_value *ratio = node->n_inputs > 1 ? node->inputs[1] : NULL;
	ir_value *training = node->n_inputs > 2 ? node->inputs[2] : NULL;
	bool training_mode;
	if (!training)
		return true;
	if (pass_constant_bool(training, &training_mode) && !training_mode)
		return true;
	/* In training mode a zero ratio drops nothing and scales by 1. */
	return ratio && pass_constant_all_equal(ratio, 0.0);
}

static ir_value *dropout_input(ir_node *node, int64_t opset)
{
	if (!ir_node_is(node, "Dropout") || node->n_inputs < 1 ||
	    !node->inputs[0] || node->n_outputs < 1)
		return NULL;
	if (!is_copy_at_opset(node, opset))
		return NULL;
	return node->inputs[0];
}

static int rewrite_eliminate_nop_dropout(ir_model *model, ir_node *node,
                                         pass_context *ctx)
{
	(void)ctx;
	return pass_remove_passthrough_node(model, node, dropout_input);
}

const pass pass_eliminate_nop_dropout = {
    .name = "eliminate_nop_dropout",
    .group = "eliminate",
    .summary = "remove inference-mode Dropout whose mask is unused",
    .rewrite = rewrite_eliminate_nop_dropout,
};
