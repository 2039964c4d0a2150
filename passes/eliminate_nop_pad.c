/*
 * eliminate_nop_pad.c - remove Pad nodes that add and remove nothing.
 *
 *   before:  x -> Pad(pads=[0,0,0,0]) -> y -> A
 *   after:   x -> A
 *
 * With every pad zero the output is the input, in every mode (constant,
 * reflect, edge, wrap): no element is added, none is cropped, and the fill
 * value is never used.
 *
 * Where the pads live depends on the opset:
 *  - opset 1: attribute `paddings`;
 *  - opset 2 to 10: attribute `pads`;
 *  - opset 11 and later: input 1, a constant int64 tensor here; opset 18
 *    adds an optional `axes` input (index 3), which pads then follow.
 *
 * Legality:
 *  - Pad in the default ONNX domain, in a mode the opset knows;
 *  - the pads are known and all zero, and there are as many as the op
 *    needs (two per axis) when that can be checked, so that a malformed
 *    Pad that fails at run time is not silently made to work;
 *  - graph output names survive (see pass_remove_passthrough).
 */
#include <string.h>

#include "ops.h"
#include "pass_util.h"

static bool mode_is_known(const ir_node *node, int64_t opset)
{
	const char *mode = ir_attr_string(node, "mode", "constant");
	return !strcmp(mode, "constant") || !strcmp(mode, "reflect") ||
	       !strcmp(mode, "edge") || (opset >= 19 && !strcmp(mode, "wrap"));
}

static bool all_zero(const int64_t *pads, int64_t count)
{
	for (int64_t i = 0; i < count; i++)
		if (pads[i] != 0)
			return false;
	return true;
}

/* How many pads the node needs, or -1 when it cannot be told. */
static int64_t expected_pad_count(const ir_node *node, int64_t opset)
{
	if (opset >= 18 && node->n_inputs > 3 && node->inputs[3]) {
		const int64_t *axes;
		int64_t n_axes;
		if (!pass_constant_ints(node->inputs[3], &axes, &n_axes))
			return -1;
		return 2 * n_axes;
	}
	const ir_value *x = node->inputs[0];
	return x->type.is_tensor && x->type.rank >= 0 ? 2 * x->type.rank : -1;
}

static bool pads_are_zero(const ir_node *node, int64_t opset)
{
	const int64_t *pads;
	int64_t count;
	if (op_attribute_input("Pad", "pads", opset) < 0) {
		count =
		    ir_attr_ints(node, opset < 2 ? "paddings" : "pads", &pads);
		if (count < 0)
			return false;
	} else {
		if (node->n_inputs < 2 || !node->inputs[1])
			return false;
		ir_tensor *t = pass_constant_tensor(node->inputs[1]);
		if (!t || t->rank != 1 || t->elem_type != IR_INT64 ||
		    !pass_constant_ints(node->inputs[1], &pads, &count))
			return false;
	}
	int64_t expected = expected_pad_count(node, opset);
	if (expected >= 0 && count != expected)
		return false;
	return all_zero(pads, count);
}

static ir_value *pad_input(ir_node *node, int64_t opset)
{
	if (!ir_node_is(node, "Pad") || node->n_inputs < 1 ||
	    !node->inputs[0] || node->n_outputs != 1 ||
	    !mode_is_known(node, opset) || !pads_are_zero(node, opset))
		return NULL;
	return node->inputs[0];
}

static int rewrite_eliminate_nop_pad(ir_model *model, ir_node *node,
                                     pass_context *ctx)
{
	(void)ctx;
	if (ir_model_opset(model, "") < 1)
		return 0;
	return pass_remove_passthrough_node(model, node, pad_input);
}

const pass pass_eliminate_nop_pad = {
    .name = "eliminate_nop_pad",
    .group = "eliminate",
    .summary = "remove Pad nodes whose pads are all zero",
    .rewrite = rewrite_eliminate_nop_pad,
};
