/*
 * test_pass_eliminate_identity.c - Identity nodes go, graph output names
 * stay, and nothing crosses a scope it cannot.
 */
#include <stdio.h>

#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_identity"

START_TEST(test_removes_identity_between_nodes)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *a = tu_op(g, "Relu", x);
	ir_value *b = tu_op(g, "Identity", a);
	ir_node *neg = tu_node(g, "Neg", TU_VALUES(b), 1);
	tu_output(neg->outputs[0]);

	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "Identity"), 0);
	ck_assert_ptr_eq(neg->inputs[0], a);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	m = eu_roundtrip(m);
	ck_assert_int_eq(m->graph->n_nodes, 2);
	ir_model_free(m);
}
END_TEST

START_TEST(test_graph_output_keeps_its_name)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *a = tu_op(g, "Relu", x);
	ir_value *y = tu_op(g, "Identity", a);
	ir_value *side = tu_op(g, "Neg", a); /* a has another reader */
	tu_output(y);
	tu_output(side);
	char name[64];
	snprintf(name, sizeof name, "%s", y->name);

	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "Identity"), 0);
	ck_assert_str_eq(g->outputs[0]->name, name);
	ck_assert_str_eq(eu_output_source(g, 0), "Relu");
	/* Neg now reads the graph output value, which Relu defines. */
	ck_assert_ptr_eq(side->producer->inputs[0], g->outputs[0]);
	m = eu_roundtrip(m);
	ck_assert_str_eq(m->graph->outputs[0]->name, name);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_identity_from_input_to_output)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	tu_output(tu_op(g, "Identity", x));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_int_eq(tu_count_ops(m, "Identity"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_identity_between_two_graph_outputs)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *a = tu_op(g, "Relu", x);
	tu_output(a);
	tu_output(tu_op(g, "Identity", a));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_int_eq(tu_count_ops(m, "Identity"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_identity_from_initializer_to_output)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *w = tu_initializer_f32(g, "w", (float[]){1, 2}, TU_DIMS(2));
	tu_output(tu_op(g, "Identity", w));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_custom_domain_identity)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *a = tu_op(g, "Relu", x);
	ir_node *id = ir_node_create(g, "Identity", "com.example", &a, 1, 1);
	ir_node_append(g, id);
	tu_output(tu_op(g, "Neg", id->outputs[0]));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_int_eq(g->n_nodes, 3);
	ir_model_free(m);
}
END_TEST

START_TEST(test_chain_of_identities)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *v = tu_op(g, "Relu", x);
	for (int i = 0; i < 3; i++)
		v = tu_op(g, "Identity", v);
	tu_output(v);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 3);
	ck_assert_int_eq(g->n_nodes, 1);
	ck_assert_str_eq(eu_output_source(g, 0), "Relu");
	ir_model_free(m);
}
END_TEST

/* main: x -> If(cond) { then: Identity(x) -> t1 (body output: stays, it
 * reads an outer value); Neg(x) -> n; Identity(n) -> t2 (removed, the body
 * output keeps its name) } */
static proto_model *identity_in_body_model(void)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_input(pm, g, "cond", IR_BOOL, NULL, 0);
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	proto_graph_add_node(pm, then_g, "Identity", "id_outer", "x", "t1");
	proto_graph_add_node(pm, then_g, "Neg", "neg", "x", "n");
	proto_graph_add_node(pm, then_g, "Identity", "id_inner", "n", "t2");
	proto_graph_add_output(pm, then_g, "t1", IR_FLOAT, NULL, -1);
	proto_graph_add_output(pm, then_g, "t2", IR_FLOAT, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_node(pm, else_g, "Abs", "abs", "x", "e");
	proto_graph_add_output(pm, else_g, "e", IR_FLOAT, NULL, -1);
	proto_graph_add_output(pm, else_g, "e", IR_FLOAT, NULL, -1);
	Onnx__NodeProto *n_if =
	    proto_graph_add_node(pm, g, "If", "if", "cond", "o1,o2");
	proto_node_set_attr_graph(pm, n_if, "then_branch", then_g);
	proto_node_set_attr_graph(pm, n_if, "else_branch", else_g);
	proto_graph_add_output(pm, g, "o1", IR_FLOAT, NULL, -1);
	proto_graph_add_output(pm, g, "o2", IR_FLOAT, NULL, -1);
	return pm;
}

START_TEST(test_inside_subgraph)
{
	proto_model *pm = identity_in_body_model();
	ir_model *m = tu_load_proto(pm);
	proto_model_free(pm);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "Identity"), 1);
	ir_graph *then_g = ir_node_attr(m->graph->first, "then_branch")->graph;
	ck_assert_str_eq(then_g->outputs[0]->name, "t1");
	ck_assert_str_eq(eu_output_source(then_g, 0), "Identity");
	ck_assert_str_eq(then_g->outputs[1]->name, "t2");
	ck_assert_str_eq(eu_output_source(then_g, 1), "Neg");
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

static Suite *identity_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *removes = tcase_create("removes");
	tcase_add_test(removes, test_removes_identity_between_nodes);
	tcase_add_test(removes, test_graph_output_keeps_its_name);
	tcase_add_test(removes, test_chain_of_identities);
	tcase_add_test(removes, test_inside_subgraph);
	suite_add_tcase(s, removes);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_keeps_identity_from_input_to_output);
	tcase_add_test(keeps, test_keeps_identity_between_two_graph_outputs);
	tcase_add_test(keeps, test_keeps_identity_from_initializer_to_output);
	tcase_add_test(keeps, test_keeps_custom_domain_identity);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(identity_suite());
}
