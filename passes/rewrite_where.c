/*
 * rewrite_where.c - fold a Not into the Where it feeds.
 *
 *   before:  c -> Not -> n -> Where(n, x, y) -> z
 *   after:   c -> Where(c, y, x) -> z
 *
 * Where(not c, x, y) picks x where c is false and y where c is true,
 * which is Where(c, y, x). Broadcasting is symmetric in its operands, so
 * swapping x and y gives the same output shape, and they share one type.
 *
 * Legality:
 *  - Where and Not in the default ONNX domain;
 *  - Not's output is read only by this Where's condition and is not a
 *    graph output, so the Not goes away (a Where that reads it twice, as
 *    condition and value, is left alone);
 *  - the Where keeps its output value, so graph output names survive.
 */
#include "ops.h"
#include "pass_util.h"

static int rewrite_where(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)model;
	(void)ctx;
	if (!ir_node_is(node, "Where") || node->n_inputs != 3 ||
	    op_node_mistyped_attribute(node) || !node->inputs[0] ||
	    !node->inputs[1] || !node->inputs[2])
		return 0;
	ir_value *negated = node->inputs[0];
	ir_node *not_node = ir_value_producer(negated);
	if (!not_node || !pass_value_has_one_use(negated))
		return 0;
	if (!ir_node_is(not_node, "Not") || not_node->n_inputs != 1 ||
	    op_node_mistyped_attribute(not_node) || !not_node->inputs[0] ||
	    not_node->n_outputs != 1)
		return 0;
	/* A Not in an outer graph: its input must not be shadowed by a name
	 * in the Where's own scope. */
	ir_value *c = not_node->inputs[0];
	if (ir_graph_lookup(node->graph, c->name) != c)
		return 0;
	ir_value *x = node->inputs[1], *y = node->inputs[2];
	ir_node_set_input(node, 0, c);
	ir_node_set_input(node, 1, y);
	ir_node_set_input(node, 2, x);
	ir_node_remove(not_node);
	return 1;
}

const pass pass_rewrite_where = {
    .name = "rewrite_where",
    .group = "eliminate",
    .summary = "Where(Not(c), x, y) -> Where(c, y, x)",
    .rewrite = rewrite_where,
};
