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
 * target has a 0: with allowzero=0 (the only meaning before opset 14) a 0
 * copies the dim of its *input*, which for the outer Reshape is y, not x.
 * So the outer Reshape reads x directly only when its target does not
 * depend on y's shape:
 *  - the outer allowzero is 1 (a 0 is a literal 0), or
 *  - s2 is constant and has no 0, or
 *  - s2 is constant and every 0 in it can be resolved through s1: where
 *    s1 has a positive entry, the 0 becomes that entry; where s1 has a 0
 *    that copies x's dim (inner allowzero=0), the 0 stays and now copies
 *    the same dim straight from x. A -1 in s1 there (or s1 not constant,
 *    or shorter) leaves the pair alone. The resolved target is a new
 *    initializer.
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
	ir_value *y = outer->inputs[0];
	if (!y || y->def != IR_DEF_NODE || !y->producer)
		return NULL;
	ir_node *inner = y->producer;
	if (!ir_node_is(inner, outer->op_type))
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

static bool allows_zero(const ir_node *reshape, int64_t opset)
{
	return opset >= 14 && ir_attr_int(reshape, "allowzero", 0) != 0;
}

/* The outer target with its 0 entries resolved through the inner one.
 * Sets *new_target to NULL when s2 can be used as it is. */
static bool resolve_outer_target(const ir_node *inner, const ir_node *outer,
                                 int64_t opset, ir_tensor **new_target)
{
	*new_target = NULL;
	if (allows_zero(outer, opset))
		return true;
	ir_tensor *t2 = pass_constant_tensor(outer->inputs[1]);
	const int64_t *s2;
	int64_t n2;
	if (!t2 || t2->rank != 1 || t2->elem_type != IR_INT64 ||
	    !pass_constant_ints(outer->inputs[1], &s2, &n2))
		return false;
	bool has_zero = false;
	for (int64_t i = 0; i < n2; i++)
		has_zero |= s2[i] == 0;
	if (!has_zero)
		return true;
	ir_tensor *t1 = pass_constant_tensor(inner->inputs[1]);
	const int64_t *s1;
	int64_t n1;
	if (!t1 || t1->rank != 1 || t1->elem_type != IR_INT64 ||
	    !pass_constant_ints(inner->inputs[1], &s1, &n1))
		return false;
	bool inner_copies_zero = !allows_zero(inner, opset);
	ir_model *model = outer->graph->model;
	int64_t *resolved = ir_alloc(model, sizeof *resolved * (size_t)n2);
	for (int64_t i = 0; i < n2; i++) {
		resolved[i] = s2[i];
		if (s2[i] != 0)
			continue;
		if (i >= n1)
			return false;
		if (s1[i] > 0)
			resolved[i] = s1[i];
		else if (!(s1[i] == 0 && inner_copies_zero))
			return false;
	}
	*new_target = ir_tensor_create(model, IR_INT64, 1, &n2, resolved,
	                               sizeof *resolved * (size_t)n2);
	return true;
}

static int merge_reshapes(ir_node *outer, int64_t opset)
{
	if (opset < 5 || !is_reshape_with_input_target(outer))
		return 0;
	ir_node *inner = same_op_producer(outer);
	if (!inner || !is_reshape_with_input_target(inner))
		return 0;
	ir_tensor *new_target;
	if (!resolve_outer_target(inner, outer, opset, &new_target))
		return 0;
	if (new_target)
		ir_node_set_input(
		    outer, 1,
		    ir_initializer_add(outer->graph, "shape", new_target));
	ir_node_set_input(outer, 0, inner->inputs[0]);
	pass_remove_if_dead(inner);
	return 1;
}

static int eliminate_in_graph(ir_graph *graph, void *ctx)
{
	int64_t opset = *(const int64_t *)ctx;
	int changes = 0;
	ir_graph_for_each_node(graph, node)
	{
		if (is_idempotent_unary(node))
			changes += merge_unary(node);
		else if (ir_node_is(node, "Reshape"))
			changes += merge_reshapes(node, opset);
	}
	return changes;
}

static int run_eliminate_consecutive_idempotent_ops(ir_model *model,
                                                    pass_context *ctx,
                                                    ir_status *status)
{
	(void)ctx;
	(void)status;
	int64_t opset = ir_model_opset(model, "");
	return pass_for_each_graph(model, eliminate_in_graph, &opset);
}

const pass pass_eliminate_consecutive_idempotent_ops = {
    .name = "eliminate_consecutive_idempotent_ops",
    .group = "eliminate",
    .summary = "f(f(x)) -> f(x) for Relu, Abs, Ceil, Floor, Round, Sign; "
               "merge Reshape chains (0 entries resolved)",
    .run = run_eliminate_consecutive_idempotent_ops,
};
