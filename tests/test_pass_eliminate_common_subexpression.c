/*
 * test_pass_eliminate_common_subexpression.c - nodes merge only when op,
 * domain, inputs and attributes (by content) are equal, the op is
 * deterministic, and graph output names can be kept.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_common_subexpression"

static ir_node *transpose(ir_graph *g, ir_value *x, const int64_t *perm)
{
	ir_node *t = tu_node(g, "Transpose", TU_VALUES(x), 1);
	ir_node_set_attr_ints(t, "perm", perm, 2);
	return t;
}

START_TEST(test_merges_equal_nodes)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	ir_node *t1 = transpose(g, x, (int64_t[]){1, 0});
	ir_node *t2 = transpose(g, x, (int64_t[]){1, 0});
	ir_node *a = tu_node(g, "Neg", TU_VALUES(t1->outputs[0]), 1);
	ir_node *b = tu_node(g, "Neg", TU_VALUES(t2->outputs[0]), 1);
	tu_output(tu_op(g, "Add", a->outputs[0], b->outputs[0]));
	/* the Transposes merge, then the Negs read the same value and
	 * merge in the same sweep */
	ck_assert_int_eq(tu_run(m, PASS_NAME), 2);
	ck_assert_int_eq(tu_count_ops(m, "Transpose"), 1);
	ck_assert_int_eq(tu_count_ops(m, "Neg"), 1);
	ir_node *add = tu_find_node(g, "Add");
	ck_assert_ptr_eq(add->inputs[0], add->inputs[1]);
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

START_TEST(test_attributes_compared_by_content)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	ir_node *t1 = transpose(g, x, (int64_t[]){1, 0});
	ir_node *t2 = transpose(g, x, (int64_t[]){0, 1});
	/* the same attributes listed in another order */
	ir_node *c1 = tu_node(g, "Gemm", TU_VALUES(x, x), 1);
	ir_node_set_attr_float(c1, "alpha", 2.0f);
	ir_node_set_attr_int(c1, "transB", 1);
	ir_node *c2 = tu_node(g, "Gemm", TU_VALUES(x, x), 1);
	ir_node_set_attr_int(c2, "transB", 1);
	ir_node_set_attr_float(c2, "alpha", 2.0f);
	ir_node *c3 = tu_node(g, "Gemm", TU_VALUES(x, x), 1);
	ir_node_set_attr_int(c3, "transB", 1);
	ir_node_set_attr_float(c3, "alpha", 3.0f);
	/* 0.0 and -0.0 are different attribute values */
	ir_node *l1 = tu_node(g, "LeakyRelu", TU_VALUES(x), 1);
	ir_node_set_attr_float(l1, "alpha", 0.0f);
	ir_node *l2 = tu_node(g, "LeakyRelu", TU_VALUES(x), 1);
	ir_node_set_attr_float(l2, "alpha", -0.0f);
	ir_node *consumer[7] = {t1, t2, c1, c2, c3, l1, l2};
	for (int i = 0; i < 7; i++)
		tu_output(tu_op(g, "Neg", consumer[i]->outputs[0]));
	/* only c2 goes: the two Negs then read the same value, but both
	 * are graph outputs, so both names need their node */
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "Transpose"), 2);
	ck_assert_int_eq(tu_count_ops(m, "Gemm"), 2);
	ck_assert_int_eq(tu_count_ops(m, "LeakyRelu"), 2);
	ir_model_free(m);
}
END_TEST

START_TEST(test_never_merges_random_ops_or_custom_domains)
{
	const char *ops[] = {"RandomNormalLike", "RandomUniformLike",
	                     "Bernoulli", "Multinomial", "Dropout"};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		ir_model *m = tu_model(13);
		ir_graph *g = m->graph;
		ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
		ir_value *r1 = tu_op(g, ops[i], x), *r2 = tu_op(g, ops[i], x);
		tu_output(tu_op(g, "Add", r1, r2));
		ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
		ck_assert_int_eq(tu_count_ops(m, ops[i]), 2);
		ir_model_free(m);
	}
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	ir_value *r[2];
	for (int i = 0; i < 2; i++) {
		ir_node *n = ir_node_create(g, "Relu", "com.example", &x, 1, 1);
		ir_node_append(g, n);
		r[i] = n->outputs[0];
	}
	tu_output(tu_op(g, "Add", r[0], r[1]));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_graph_outputs)
{
	/* the later node's output is a graph output: it keeps its name and
	 * moves onto the earlier node */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *a = tu_op(g, "Relu", x);
	ir_value *b = tu_op(g, "Relu", x);
	ir_value *n = tu_op(g, "Neg", a);
	tu_output(b);
	tu_output(n);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "Relu"), 1);
	ck_assert_ptr_eq(g->outputs[0], b);
	ck_assert_ptr_eq(n->producer->inputs[0], b);
	m = eu_roundtrip(m);
	ir_model_free(m);

	/* both are graph outputs: two names, two nodes */
	m = tu_model(13);
	g = m->graph;
	x = tu_input(g, "x", TU_DIMS(4));
	tu_output(tu_op(g, "Relu", x));
	tu_output(tu_op(g, "Relu", x));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_constants_and_multiple_outputs)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	float v[2] = {1, 2}, w[2] = {1, 3};
	int64_t two[1] = {2};
	ir_value *k1 =
	    eu_constant(g, ir_tensor_create(m, IR_FLOAT, 1, two, v, sizeof v));
	ir_value *k2 =
	    eu_constant(g, ir_tensor_create(m, IR_FLOAT, 1, two, v, sizeof v));
	ir_value *k3 =
	    eu_constant(g, ir_tensor_create(m, IR_FLOAT, 1, two, w, sizeof w));
	ir_node *s1 = tu_node(g, "Split", TU_VALUES(x), 2);
	ir_node *s2 = tu_node(g, "Split", TU_VALUES(x), 2);
	ir_value *outs[] = {s1->outputs[0], s1->outputs[1], s2->outputs[0],
	                    s2->outputs[1]};
	for (int i = 0; i < 4; i++)
		tu_output(tu_op(g, "Add", outs[i],
		                i < 2    ? k1
		                : i == 2 ? k2
		                         : k3));
	/* k2 merges into k1, s2 into s1; then the Adds of outputs 0 (now
	 * both reading s1's output 0 and k1) merge as well */
	ck_assert_int_eq(tu_run(m, PASS_NAME), 2);
	ck_assert_int_eq(tu_count_ops(m, "Constant"), 2);
	ck_assert_int_eq(tu_count_ops(m, "Split"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_absent_output_cannot_stand_in)
{
	/* s1 has no second output; s2's second output is read, so s2
	 * cannot be replaced by s1 */
	proto_model *pm = proto_model_create(8, 13);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_node(pm, g, "Split", "s1", "x", "p,");
	proto_graph_add_node(pm, g, "Split", "s2", "x", "q,r");
	proto_graph_add_node(pm, g, "Neg", "n1", "p", "o1");
	proto_graph_add_node(pm, g, "Neg", "n2", "r", "o2");
	proto_graph_add_node(pm, g, "Abs", "n3", "q", "o3");
	proto_graph_add_output(pm, g, "o1", IR_FLOAT, NULL, -1);
	proto_graph_add_output(pm, g, "o2", IR_FLOAT, NULL, -1);
	proto_graph_add_output(pm, g, "o3", IR_FLOAT, NULL, -1);
	ir_model *m = tu_load_proto(pm);
	proto_model_free(pm);
	ck_assert_ptr_null(tu_find_node(m->graph, "Split")->outputs[1]);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_int_eq(tu_count_ops(m, "Split"), 2);
	ir_model_free(m);

	/* the other way round: s1 has both, s2 lacks one; s2 merges */
	pm = proto_model_create(8, 13);
	g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_node(pm, g, "Split", "s1", "x", "q,r");
	proto_graph_add_node(pm, g, "Split", "s2", "x", "p,");
	proto_graph_add_node(pm, g, "Neg", "n1", "p", "o1");
	proto_graph_add_node(pm, g, "Neg", "n2", "r", "o2");
	proto_graph_add_output(pm, g, "o1", IR_FLOAT, NULL, -1);
	proto_graph_add_output(pm, g, "o2", IR_FLOAT, NULL, -1);
	m = tu_load_proto(pm);
	proto_model_free(pm);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "Split"), 1);
	ck_assert_str_eq(tu_find_node(m->graph, "Neg")->inputs[0]->name, "q");
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

static Suite *cse_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *merges = tcase_create("merges");
	tcase_add_test(merges, test_merges_equal_nodes);
	tcase_add_test(merges, test_constants_and_multiple_outputs);
	tcase_add_test(merges, test_graph_outputs);
	suite_add_tcase(s, merges);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_attributes_compared_by_content);
	tcase_add_test(keeps, test_never_merges_random_ops_or_custom_domains);
	tcase_add_test(keeps, test_absent_output_cannot_stand_in);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(cse_suite());
}
