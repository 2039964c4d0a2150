/*
 * test_pass_eliminate_nop_flatten.c - Flatten goes when its 2-D output is
 * provably the input's shape, per axis and opset.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_nop_flatten"

/* x -> Relu -> Flatten(axis) -> Neg -> out, x with the given dims (a
 * negative entry is a symbolic dim). Returns the number of changes. */
static int run_flatten(int64_t opset, const int64_t *dims, int rank,
                       bool set_axis, int64_t axis)
{
	ir_model *m = tu_model(opset);
	ir_graph *g = m->graph;
	ir_dim shape[4];
	for (int i = 0; i < rank; i++)
		shape[i] = dims[i] < 0 ? (ir_dim){IR_DIM_PARAM, 0, "N"}
		                       : (ir_dim){IR_DIM_VALUE, dims[i], NULL};
	ir_value *x = ir_graph_add_input(g, "x", IR_FLOAT, rank, shape);
	ir_value *a = tu_op(g, "Relu", x);
	ir_value_set_type(a, IR_FLOAT, rank, shape);
	ir_node *flatten = tu_node(g, "Flatten", TU_VALUES(a), 1);
	if (set_axis)
		ir_node_set_attr_int(flatten, "axis", axis);
	tu_output(tu_op(g, "Neg", flatten->outputs[0]));
	int changes = tu_run(m, PASS_NAME);
	ck_assert_int_eq(tu_count_ops(m, "Flatten"), 1 - changes);
	if (changes)
		ck_assert_ptr_eq(tu_find_node(g, "Neg")->inputs[0], a);
	ir_model_free(m);
	return changes;
}

START_TEST(test_two_dims_axis_one)
{
	ck_assert_int_eq(run_flatten(13, (int64_t[]){-1, 8}, 2, false, 0), 1);
	ck_assert_int_eq(run_flatten(13, (int64_t[]){-1, 8}, 2, true, 1), 1);
	ck_assert_int_eq(run_flatten(13, (int64_t[]){-1, -1}, 2, true, -1), 1);
}
END_TEST

START_TEST(test_axis_zero_and_two_need_a_unit_dim)
{
	ck_assert_int_eq(run_flatten(13, (int64_t[]){1, 8}, 2, true, 0), 1);
	ck_assert_int_eq(run_flatten(13, (int64_t[]){2, 8}, 2, true, 0), 0);
	ck_assert_int_eq(run_flatten(13, (int64_t[]){-1, 8}, 2, true, 0), 0);
	ck_assert_int_eq(run_flatten(13, (int64_t[]){4, 1}, 2, true, 2), 1);
	ck_assert_int_eq(run_flatten(13, (int64_t[]){4, 8}, 2, true, 2), 0);
	ck_assert_int_eq(run_flatten(13, (int64_t[]){1, 8}, 2, true, -2), 1);
}
END_TEST

START_TEST(test_other_ranks_stay)
{
	ck_assert_int_eq(run_flatten(13, (int64_t[]){2, 3, 4}, 3, true, 1), 0);
	ck_assert_int_eq(run_flatten(13, (int64_t[]){6}, 1, true, 1), 0);
	ck_assert_int_eq(run_flatten(13, (int64_t[]){2, 3, 1}, 3, true, 2), 0);
}
END_TEST

START_TEST(test_negative_axis_needs_opset_11)
{
	ck_assert_int_eq(run_flatten(9, (int64_t[]){-1, 8}, 2, true, -1), 0);
	ck_assert_int_eq(run_flatten(11, (int64_t[]){-1, 8}, 2, true, -1), 1);
	ck_assert_int_eq(run_flatten(13, (int64_t[]){-1, 8}, 2, true, 3), 0);
}
END_TEST

static Suite *flatten_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *removes = tcase_create("removes");
	tcase_add_test(removes, test_two_dims_axis_one);
	tcase_add_test(removes, test_axis_zero_and_two_need_a_unit_dim);
	suite_add_tcase(s, removes);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_other_ranks_stay);
	tcase_add_test(keeps, test_negative_axis_needs_opset_11);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(flatten_suite());
}
