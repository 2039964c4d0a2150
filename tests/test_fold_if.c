/*
 * test_fold_if.c - ir_graph_inline_subgraph and `fold` on If nodes with a
 * constant condition: the taken branch's nodes move into the parent, the
 * If's outputs keep their names, names that would clash are renamed,
 * nested bodies follow, and the IR stays valid (verified and reloaded).
 */
#include <string.h>

#include "test_util.h"

typedef struct if_model {
	proto_model *pm;
	Onnx__GraphProto *main, *then_branch, *else_branch;
	Onnx__NodeProto *node;
} if_model;

/* main: x:[2] -> If(cond) -> y:[2]; cond is a constant or an input. */
static void if_model_start(if_model *im, bool constant, bool value)
{
	im->pm = proto_model_create(8, 13);
	im->main = proto_main_graph(im->pm);
	proto_graph_add_input(im->pm, im->main, "x", IR_FLOAT, (int64_t[]){2},
	                      1);
	uint8_t cond = value;
	if (constant)
		proto_graph_add_initializer(im->pm, im->main, "cond", IR_BOOL,
		                            NULL, 0, &cond, 1);
	else
		proto_graph_add_input(im->pm, im->main, "cond", IR_BOOL, NULL,
		                      0);
	im->then_branch = proto_graph_create(im->pm, "then");
	im->else_branch = proto_graph_create(im->pm, "else");
	im->node =
	    proto_graph_add_node(im->pm, im->main, "If", "if", "cond", "y");
	proto_node_set_attr_graph(im->pm, im->node, "then_branch",
	                          im->then_branch);
	proto_node_set_attr_graph(im->pm, im->node, "else_branch",
	                          im->else_branch);
	proto_graph_add_output(im->pm, im->main, "y", IR_FLOAT, (int64_t[]){2},
	                       1);
}

static ir_model *if_model_load(if_model *im)
{
	ir_model *m = tu_load_proto(im->pm);
	proto_model_free(im->pm);
	return m;
}

static void branch_op(if_model *im, Onnx__GraphProto *branch, const char *op,
                      const char *in, const char *out)
{
	proto_graph_add_node(im->pm, branch, op, op, in, out);
	proto_graph_add_output(im->pm, branch, out, IR_FLOAT, (int64_t[]){2},
	                       1);
}

static ir_node *find_if(ir_model *m)
{
	return tu_find_node(m->graph, "If");
}

static ir_graph *branch_of(ir_node *node, const char *name)
{
	const ir_attr *a = ir_node_attr(node, name);
	return a ? a->graph : NULL;
}

START_TEST(true_condition_takes_then_branch)
{
	if_model im;
	if_model_start(&im, true, true);
	branch_op(&im, im.then_branch, "Neg", "x", "t");
	branch_op(&im, im.else_branch, "Abs", "x", "e");
	ir_model *m = if_model_load(&im);
	tu_run(m, "fold");
	ck_assert_int_eq(tu_count_ops(m, "If"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Abs"), 0);
	ir_node *neg = tu_find_node(m->graph, "Neg");
	ck_assert_ptr_nonnull(neg);
	ck_assert_ptr_eq(neg->graph, m->graph);
	ck_assert_str_eq(neg->outputs[0]->name, "y");
	ck_assert_ptr_eq(m->graph->outputs[0], neg->outputs[0]);
	ck_assert_int_eq(m->graph->n_subgraphs, 0);
	m = tu_reload(m);
	ck_assert_str_eq(m->graph->outputs[0]->name, "y");
	ck_assert_int_eq(tu_count_ops(m, "Neg"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(false_condition_takes_else_branch)
{
	if_model im;
	if_model_start(&im, true, false);
	branch_op(&im, im.then_branch, "Neg", "x", "t");
	branch_op(&im, im.else_branch, "Abs", "x", "e");
	ir_model *m = if_model_load(&im);
	tu_run(m, "fold");
	ck_assert_int_eq(tu_count_ops(m, "If"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Neg"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Abs"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(input_condition_is_left_alone)
{
	if_model im;
	if_model_start(&im, false, true);
	branch_op(&im, im.then_branch, "Neg", "x", "t");
	branch_op(&im, im.else_branch, "Abs", "x", "e");
	ir_model *m = if_model_load(&im);
	tu_run(m, "fold");
	ck_assert_int_eq(tu_count_ops(m, "If"), 1);
	ir_model_free(m);
}
END_TEST

/* A branch that returns an outer value has no node to hand over: the If
 * output is forwarded through an Identity and keeps its name. */
START_TEST(branch_returning_outer_value_gets_identity)
{
	if_model im;
	if_model_start(&im, true, true);
	proto_graph_add_output(im.pm, im.then_branch, "x", IR_FLOAT,
	                       (int64_t[]){2}, 1);
	branch_op(&im, im.else_branch, "Abs", "x", "e");
	ir_model *m = if_model_load(&im);
	ir_node *node = find_if(m);
	ir_status status = {0};
	ck_assert(ir_graph_inline_subgraph(node, branch_of(node, "then_branch"),
	                                   &status));
	tu_assert_valid(m);
	ir_node *id = tu_find_node(m->graph, "Identity");
	ck_assert_ptr_nonnull(id);
	ck_assert_str_eq(id->inputs[0]->name, "x");
	ck_assert_str_eq(id->outputs[0]->name, "y");
	ck_assert_ptr_eq(m->graph->outputs[0], id->outputs[0]);
	ir_model_free(m);
}
END_TEST

/* A branch initializer moves into the parent; the fold pass then folds
 * the forwarding Identity too, so y ends as a constant named y. */
START_TEST(branch_initializer_moves_and_folds)
{
	if_model im;
	if_model_start(&im, true, true);
	float k[2] = {5, 6};
	proto_graph_add_initializer(im.pm, im.then_branch, "k", IR_FLOAT,
	                            (int64_t[]){2}, 1, k, sizeof k);
	proto_graph_add_output(im.pm, im.then_branch, "k", IR_FLOAT,
	                       (int64_t[]){2}, 1);
	branch_op(&im, im.else_branch, "Abs", "x", "e");
	ir_model *m = if_model_load(&im);
	tu_run(m, "fold,dce");
	ck_assert_int_eq(m->graph->n_nodes, 0);
	ir_value *y = m->graph->outputs[0];
	ck_assert_str_eq(y->name, "y");
	ck_assert(ir_value_is_constant(y));
	const void *data;
	size_t size;
	ck_assert(ir_tensor_raw(m, y->tensor, &data, &size));
	ck_assert(size == 8 && ((const float *)data)[1] == 6);
	ir_model_free(m);
}
END_TEST

/* "t" defined in the taken branch and also inside another If's branch:
 * moving it up unrenamed would let the other branch shadow it. */
START_TEST(moved_names_that_clash_are_renamed)
{
	if_model im;
	if_model_start(&im, true, true);
	branch_op(&im, im.then_branch, "Neg", "x", "t");
	branch_op(&im, im.else_branch, "Abs", "x", "e");
	Onnx__GraphProto *other_then = proto_graph_create(im.pm, "other_then");
	Onnx__GraphProto *other_else = proto_graph_create(im.pm, "other_else");
	proto_graph_add_input(im.pm, im.main, "c2", IR_BOOL, NULL, 0);
	branch_op(&im, other_then, "Relu", "x", "t");
	branch_op(&im, other_else, "Sigmoid", "x", "u");
	Onnx__NodeProto *other =
	    proto_graph_add_node(im.pm, im.main, "If", "other", "c2", "z");
	proto_node_set_attr_graph(im.pm, other, "then_branch", other_then);
	proto_node_set_attr_graph(im.pm, other, "else_branch", other_else);
	proto_graph_add_output(im.pm, im.main, "z", IR_FLOAT, (int64_t[]){2},
	                       1);
	ir_model *m = if_model_load(&im);
	ir_node *node = find_if(m);
	ck_assert_str_eq(node->name, "if");
	ir_value *t = ir_graph_lookup(branch_of(node, "then_branch"), "t");
	ck_assert_ptr_nonnull(t);
	ir_status status = {0};
	ck_assert(ir_graph_inline_subgraph(node, branch_of(node, "then_branch"),
	                                   &status));
	tu_assert_valid(m);
	ck_assert_ptr_eq(ir_graph_lookup(m->graph, "y"), m->graph->outputs[0]);
	ck_assert_ptr_null(ir_graph_lookup(m->graph, "t"));
	ir_node *rest = find_if(m);
	ck_assert_str_eq(rest->name, "other");
	ir_graph *other_branch = branch_of(rest, "then_branch");
	ck_assert_ptr_eq(ir_graph_lookup(other_branch, "t")->graph,
	                 other_branch);
	m = tu_reload(m);
	ck_assert_int_eq(tu_count_ops(m, "If"), 1);
	ir_model_free(m);
}
END_TEST

/* An If inside the taken branch comes up with its own bodies, which now
 * hang under the main graph. */
START_TEST(nested_bodies_follow_their_node)
{
	if_model im;
	if_model_start(&im, true, true);
	Onnx__GraphProto *inner_then = proto_graph_create(im.pm, "inner_then");
	Onnx__GraphProto *inner_else = proto_graph_create(im.pm, "inner_else");
	proto_graph_add_input(im.pm, im.main, "c2", IR_BOOL, NULL, 0);
	branch_op(&im, inner_then, "Neg", "x", "a");
	branch_op(&im, inner_else, "Abs", "x", "b");
	Onnx__NodeProto *inner = proto_graph_add_node(im.pm, im.then_branch,
	                                              "If", "inner", "c2", "t");
	proto_node_set_attr_graph(im.pm, inner, "then_branch", inner_then);
	proto_node_set_attr_graph(im.pm, inner, "else_branch", inner_else);
	proto_graph_add_output(im.pm, im.then_branch, "t", IR_FLOAT,
	                       (int64_t[]){2}, 1);
	branch_op(&im, im.else_branch, "Sigmoid", "x", "e");
	ir_model *m = if_model_load(&im);
	tu_run(m, "fold");
	ir_node *node = find_if(m);
	ck_assert_ptr_nonnull(node);
	ck_assert_str_eq(node->name, "inner");
	ck_assert_str_eq(node->outputs[0]->name, "y");
	ck_assert_int_eq(m->graph->n_subgraphs, 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_ptr_eq(m->graph->subgraphs[i]->parent, m->graph);
		ck_assert_ptr_eq(m->graph->subgraphs[i]->parent_node, node);
	}
	m = tu_reload(m);
	ck_assert_int_eq(tu_count_ops(m, "If"), 1);
	ck_assert_int_eq(tu_count_ops(m, "Sigmoid"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(mismatched_body_is_refused_untouched)
{
	if_model im;
	if_model_start(&im, true, true);
	branch_op(&im, im.then_branch, "Neg", "x", "t");
	branch_op(&im, im.then_branch, "Abs", "x", "t2"); /* 2 outputs */
	branch_op(&im, im.else_branch, "Abs", "x", "e");
	ir_model *m = if_model_load(&im);
	ir_node *node = find_if(m);
	ir_status status = {0};
	ck_assert(!ir_graph_inline_subgraph(
	    node, branch_of(node, "then_branch"), &status));
	ck_assert_int_ne(status.code, IR_OK);
	tu_assert_valid(m);
	ck_assert_int_eq(tu_count_ops(m, "If"), 1);
	ir_model_free(m);
}
END_TEST

static Suite *fold_if_suite(void)
{
	Suite *s = suite_create("fold-if");
	TCase *tc = tcase_create("inline");
	tcase_add_test(tc, true_condition_takes_then_branch);
	tcase_add_test(tc, false_condition_takes_else_branch);
	tcase_add_test(tc, input_condition_is_left_alone);
	tcase_add_test(tc, branch_returning_outer_value_gets_identity);
	tcase_add_test(tc, branch_initializer_moves_and_folds);
	tcase_add_test(tc, moved_names_that_clash_are_renamed);
	tcase_add_test(tc, nested_bodies_follow_their_node);
	tcase_add_test(tc, mismatched_body_is_refused_untouched);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(fold_if_suite());
}
