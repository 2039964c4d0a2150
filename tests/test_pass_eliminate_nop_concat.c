/*
 * test_pass_eliminate_nop_concat.c - a Concat of one tensor goes; any
 * Concat that joins two, or that would fail at run time, stays.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_nop_concat"

/* x:[2,3] -> Relu -> Concat(inputs) -> Neg -> out; returns the Concat. */
static ir_node *concat_model(ir_model *m, int n_inputs)
{
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	ir_value *a = tu_op(g, "Relu", x);
	ir_value_set_type(a, IR_FLOAT, x->type.rank, x->type.dims);
	ir_value *inputs[2] = {a, a};
	ir_node *concat = tu_node(g, "Concat", inputs, n_inputs, 1);
	tu_output(tu_op(g, "Neg", concat->outputs[0]));
	return concat;
}

START_TEST(test_removes_single_input)
{
	ir_model *m = tu_model(13);
	ir_node *concat = concat_model(m, 1);
	ir_node_set_attr_int(concat, "axis", -1);
	ir_value *a = concat->inputs[0];
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "Concat"), 0);
	ck_assert_ptr_eq(tu_find_node(m->graph, "Neg")->inputs[0], a);
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_two_inputs)
{
	ir_model *m = tu_model(13);
	ir_node *concat = concat_model(m, 2);
	ir_node_set_attr_int(concat, "axis", 0);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_int_eq(tu_count_ops(m, "Concat"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_invalid_axis)
{
	ir_model *m = tu_model(13);
	ir_node *concat = concat_model(m, 1);
	ir_node_set_attr_int(concat, "axis", 2); /* rank is 2 */
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_axis_default_only_in_opset1)
{
	ir_model *m = tu_model(1);
	concat_model(m, 1);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);

	m = tu_model(4); /* axis is required from opset 4 */
	concat_model(m, 1);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_graph_output_between_inputs)
{
	/* x (graph input) -> Concat -> y (graph output): the name y is the
	 * only thing the Concat provides, so it stays. */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2));
	ir_node *concat = tu_node(g, "Concat", TU_VALUES(x), 1);
	ir_node_set_attr_int(concat, "axis", 0);
	tu_output(concat->outputs[0]);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

static Suite *concat_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *removes = tcase_create("removes");
	tcase_add_test(removes, test_removes_single_input);
	tcase_add_test(removes, test_axis_default_only_in_opset1);
	suite_add_tcase(s, removes);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_keeps_two_inputs);
	tcase_add_test(keeps, test_keeps_invalid_axis);
	tcase_add_test(keeps, test_graph_output_between_inputs);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(concat_suite());
}
