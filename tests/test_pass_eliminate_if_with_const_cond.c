/*
 * test_pass_eliminate_if_with_const_cond.c - an If with a constant
 * condition becomes the branch it takes; graph output names survive,
 * clashing names are renamed, and a condition a caller can feed keeps it.
 */
#include <string.h>

#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_if_with_const_cond"

enum cond_kind { COND_TRUE, COND_FALSE, COND_INPUT, COND_DEFAULT_INPUT };

/* main: x -> Relu -> a;  If(cond) {then: Neg(a) -> t} {else: Abs(x) -> e}
 * -> out (graph output) -> Exp -> out2 (graph output). */
static ir_model *if_model(enum cond_kind kind)
{
	proto_model *pm = proto_model_create(8, 13);
	Onnx__GraphProto *g = proto_main_graph(pm);
	uint8_t yes = 1, no = 0;
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	if (kind == COND_INPUT || kind == COND_DEFAULT_INPUT)
		proto_graph_add_input(pm, g, "cond", IR_BOOL, NULL, 0);
	if (kind != COND_INPUT)
		proto_graph_add_initializer(pm, g, "cond", IR_BOOL, NULL, 0,
		                            kind == COND_FALSE ? &no : &yes, 1);
	proto_graph_add_node(pm, g, "Relu", "relu", "x", "a");
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	proto_graph_add_node(pm, then_g, "Neg", "neg", "a", "t");
	proto_graph_add_output(pm, then_g, "t", IR_FLOAT, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_node(pm, else_g, "Abs", "abs", "x", "e");
	proto_graph_add_output(pm, else_g, "e", IR_FLOAT, NULL, -1);
	Onnx__NodeProto *n_if =
	    proto_graph_add_node(pm, g, "If", "if", "cond", "out");
	proto_node_set_attr_graph(pm, n_if, "then_branch", then_g);
	proto_node_set_attr_graph(pm, n_if, "else_branch", else_g);
	proto_graph_add_node(pm, g, "Exp", "exp", "out", "out2");
	proto_graph_add_output(pm, g, "out", IR_FLOAT, NULL, -1);
	proto_graph_add_output(pm, g, "out2", IR_FLOAT, NULL, -1);
	ir_model *m = tu_load_proto(pm);
	proto_model_free(pm);
	return m;
}

START_TEST(test_true_takes_then_branch)
{
	ir_model *m = if_model(COND_TRUE);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "If"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Neg"), 1);
	ck_assert_int_eq(tu_count_ops(m, "Abs"), 0);
	ck_assert_int_eq(m->graph->n_subgraphs, 0);
	ck_assert_str_eq(m->graph->outputs[0]->name, "out");
	ck_assert_str_eq(eu_output_source(m->graph, 0), "Neg");
	m = eu_roundtrip(m);
	ck_assert_str_eq(m->graph->outputs[0]->name, "out");
	ck_assert_str_eq(eu_output_source(m->graph, 0), "Neg");
	ir_model_free(m);
}
END_TEST

START_TEST(test_false_takes_else_branch)
{
	ir_model *m = if_model(COND_FALSE);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "If"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Neg"), 0);
	ck_assert_str_eq(eu_output_source(m->graph, 0), "Abs");
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_runtime_condition)
{
	ir_model *m = if_model(COND_INPUT);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_int_eq(tu_count_ops(m, "If"), 1);
	ir_model_free(m);

	m = if_model(COND_DEFAULT_INPUT); /* an overridable default */
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_int_eq(tu_count_ops(m, "If"), 1);
	ir_model_free(m);
}
END_TEST

/* The branch outputs an outer value directly, defines a name the main
 * graph uses too ("a"), and holds an initializer. */
static ir_model *tricky_if_model(void)
{
	proto_model *pm = proto_model_create(8, 13);
	Onnx__GraphProto *g = proto_main_graph(pm);
	uint8_t yes = 1;
	float two = 2;
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_initializer(pm, g, "cond", IR_BOOL, NULL, 0, &yes, 1);
	proto_graph_add_node(pm, g, "Relu", "relu", "x", "a");
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	proto_graph_add_initializer(pm, then_g, "k", IR_FLOAT, NULL, 0, &two,
	                            sizeof two);
	proto_graph_add_node(pm, then_g, "Mul", "mul", "x,k", "a");
	proto_graph_add_output(pm, then_g, "a", IR_FLOAT, NULL, -1);
	proto_graph_add_output(pm, then_g, "x", IR_FLOAT, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_node(pm, else_g, "Abs", "abs", "x", "e");
	proto_graph_add_output(pm, else_g, "e", IR_FLOAT, NULL, -1);
	proto_graph_add_output(pm, else_g, "e", IR_FLOAT, NULL, -1);
	Onnx__NodeProto *n_if =
	    proto_graph_add_node(pm, g, "If", "if", "cond", "o1,o2");
	proto_node_set_attr_graph(pm, n_if, "then_branch", then_g);
	proto_node_set_attr_graph(pm, n_if, "else_branch", else_g);
	proto_graph_add_node(pm, g, "Add", "add", "a,o1", "sum");
	proto_graph_add_output(pm, g, "sum", IR_FLOAT, NULL, -1);
	proto_graph_add_output(pm, g, "o2", IR_FLOAT, NULL, -1);
	ir_model *m = tu_load_proto(pm);
	proto_model_free(pm);
	return m;
}

START_TEST(test_outer_values_names_and_initializers)
{
	ir_model *m = tricky_if_model();
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_graph *g = m->graph;
	ck_assert_int_eq(tu_count_ops(m, "If"), 0);
	/* o2 was the outer x: an Identity keeps the output's name */
	ck_assert_str_eq(g->outputs[1]->name, "o2");
	ck_assert_str_eq(eu_output_source(g, 1), "Identity");
	/* the Add still reads the main graph's "a" and the Mul's result */
	ir_node *add = tu_find_node(g, "Add");
	ck_assert_str_eq(add->inputs[0]->name, "a");
	ck_assert_str_eq(add->inputs[0]->producer->op_type, "Relu");
	ck_assert_str_eq(add->inputs[1]->producer->op_type, "Mul");
	ck_assert_int_eq(g->n_initializers, 2);
	m = eu_roundtrip(m);
	add = tu_find_node(m->graph, "Add");
	ck_assert_str_eq(add->inputs[0]->producer->op_type, "Relu");
	ck_assert_str_eq(add->inputs[1]->producer->op_type, "Mul");
	ir_model_free(m);
}
END_TEST

static Suite *if_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *inlines = tcase_create("inlines");
	tcase_add_test(inlines, test_true_takes_then_branch);
	tcase_add_test(inlines, test_false_takes_else_branch);
	tcase_add_test(inlines, test_outer_values_names_and_initializers);
	suite_add_tcase(s, inlines);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_keeps_runtime_condition);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(if_suite());
}
