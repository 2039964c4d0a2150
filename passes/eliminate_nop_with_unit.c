/*
 * eliminate_nop_with_unit.c - remove arithmetic with the operation's unit.
 *
 *   before:  x -> Mul(x, 1) -> y -> A         (also 1*x, x/1, x^1, x-0,
 *   after:   x -> A                            x+0, And(x, true),
 *                                              Or(x, false), ...)
 *
 * The rules, one table row each (`commutes`: the unit may be either input,
 * the operator table's OP_COMMUTATIVE; 0-x and 1/x are not x):
 *   Add  x + 0     commutes      Sub  x - 0
 *   Mul  x * 1     commutes      Div  x / 1
 *   Pow  x ^ 1                   And  x and true   commutes
 *   Or   x or false  commutes
 *
 * Exactness for floating types (IEEE 754): x*1, x/1 and pow(x, 1) are x
 * for every x, -0, infinities and NaN included, and so is x - (+0). But
 * (-0) + (+0) is +0: x + 0 is x only when the constant is -0 (and x - 0
 * only when it is +0). Models nearly always hold +0, so float Add with +0
 * stays: it can change the sign of a zero, which 1/x or atan2 would turn
 * into a different result. Integers have no such case.
 *
 * Pow is only removed for a floating x: runtimes compute an integer power
 * through double, which rounds int64 values beyond 2^53, so there
 * Pow(x, 1) is not what they return for x.
 *
 * Legality:
 *  - the op in the default ONNX domain; before opset 7 (legacy
 *    `broadcast`/`axis` attributes) only the second input may be the unit,
 *    since the first input defines the output shape there;
 *  - the unit is a constant whose every element is the unit;
 *  - broadcasting does not change x's shape: the constant's rank is at
 *    most x's and each of its dims is 1 or equals x's known dim there
 *    (a scalar fits any x);
 *  - the types are known and the output's is x's: the constant has x's
 *    element type (Pow only needs x's type: its output type is x's);
 *  - graph output names survive (see pass_remove_passthrough);
 *  - not the scale of a decomposed normalization: Mul(n, gamma) with
 *    gamma all ones, where n = Div(d, Sqrt(...)) (LayerNorm) or
 *    n = Mul(x, Reciprocal(Sqrt(...))) or Mul(x, Div(1, Sqrt(...)))
 *    (RMSNorm), stays. Freshly initialized models have gamma = 1, and
 *    ONNX Runtime's LayerNormalization and SimplifiedLayerNormalization
 *    fusions need the Mul to match; below the opsets where we fuse these
 *    ourselves (17 and 23), removing it made ORT 2-5% slower on BERT and
 *    GPT-2 exports. fuse_layer_norm / fuse_rms_norm absorb it where they
 *    can.
 */
#include <stdbool.h>
#include <string.h>

#include "ops.h"
#include "pass_util.h"

typedef struct unit_rule {
	const char *op_type;
	double float_unit; /* for float, double, float16, bfloat16 */
	double exact_unit; /* for integers and bool */
	bool bool_only;
	bool floating_only;
	bool any_unit_type; /* the unit's type may differ from x's */
} unit_rule;

static const unit_rule unit_rules[] = {
    {"Add", -0.0, 0, false, false, false}, {"Sub", 0.0, 0, false, false, false},
    {"Mul", 1.0, 1, false, false, false},  {"Div", 1.0, 1, false, false, false},
    {"Pow", 1.0, 1, false, true, true},    {"And", 1.0, 1, true, false, false},
    {"Or", 0.0, 0, true, false, false},
};

static const unit_rule *rule_for(const ir_node *node)
{
	for (size_t i = 0; i < sizeof unit_rules / sizeof unit_rules[0]; i++)
		if (ir_node_is(node, unit_rules[i].op_type))
			return &unit_rules[i];
	return NULL;
}

/* Is `unit` the rule's unit for x, without changing x's shape or type? */
static bool is_unit_for(const unit_rule *rule, const ir_value *x,
                        const ir_value *unit)
{
	ir_tensor *t = pass_constant_tensor(unit);
	int x_type = pass_elem_type(x);
	if (!t || x_type == IR_UNDEFINED)
		return false;
	if (!rule->any_unit_type && t->elem_type != x_type)
		return false;
	if (rule->bool_only && x_type != IR_BOOL)
		return false;
	if (rule->floating_only && !ir_elem_is_float(x_type))
		return false;
	if (!pass_broadcast_keeps_shape(&x->type, t->dims, t->rank))
		return false;
	double number = ir_elem_is_float(t->elem_type) ? rule->float_unit
	                                               : rule->exact_unit;
	return pass_constant_all_equal(unit, number);
}

static bool produced_by(const ir_value *value, const char *op_type)
{
	return value && value->producer && ir_node_is(value->producer, op_type);
}

/* Is x the normalized value of a decomposed LayerNorm or RMSNorm, that
 * is, divided by or multiplied with the reciprocal of a Sqrt? */
static bool is_normalized_value(const ir_value *x)
{
	const ir_node *n = x->producer;
	if (!n || n->n_inputs != 2)
		return false;
	if (ir_node_is(n, "Div"))
		return produced_by(n->inputs[1], "Sqrt");
	if (!ir_node_is(n, "Mul"))
		return false;
	for (int i = 0; i < 2; i++) {
		const ir_value *r = n->inputs[i];
		if (produced_by(r, "Reciprocal") && r->producer->n_inputs == 1 &&
		    produced_by(r->producer->inputs[0], "Sqrt"))
			return true;
		if (produced_by(r, "Div") && r->producer->n_inputs == 2 &&
		    produced_by(r->producer->inputs[1], "Sqrt"))
			return true;
	}
	return false;
}

/* The input the node passes through, or NULL. */
static ir_value *passed_through(ir_node *node, int64_t opset)
{
	(void)opset; /* op_node_has knows when inputs commute */
	const unit_rule *rule = rule_for(node);
	if (!rule || node->n_inputs != 2 || node->n_outputs != 1 ||
	    !node->inputs[0] || !node->inputs[1])
		return NULL;
	if (ir_node_is(node, "Mul") && (is_normalized_value(node->inputs[0]) ||
	                                is_normalized_value(node->inputs[1])))
		return NULL;
	if (is_unit_for(rule, node->inputs[0], node->inputs[1]))
		return node->inputs[0];
	if (op_node_has(node, OP_COMMUTATIVE) &&
	    is_unit_for(rule, node->inputs[1], node->inputs[0]))
		return node->inputs[1];
	return NULL;
}

static int rewrite_eliminate_nop_with_unit(ir_model *model, ir_node *node,
                                           pass_context *ctx)
{
	(void)ctx;
	int64_t opset = ir_model_opset(model, "");
	if (opset < 1)
		return 0;
	return pass_remove_passthrough_node(model, node, passed_through);
}

const pass pass_eliminate_nop_with_unit = {
    .name = "eliminate_nop_with_unit",
    .group = "eliminate",
    .summary = "remove x*1, x/1, x^1, x-0, x+(-0.0) (any zero for "
               "integers), x and true, x or false",
    .needs = ANALYSIS_TYPES,
    .rewrite = rewrite_eliminate_nop_with_unit,
};
