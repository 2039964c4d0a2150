/*
 * test_pass_eliminate_nop_split.c - a Split with one output goes when its
 * sizes, if any, cover the whole axis; sizes in attribute and input form.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_nop_split"

/* x:[4,6] -> Relu -> Split(..., outputs) -> Neg(each) -> out. */
static ir_node *split_model(ir_model *m, ir_value *sizes, int n_outputs)
{
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4, 6));
	ir_value *a = tu_op(g, "Relu", x);
	ir_value_set_type(a, IR_FLOAT, x->type.rank, x->type.dims);
	ir_node *split =
	    sizes ? tu_node(g, "Split", TU_VALUES(a, sizes), n_outputs)
	          : tu_node(g, "Split", TU_VALUES(a), n_outputs);
	for (int i = 0; i < n_outputs; i++)
		tu_output(tu_op(g, "Neg", split->outputs[i]));
	return split;
}

START_TEST(test_single_output_without_sizes)
{
	ir_model *m = tu_model(13);
	ir_node *split = split_model(m, NULL, 1);
	ir_node_set_attr_int(split, "axis", -1);
	ir_value *a = split->inputs[0];
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "Split"), 0);
	ck_assert_ptr_eq(tu_find_node(m->graph, "Neg")->inputs[0], a);
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

START_TEST(test_sizes_input)
{
	ir_model *m = tu_model(13);
	ir_node *split = split_model(
	    m, tu_initializer_i64(m->graph, "s", (int64_t[]){6}, TU_DIMS(1)),
	    1);
	ir_node_set_attr_int(split, "axis", 1);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);

	m = tu_model(13); /* 3 of 6: fails at run time, stays */
	split = split_model(
	    m, tu_initializer_i64(m->graph, "s", (int64_t[]){3}, TU_DIMS(1)),
	    1);
	ir_node_set_attr_int(split, "axis", 1);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_sizes_attribute)
{
	ir_model *m = tu_model(11);
	ir_node *split = split_model(m, NULL, 1);
	ir_node_set_attr_ints(split, "split", (int64_t[]){4}, 1);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);

	m = tu_model(11);
	split = split_model(m, NULL, 1);
	ir_node_set_attr_ints(split, "split", (int64_t[]){6}, 1); /* axis 0 */
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_two_outputs)
{
	ir_model *m = tu_model(13);
	split_model(m, NULL, 2);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_num_outputs_and_axis_checks)
{
	ir_model *m = tu_model(18);
	ir_node *split = split_model(m, NULL, 1);
	ir_node_set_attr_int(split, "num_outputs", 2);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_node_set_attr_int(split, "num_outputs", 1);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);

	m = tu_model(13);
	split = split_model(m, NULL, 1);
	ir_node_set_attr_int(split, "axis", 2); /* out of range */
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);

	m = tu_model(10);
	split = split_model(m, NULL, 1);
	ir_node_set_attr_int(split, "axis", -1); /* negative: opset 11+ */
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

static Suite *split_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *removes = tcase_create("removes");
	tcase_add_test(removes, test_single_output_without_sizes);
	tcase_add_test(removes, test_sizes_input);
	tcase_add_test(removes, test_sizes_attribute);
	suite_add_tcase(s, removes);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_keeps_two_outputs);
	tcase_add_test(keeps, test_num_outputs_and_axis_checks);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(split_suite());
}
