/*
 * eliminate_if_with_const_cond.c - replace an If whose condition is known
 * by the branch it takes.
 *
 *   before:  c = true (constant)
 *            If(c) { then: A(x) -> r } else { B(x) -> s } -> y -> C
 *   after:   A(x) -> y -> C
 *
 * The branch's nodes, initializers and values move into the If's graph
 * (ir_graph_inline_subgraph renames any whose name is taken elsewhere);
 * the If's outputs keep their names and take over the definitions of the
 * branch outputs, or are forwarded through an Identity when a branch
 * output is not a node output of the branch (an outer value, an
 * initializer). The rewrite is pass_inline_constant_if, which the fold
 * pass uses too; this is the standalone pass under onnxoptimizer's name.
 *
 * Legality:
 *  - If in the default ONNX domain;
 *  - the condition is a constant BOOL tensor with exactly one element (an
 *    initializer that is also a graph input is only a default, and stays);
 *  - the branch takes no inputs and has as many outputs as the If.
 */
#include "pass_util.h"

static int eliminate_in_graph(ir_graph *graph, void *ctx)
{
	(void)ctx;
	int changes = 0;
	ir_graph_for_each_node(graph, node)
	{
		if (pass_inline_constant_if(node))
			changes++;
	}
	return changes;
}

static int run_eliminate_if_with_const_cond(ir_model *model, pass_context *ctx,
                                            ir_status *status)
{
	(void)ctx;
	(void)status;
	return pass_for_each_graph(model, eliminate_in_graph, NULL);
}

const pass pass_eliminate_if_with_const_cond = {
    .name = "eliminate_if_with_const_cond",
    .group = "eliminate",
    .summary = "replace an If with a constant condition by the branch it "
               "takes",
    .run = run_eliminate_if_with_const_cond,
};
