/*
 * fuse_coerced_softmax.c - a Softmax over the last axis, spelled out in
 * the pre-13 "coerced to 2-D" form, becomes one Softmax (opset >= 13).
 *
 *   before:  x -> Flatten(axis a) -> Softmax(axis 1 | -1) -> s
 *            x -> Shape -> sh;  s, sh -> Reshape -> y
 *   after:   x -> Softmax(axis -1) -> y
 *   (LogSoftmax and Hardmax alike.)
 *
 * convert_opset writes the before form when it upgrades a Softmax-11 whose
 * input rank it does not know yet (an exporter's If around a Squeeze, say);
 * once folding has made the rank known, this pass takes it back.
 *
 * Legality:
 *  - model opset >= 13 (the op normalizes one axis); standard domain, one
 *    graph;
 *  - x has a known rank r and a, normalized, is r - 1: the 2-D view is
 *    [rows, last dim], so normalizing its axis 1 is normalizing x's last
 *    axis, and the Reshape to Shape(x) restores x's shape exactly;
 *  - the Flatten and the op are read only by the pattern and are not graph
 *    outputs (Shape(x) may have other readers; it stays for them).
 */
#include "match.h"
#include "pass.h"

static int try_fuse(ir_model *model, ir_node *node, void *ctx)
{
	(void)ctx;
	static const char *const ops[] = {"Softmax", "LogSoftmax", "Hardmax"};
	match m;
	if (!match_begin(&m, model, node, "Reshape"))
		return 0;
	ir_node *op = NULL;
	for (int i = 0; i < 3 && !op; i++) {
		match_mark mark = match_save(&m);
		op = match_input(&m, node, 0, ops[i]);
		if (!op)
			match_restore(&m, mark);
	}
	ir_node *flatten = match_input(&m, op, 0, "Flatten");
	ir_value *x = match_operand(&m, flatten, 0);
	ir_value *shape = match_operand(&m, node, 1);
	int rank = match_rank(x);
	int64_t axis = flatten ? ir_attr_int(flatten, "axis", 1) : 0;
	if (axis < 0 && rank >= 0)
		axis += rank;
	int64_t op_axis = op ? ir_attr_int(op, "axis", -1) : 0;
	const ir_node *shape_of = ir_value_producer(shape);
	if (!match_check(
	        &m, match_opset_at_least(&m, 13) && op && rank >= 1 &&
	                axis == rank - 1 && (op_axis == 1 || op_axis == -1) &&
	                shape_of && ir_node_is(shape_of, "Shape") &&
	                shape_of->graph == node->graph &&
	                shape_of->n_inputs == 1 && shape_of->inputs[0] == x &&
	                !ir_node_attr(shape_of, "start") &&
	                !ir_node_attr(shape_of, "end")) ||
	    !match_private(&m))
		return 0;
	ir_node *fused = match_emit(&m, op->op_type, &x, 1, 1);
	ir_node_set_attr_int(fused, "axis", -1);
	if (!match_commit(&m, fused, 0))
		return 0;
	match_remove_dead_producers(shape);
	return 1;
}

static int run_fuse_coerced_softmax(ir_model *model, pass_context *ctx,
                                    ir_status *status)
{
	(void)ctx;
	(void)status;
	if (ir_model_opset(model, "") < 13)
		return 0;
	return match_for_each_node(model, try_fuse, NULL);
}

const pass pass_fuse_coerced_softmax = {
    .name = "fuse_coerced_softmax",
    .group = "fuse",
    .summary = "Flatten -> Softmax -> Reshape(Shape) over the last axis "
               "becomes one Softmax (opset >= 13)",
    .needs = ANALYSIS_TYPES,
    .run = run_fuse_coerced_softmax,
};
