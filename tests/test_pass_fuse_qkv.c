/*
 * test_pass_fuse_qkv.c - three projections of one input merge into one
 * MatMul and a Split (with or without biases), keeping q, k, v's names.
 */
#include "test_fuse_util.h"

typedef struct qkv {
	ir_model *m;
	ir_value *x, *q, *k, *v;
} qkv;

static qkv build(int opset, bool biases, int projections)
{
	qkv r = {0};
	r.m = tu_model(opset);
	ir_graph *g = r.m->graph;
	r.x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_value **outs[3] = {&r.q, &r.k, &r.v};
	for (int i = 0; i < projections; i++) {
		float w[4 * 5];
		for (int e = 0; e < 4 * (2 + i); e++)
			w[e] = (float)(e % 7) - 3.0f + (float)i;
		ir_value *wv =
		    tu_initializer_f32(g, "w", w, (int64_t[]){4, 2 + i}, 2);
		ir_value *t = tu_op(g, "MatMul", r.x, wv);
		if (biases)
			t = tu_op(g, "Add", t,
			          fu_ramp(g, "b", 2 + i, (float)i, 0.5f));
		*outs[i] = tu_op(g, "Relu", t);
		tu_output(*outs[i]);
	}
	return r;
}

static void assert_fused(int opset, bool biases)
{
	qkv r = build(opset, biases, 3);
	ir_value *t_q = r.q->producer->inputs[0];
	ck_assert_int_eq(fu_run_equivalent(r.m, "fuse_qkv", 0), 1);
	ck_assert_int_eq(tu_count_ops(r.m, "MatMul"), 1);
	ck_assert_int_eq(tu_count_ops(r.m, "Add"), biases ? 1 : 0);
	ir_node *split = tu_find_node(r.m->graph, "Split");
	ck_assert_ptr_nonnull(split);
	ck_assert_ptr_eq(split->outputs[0], t_q);
	if (opset < 13)
		ck_assert_str_eq(fu_ints_attr(split, "split"), "2,3,4");
	else
		ck_assert_str_eq(fu_ints_value(split->inputs[1]), "2,3,4");
	ck_assert_int_eq(ir_attr_int(split, "axis", 0), opset < 11 ? 2 : -1);
	ir_model_free(tu_reload(r.m));
}

START_TEST(test_plain_opset_13)
{
	assert_fused(13, false);
}
END_TEST

START_TEST(test_biases_opset_13)
{
	assert_fused(13, true);
}
END_TEST

START_TEST(test_split_attribute_forms)
{
	assert_fused(11, true);
	assert_fused(10, false);
}
END_TEST

START_TEST(test_two_projections_stay)
{
	qkv r = build(13, false, 2);
	ck_assert_int_eq(tu_run(r.m, "fuse_qkv"), 0);
	ir_model_free(r.m);
}
END_TEST

START_TEST(test_weights_not_constant)
{
	qkv r = build(13, false, 3);
	ir_value *w = r.k->producer->inputs[0]->producer->inputs[1];
	w->is_graph_input = true;
	ck_assert_int_eq(tu_run(r.m, "fuse_qkv"), 0);
	ir_model_free(r.m);
}
END_TEST

START_TEST(test_bias_product_exported_keeps_matmuls)
{
	/* One product is a graph output: the biases are not merged, but the
	 * MatMuls still are. */
	qkv r = build(13, true, 3);
	ir_value *product = r.v->producer->inputs[0]->producer->inputs[0];
	tu_output(product);
	ck_assert_int_eq(fu_run_equivalent(r.m, "fuse_qkv", 0), 1);
	ck_assert_int_eq(tu_count_ops(r.m, "Add"), 3);
	ck_assert_ptr_eq(r.m->graph->outputs[3], product);
	ir_model_free(r.m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_qkv");
	TCase *tc = tcase_create("fuse_qkv");
	tcase_add_test(tc, test_plain_opset_13);
	tcase_add_test(tc, test_biases_opset_13);
	tcase_add_test(tc, test_split_attribute_forms);
	tcase_add_test(tc, test_two_projections_stay);
	tcase_add_test(tc, test_weights_not_constant);
	tcase_add_test(tc, test_bias_product_exported_keeps_matmuls);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
