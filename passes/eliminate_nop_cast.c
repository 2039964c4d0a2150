/*
 * eliminate_nop_cast.c - remove casts to the type a tensor already has.
 *
 *   before:  x:float -> Cast(to=FLOAT) -> y -> A
 *            x:int64 -> CastLike(x, t:int64) -> y -> A
 *   after:   x -> A
 *
 * A cast between equal element types returns its input unchanged, for
 * every type (NaN stays NaN; the opset-19 `saturate` attribute only
 * matters when converting into float8).
 *
 * Legality:
 *  - Cast or CastLike in the default ONNX domain;
 *  - the input's element type is known (from the model's value_info, or
 *    shape inference) and equals the target: the `to` attribute (an INT
 *    since opset 6, a type name string in opset 1) or CastLike's
 *    target_type input's element type;
 *  - graph output names survive (see pass_remove_passthrough).
 */
#include <strings.h>

#include "pass_util.h"

/* The element type `to` names, or IR_UNDEFINED. */
static int cast_target(const ir_node *node)
{
	const ir_attr *to = ir_node_attr(node, "to");
	if (!to)
		return IR_UNDEFINED;
	if (to->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT)
		return to->proto->has_i ? (int)to->proto->i : IR_UNDEFINED;
	if (to->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING)
		return IR_UNDEFINED;
	/* Cast-1 names the type: "FLOAT", "INT64", ... */
	const char *name = ir_attr_string(node, "to", "");
	for (int t = IR_FLOAT; t <= IR_BFLOAT16; t++)
		if (!strcasecmp(name, ir_elem_name(t)))
			return t;
	return IR_UNDEFINED;
}

static ir_value *cast_to_own_type(ir_node *node, int64_t opset)
{
	(void)opset;
	int target;
	if (ir_node_is(node, "Cast") && node->n_inputs == 1)
		target = cast_target(node);
	else if (ir_node_is(node, "CastLike") && node->n_inputs == 2)
		target = pass_elem_type(node->inputs[1]);
	else
		return NULL;
	ir_value *x = node->inputs[0];
	if (!x || node->n_outputs != 1 || target == IR_UNDEFINED ||
	    pass_elem_type(x) != target)
		return NULL;
	return x;
}

static int rewrite_eliminate_nop_cast(ir_model *model, ir_node *node,
                                      pass_context *ctx)
{
	(void)ctx;
	return pass_remove_passthrough_node(model, node, cast_to_own_type);
}

const pass pass_eliminate_nop_cast = {
    .name = "eliminate_nop_cast",
    .group = "eliminate",
    .summary = "remove Cast/CastLike to the element type the input has",
    .needs = ANALYSIS_TYPES,
    .rewrite = rewrite_eliminate_nop_cast,
};
