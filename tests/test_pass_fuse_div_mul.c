/*
 * test_pass_fuse_div_mul.c - Mul(Div(1, x), y) -> Div(y, x), floats only.
 */
#include "test_fuse_util.h"

START_TEST(test_fuses_both_orders)
{
	for (int swapped = 0; swapped < 2; swapped++) {
		ir_model *m = tu_model(13);
		ir_graph *g = m->graph;
		ir_value *x = tu_input(g, "x", TU_DIMS(3, 4));
		ir_value *y = tu_input(g, "y", TU_DIMS(3, 4));
		ir_value *r = tu_op(g, "Div", fu_scalar(g, 1), x);
		ir_value *z =
		    swapped ? tu_op(g, "Mul", y, r) : tu_op(g, "Mul", r, y);
		tu_output(z);
		ck_assert_int_eq(fu_run_equivalent(m, "fuse_div_mul", 1e-6), 1);
		ck_assert_str_eq(z->producer->op_type, "Div");
		ck_assert_ptr_eq(z->producer->inputs[0], y);
		ck_assert_ptr_eq(z->producer->inputs[1], x);
		ck_assert_int_eq(g->n_nodes, 1);
		ck_assert_int_eq(g->n_initializers, 0);
		ir_model_free(m);
	}
}
END_TEST

START_TEST(test_integers_stay)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input_typed(g, "x", IR_INT64, TU_DIMS(3));
	ir_value *y = tu_input_typed(g, "y", IR_INT64, TU_DIMS(3));
	ir_value *one = tu_initializer_i64(g, "one", (int64_t[]){1}, TU_SCALAR);
	tu_output(tu_op(g, "Mul", tu_op(g, "Div", one, x), y));
	ck_assert_int_eq(tu_run(m, "fuse_div_mul"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_numerator_not_one)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(3));
	ir_value *y = tu_input(g, "y", TU_DIMS(3));
	tu_output(tu_op(g, "Mul", tu_op(g, "Div", fu_scalar(g, 2), x), y));
	ck_assert_int_eq(tu_run(m, "fuse_div_mul"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_reciprocal_read_twice)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(3));
	ir_value *y = tu_input(g, "y", TU_DIMS(3));
	ir_value *r = tu_op(g, "Div", fu_scalar(g, 1), x);
	tu_output(tu_op(g, "Mul", r, y));
	tu_output(r);
	ck_assert_int_eq(tu_run(m, "fuse_div_mul"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_rank_one_numerator_on_scalars)
{
	/* Div([1], x) with scalar x and y is [1]; Div(y, x) would be a
	 * scalar. */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_SCALAR);
	ir_value *y = tu_input(g, "y", TU_SCALAR);
	ir_value *one = tu_initializer_f32(g, "one", (float[]){1}, TU_DIMS(1));
	tu_output(tu_op(g, "Mul", tu_op(g, "Div", one, x), y));
	ck_assert_int_eq(tu_run(m, "fuse_div_mul"), 0);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_div_mul");
	TCase *tc = tcase_create("fuse_div_mul");
	tcase_add_test(tc, test_fuses_both_orders);
	tcase_add_test(tc, test_integers_stay);
	tcase_add_test(tc, test_numerator_not_one);
	tcase_add_test(tc, test_reciprocal_read_twice);
	tcase_add_test(tc, test_rank_one_numerator_on_scalars);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
