/*
 * eliminate_nop_monotone_argmax.c - drop an order-preserving elementwise
 * op in front of ArgMax/ArgMin.
 *
 *   before:  x:int32 -> Cast(to=INT64) -> t -> ArgMax(axis) -> i
 *   after:   x:int32 -> ArgMax(axis) -> i
 *
 * ArgMax returns the first (or, with select_last_index, the last) index of
 * the largest element. So ArgMax(f(x)) = ArgMax(x) needs more than an f
 * that increases on real numbers: f must keep every comparison between
 * elements as it was, ties included. In floating point almost nothing
 * does, because rounding merges neighbouring values into new ties:
 *   exp(89) = exp(90) = inf in float, so ArgMax([89, 90]) = 1 but
 *   ArgMax(Exp([89, 90])) = 0; Sigmoid and Tanh round to 1.0 from about
 *   17 and 9 on; Softmax maps values within a rounding step of the
 *   maximum to the same number (exp(-1e-10) is 1.0f: in ONNX Runtime
 *   ArgMax(Softmax([0.001, 0.001 + 1 ulp])) is 0, not 1); Log, Sqrt and
 *   LogSoftmax merge neighbours the same way.
 * So those ops are not rewritten: they differ from the original whenever
 * a merged tie lands on the maximum. What is exact is a Cast into a type
 * that holds every value of the source type: it is injective and keeps
 * the order (and NaN stays NaN, so comparisons involving NaN are the same
 * too). The table below lists those widening casts.
 *
 * The source types are limited to those runtimes implement ArgMax for
 * (float, double, int8, uint8, int32); a model whose ArgMax ran on the
 * cast type must not end up with an ArgMax the runtime lacks.
 *
 * Legality:
 *  - ArgMax/ArgMin and Cast in the default ONNX domain (Cast's `to` an INT,
 *    i.e. opset 6 or later); attributes of ArgMax are kept as they are;
 *  - x's element type is known and (x's type, to) is in the table;
 *  - the Cast's output is read only by the ArgMax and is not a graph
 *    output, so the Cast goes away.
 */
#include "ops.h"
#include "pass_util.h"

typedef struct widening {
	int from;
	int to;
} widening;

/* Every value of `from` converts exactly into `to`, keeping the order. */
static const widening exact_widenings[] = {
    {IR_FLOAT, IR_DOUBLE},   {IR_INT8, IR_INT16},   {IR_INT8, IR_INT32},
    {IR_INT8, IR_INT64},     {IR_INT8, IR_FLOAT16}, {IR_INT8, IR_BFLOAT16},
    {IR_INT8, IR_FLOAT},     {IR_INT8, IR_DOUBLE},  {IR_UINT8, IR_INT16},
    {IR_UINT8, IR_UINT16},   {IR_UINT8, IR_INT32},  {IR_UINT8, IR_UINT32},
    {IR_UINT8, IR_INT64},    {IR_UINT8, IR_UINT64}, {IR_UINT8, IR_FLOAT16},
    {IR_UINT8, IR_BFLOAT16}, {IR_UINT8, IR_FLOAT},  {IR_UINT8, IR_DOUBLE},
    {IR_INT32, IR_INT64},    {IR_INT32, IR_DOUBLE},
};

static bool is_exact_widening(int from, int to)
{
	for (size_t i = 0;
	     i < sizeof exact_widenings / sizeof exact_widenings[0]; i++)
		if (exact_widenings[i].from == from &&
		    exact_widenings[i].to == to)
			return true;
	return false;
}

/* The Cast feeding `index_op` that can be skipped, or NULL. */
static ir_node *skippable_cast(const ir_node *index_op)
{
	ir_value *t = index_op->inputs[0];
	ir_node *cast = ir_value_producer(t);
	if (!cast || !pass_value_has_one_use(t) || !ir_node_is(cast, "Cast") ||
	    cast->n_inputs != 1 || op_node_mistyped_attribute(cast) ||
	    !cast->inputs[0] || cast->n_outputs != 1)
		return NULL;
	const ir_attr *to = ir_node_attr(cast, "to");
	if (!to || to->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT ||
	    !to->proto->has_i)
		return NULL;
	int from = pass_elem_type(cast->inputs[0]);
	return is_exact_widening(from, (int)to->proto->i) ? cast : NULL;
}

static int rewrite_eliminate_nop_monotone_argmax(ir_model *model, ir_node *node,
                                                 pass_context *ctx)
{
	(void)ctx;
	if ((!ir_node_is(node, "ArgMax") && !ir_node_is(node, "ArgMin")) ||
	    node->n_inputs != 1 || op_node_mistyped_attribute(node) ||
	    ir_model_opset(model, "") < 6)
		return 0;
	int changes = 0;
	ir_node *cast;
	/* Casts can chain (int8 -> int32 -> int64); skip them all. */
	while ((cast = skippable_cast(node))) {
		ir_node_set_input(node, 0, cast->inputs[0]);
		ir_node_remove(cast);
		changes++;
	}
	return changes;
}

const pass pass_eliminate_nop_monotone_argmax = {
    .name = "eliminate_nop_monotone_argmax",
    .group = "eliminate",
    .summary = "drop exact widening Casts in front of ArgMax/ArgMin "
               "(rounding makes Exp, Softmax, ... inexact)",
    .needs = ANALYSIS_TYPES,
    .rewrite = rewrite_eliminate_nop_monotone_argmax,
};
