/*
 * fuse_consecutive_log_softmax.c - Log(Softmax(x)) becomes LogSoftmax(x).
 *
 *   before:  x -> Softmax(axis) -> t -> Log -> y
 *   after:   x -> LogSoftmax(axis) -> y
 *
 * At any one opset Softmax and LogSoftmax share the meaning and default
 * of `axis` (before 13: flatten to 2-D at axis, default 1; from 13: one
 * axis, default -1), so the attribute carries over unchanged. LogSoftmax
 * is also the more accurate of the two for very small probabilities.
 *
 * Legality: t is read only by the Log and is not a graph output; both
 * nodes are standard-domain nodes of one graph.
 */
#include "match.h"
#include "pass.h"

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	match_begin(&m, model, node, "Log");
	ir_node *softmax = match_input(&m, node, 0, "Softmax");
	ir_value *x = match_operand(&m, softmax, 0);
	if (!match_private(&m))
		return 0;
	ir_node *fused = match_emit(&m, "LogSoftmax", &x, 1, 1);
	if (ir_node_attr(softmax, "axis"))
		ir_node_set_attr_int(fused, "axis",
		                     ir_attr_int(softmax, "axis", 0));
	return match_commit(&m, fused, 0) ? 1 : 0;
}

const pass pass_fuse_consecutive_log_softmax = {
    .name = "fuse_consecutive_log_softmax",
    .group = "fuse",
    .summary = "turn Log(Softmax(x)) into LogSoftmax(x)",
    .rewrite = try_fuse,
};
