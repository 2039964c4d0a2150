/*
 * eliminate_consecutive_idempotent_ops.c - f(f(x)) = f(x).
 *
 *   before:  x -> Relu -> y -> Relu -> z -> A
 *   after:   x -> Relu -> y -> A
 *
 *   before:  x -> Reshape(s1) -> y -> Reshape(s2) -> z
 *   after:   x -> Reshape(s2') -> z          (y's Reshape goes if unread)
 *
 * Elementwise ops that fix every value they produce, for every element
 * type they accept, which the operator table marks OP_IDEMPOTENT: Relu,
 * Abs (also for the wrapped INT_MIN), Ceil, Floor, Round, Sign. The outer node
 * is removed and its readers read y, which stays even if others read it too.
 *
 * Reshape only looks at its input's element count, except where the
 * target has a 0 that copies a dim of its input (y, for the outer one):
 * the outer Reshape reads x directly when pass_reshape_through (shared
 * with fuse_consecutive_reshapes) resolves its target without y's shape;
 * a resolved target is a new initializer.
 *
 * Legality:
 *  - both nodes in the default ONNX domain, same op type, one input and
 *    one output each (Reshape: input form, opset 5 or later);
 *  - for the elementwise ops: graph output names survive (see
 *    pass_remove_passthrough);
 *  - for Reshape: the conditions above; the inner Reshape is removed
 *    only when nothing else reads y and y is not a graph output.
 */
#include "ops.h"
#include "pass_util.h"

static bool is_idempotent_unary(const ir_node *node)
{
	return node->n_inputs == 1 && node->n_outputs == 1 && node->inputs[0] &&
	       op_node_has(node, OP_IDEMPOTENT) &&
	       !op_node_mistyped_attribute(node);
}

/* The node that defines the outer node's first input, if it has the
 * outer node's op type and domain. */
static ir_node *same_op_producer(const ir_node *outer)
{
	ir_node *inner = ir_value_producer(outer->inputs[0]);
	if (!inner || !ir_node_is(inner, outer->op_type))
		return NULL;
	return inner;
}

static int merge_unary(ir_node *outer)
{
	ir_node *inner = same_op_producer(outer);
	if (!inner || !is_idempotent_unary(inner))
		return 0;
	return pass_remove_passthrough(outer, 0, outer->inputs[0]) ? 1 : 0;
}

/* ------------------------------------------------------------- Reshape */

static bool is_reshape_with_input_target(const ir_node *node)
{
	return ir_node_is(node, "Reshape") && node->n_inputs == 2 &&
	       node->inputs[0] && node->inputs[1] && node->n_outputs == 1 &&
	       !op_node_mistyped_attribute(node);
}

static int merge_reshapes(ir_node *outer, int64_t opset)
{
	(void)opset;
	if (!is_reshape_with_input_target(outer))
		return 0;
	ir_node *inner = same_op_producer(outer);
	if (!inner || !is_reshape_with_input_target(inner))
		return 0;
	ir_tensor *new_target;
	if (!pass_reshape_through(inner, outer, &new_target))
		return 0;
	if (new_target)
		ir_node_set_input(
		    outer, 1,
		    ir_initializer_add(outer->graph, "shape", new_target));
	ir_node_set_input(outer, 0, inner->inputs[0]);
	pass_remove_if_dead(inner);
	return 1;
}

static int rewrite_eliminate_consecutive_idempotent_ops(ir_model *model,
                                                        ir_node *node,
                                                        pass_context *ctx)
{
	(void)ctx;
	if (is_idempotent_unary(node))
		return merge_unary(node);
	if (ir_node_is(node, "Reshape"))
		return merge_reshapes(node, ir_model_opset(model, ""));
	return 0;
}

const pass pass_eliminate_consecutive_idempotent_ops = {
    .name = "eliminate_consecutive_idempotent_ops",
    .group = "eliminate",
    .summary = "f(f(x)) -> f(x) for Relu, Abs, Ceil, Floor, Round, Sign; "
               "merge Reshape chains (0 entries resolved)",
    .rewrite = rewrite_eliminate_consecutive_idempotent_ops,
};
