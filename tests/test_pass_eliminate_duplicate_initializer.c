/*
 * test_pass_eliminate_duplicate_initializer.c - initializers merge only
 * when type, dims and bytes are all equal, the kept one is visible (and
 * not shadowed) at every reader, and neither is a graph input or output.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_duplicate_initializer"

static const float data6[6] = {1, 2, 3, 4, 5, 6};

START_TEST(test_merges_equal_initializers)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	ir_value *w1 = tu_initializer_f32(g, "w1", data6, TU_DIMS(2, 3));
	ir_value *w2 = tu_initializer_f32(g, "w2", data6, TU_DIMS(2, 3));
	ir_value *w3 = tu_initializer_f32(g, "w3", data6, TU_DIMS(2, 3));
	ir_node *add = tu_node(g, "Add", TU_VALUES(x, w2), 1);
	ir_node *mul = tu_node(g, "Mul", TU_VALUES(add->outputs[0], w3), 1);
	ir_node *sub = tu_node(g, "Sub", TU_VALUES(mul->outputs[0], w1), 1);
	tu_output(sub->outputs[0]);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 2);
	ck_assert_int_eq(g->n_initializers, 1);
	ck_assert_ptr_eq(add->inputs[1], w1);
	ck_assert_ptr_eq(mul->inputs[1], w1);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	m = eu_roundtrip(m);
	ck_assert_int_eq(m->graph->n_initializers, 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_different_dims_types_and_data)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(6));
	float other[6] = {1, 2, 3, 4, 5, 7};
	int32_t as_int[6];
	memcpy(as_int, data6, sizeof as_int); /* the same bytes */
	ir_value *vals[4] = {
	    tu_initializer_f32(g, "a", data6, TU_DIMS(2, 3)),
	    tu_initializer_f32(g, "b", data6, TU_DIMS(3, 2)),
	    tu_initializer_f32(g, "c", other, TU_DIMS(2, 3)),
	    eu_initializer(g, "d", IR_INT32, as_int, 4, TU_DIMS(2, 3)),
	};
	for (int i = 0; i < 4; i++)
		tu_output(tu_op(g, "Reshape", x, vals[i]));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_int_eq(g->n_initializers, 4);
	ir_model_free(m);
}
END_TEST

START_TEST(test_graph_outputs_keep_their_initializer)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(6));
	ir_value *a = tu_initializer_f32(g, "a", data6, TU_DIMS(6));
	ir_value *b = tu_initializer_f32(g, "b", data6, TU_DIMS(6));
	tu_output(tu_op(g, "Add", x, a));
	tu_output(b); /* the later one is a graph output: stays */
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);

	m = tu_model(13);
	g = m->graph;
	x = tu_input(g, "x", TU_DIMS(6));
	a = tu_initializer_f32(g, "a", data6, TU_DIMS(6));
	b = tu_initializer_f32(g, "b", data6, TU_DIMS(6));
	ir_node *add = tu_node(g, "Add", TU_VALUES(x, b), 1);
	tu_output(add->outputs[0]);
	tu_output(a); /* the kept one may be an output */
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_ptr_eq(add->inputs[1], a);
	ir_model_free(m);
}
END_TEST

START_TEST(test_strings)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ProtobufCBinaryData s1[2] = {{2, (uint8_t *)"ab"}, {1, (uint8_t *)"c"}};
	ProtobufCBinaryData s2[2] = {{1, (uint8_t *)"a"}, {2, (uint8_t *)"bc"}};
	int64_t dims[1] = {2};
	ir_value *a = ir_initializer_add(
	    g, "a", ir_tensor_create_strings(m, 1, dims, s1));
	ir_value *b = ir_initializer_add(
	    g, "b", ir_tensor_create_strings(m, 1, dims, s1));
	ir_value *c = ir_initializer_add(
	    g, "c", ir_tensor_create_strings(m, 1, dims, s2));
	ir_node *ia = tu_node(g, "Identity", TU_VALUES(a), 1);
	ir_node *ib = tu_node(g, "Identity", TU_VALUES(b), 1);
	ir_node *ic = tu_node(g, "Identity", TU_VALUES(c), 1);
	tu_output(ia->outputs[0]);
	tu_output(ib->outputs[0]);
	tu_output(ic->outputs[0]);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_ptr_eq(ib->inputs[0], a);
	ck_assert_ptr_eq(ic->inputs[0], c); /* same bytes, other split */
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

/* main: initializer w; If(cond) {then: init w_then = w, Mul(x, w_then);
 * optionally a node output named "w" shadowing the outer w} {else: init
 * w_else = w, Mul(x, w_else)}. */
static ir_model *scoped_model(bool shadow, bool outer_is_input)
{
	proto_model *pm = proto_model_create(8, 13);
	Onnx__GraphProto *g = proto_main_graph(pm);
	float w[2] = {3, 4};
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_input(pm, g, "cond", IR_BOOL, NULL, 0);
	if (outer_is_input)
		proto_graph_add_input(pm, g, "w", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_initializer(pm, g, "w", IR_FLOAT, (int64_t[]){2}, 1, w,
	                            sizeof w);
	proto_graph_add_node(pm, g, "Add", "use_w", "x,w", "xw");
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	proto_graph_add_initializer(pm, then_g, "w_then", IR_FLOAT,
	                            (int64_t[]){2}, 1, w, sizeof w);
	if (shadow) {
		proto_graph_add_node(pm, then_g, "Neg", "neg", "x", "w");
		proto_graph_add_node(pm, then_g, "Mul", "mul", "w,w_then", "t");
	} else {
		proto_graph_add_node(pm, then_g, "Mul", "mul", "x,w_then", "t");
	}
	proto_graph_add_output(pm, then_g, "t", IR_FLOAT, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_initializer(pm, else_g, "w_else", IR_FLOAT,
	                            (int64_t[]){2}, 1, w, sizeof w);
	proto_graph_add_node(pm, else_g, "Mul", "mul2", "x,w_else", "e");
	proto_graph_add_output(pm, else_g, "e", IR_FLOAT, NULL, -1);
	Onnx__NodeProto *n_if =
	    proto_graph_add_node(pm, g, "If", "if", "cond", "out");
	proto_node_set_attr_graph(pm, n_if, "then_branch", then_g);
	proto_node_set_attr_graph(pm, n_if, "else_branch", else_g);
	proto_graph_add_output(pm, g, "out", IR_FLOAT, NULL, -1);
	proto_graph_add_output(pm, g, "xw", IR_FLOAT, NULL, -1);
	ir_model *m = tu_load_proto(pm);
	proto_model_free(pm);
	return m;
}

static int count_initializers(const ir_graph *g)
{
	int n = g->n_initializers;
	for (int i = 0; i < g->n_subgraphs; i++)
		n += count_initializers(g->subgraphs[i]);
	return n;
}

START_TEST(test_subgraph_initializers_use_the_outer_one)
{
	ir_model *m = scoped_model(false, false);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 2);
	ck_assert_int_eq(count_initializers(m->graph), 1);
	m = eu_roundtrip(m);
	ck_assert_int_eq(count_initializers(m->graph), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_shadowed_or_overridable_outer_initializer)
{
	/* then: "w" names the Neg's output, so w_then cannot become w; the
	 * else branch can still use it */
	ir_model *m = scoped_model(true, false);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(count_initializers(m->graph), 2);
	m = eu_roundtrip(m);
	ir_model_free(m);

	/* an outer w that is also a graph input is only a default; the two
	 * branches are siblings and never merge with each other */
	m = scoped_model(false, true);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_int_eq(count_initializers(m->graph), 3);
	ir_model_free(m);
}
END_TEST

static Suite *duplicate_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *merges = tcase_create("merges");
	tcase_add_test(merges, test_merges_equal_initializers);
	tcase_add_test(merges, test_strings);
	tcase_add_test(merges, test_subgraph_initializers_use_the_outer_one);
	suite_add_tcase(s, merges);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_keeps_different_dims_types_and_data);
	tcase_add_test(keeps, test_graph_outputs_keep_their_initializer);
	tcase_add_test(keeps, test_shadowed_or_overridable_outer_initializer);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(duplicate_suite());
}
