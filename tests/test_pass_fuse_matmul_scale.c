/*
 * test_pass_fuse_matmul_scale.c - scalar Mul/Div after a MatMul with
 * constant weights folds into the weights.
 */
#include "test_fuse_util.h"

static ir_model *build(const char *op, bool weights_first, bool swapped,
                       float scale, ir_node **matmul, ir_value **y)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 2));
	ir_value *w =
	    tu_initializer_f32(g, "w", (float[]){1, 2, 3, 4}, TU_DIMS(2, 2));
	*matmul = weights_first ? tu_node(g, "MatMul", TU_VALUES(w, x), 1)
	                        : tu_node(g, "MatMul", TU_VALUES(x, w), 1);
	ir_value *t = (*matmul)->outputs[0];
	ir_value *s = fu_scalar(g, scale);
	*y = swapped ? tu_op(g, op, s, t) : tu_op(g, op, t, s);
	tu_output(*y);
	return m;
}

START_TEST(test_mul_either_side)
{
	for (int i = 0; i < 4; i++) {
		ir_node *mm;
		ir_value *y;
		ir_model *m = build("Mul", i & 1, i & 2, 0.25f, &mm, &y);
		ck_assert_int_eq(
		    fu_run_equivalent(m, "fuse_matmul_scale", 1e-6), 1);
		ck_assert_ptr_eq(y->producer, mm);
		const float *w = fu_floats(mm->inputs[(i & 1) ? 0 : 1], NULL);
		fu_assert_near(w[3], 1.0, 0);
		ck_assert_int_eq(m->graph->n_initializers, 1);
		ir_model_free(m);
	}
}
END_TEST

START_TEST(test_div)
{
	ir_node *mm;
	ir_value *y;
	ir_model *m = build("Div", false, false, 8.0f, &mm, &y);
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_matmul_scale", 1e-6), 1);
	const float *w = fu_floats(mm->inputs[1], NULL);
	fu_assert_near(w[0], 0.125, 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_divided_by_product_stays)
{
	ir_node *mm;
	ir_value *y;
	ir_model *m = build("Div", false, true, 8.0f, &mm, &y);
	ck_assert_int_eq(tu_run(m, "fuse_matmul_scale"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_non_scalar_stays)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 2));
	ir_value *w =
	    tu_initializer_f32(g, "w", (float[]){1, 2, 3, 4}, TU_DIMS(2, 2));
	ir_value *s = tu_initializer_f32(g, "s", (float[]){1, 2}, TU_DIMS(2));
	tu_output(tu_op(g, "Mul", tu_op(g, "MatMul", x, w), s));
	ck_assert_int_eq(tu_run(m, "fuse_matmul_scale"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_shared_weights_keep_their_values)
{
	ir_node *mm;
	ir_value *y;
	ir_model *m = build("Mul", false, false, 3.0f, &mm, &y);
	ir_value *w = mm->inputs[1];
	tu_output(tu_op(m->graph, "MatMul", m->graph->inputs[0], w));
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_matmul_scale", 1e-6), 1);
	fu_assert_near(fu_floats(w, NULL)[1], 2, 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_product_read_twice)
{
	ir_node *mm;
	ir_value *y;
	ir_model *m = build("Mul", false, false, 3.0f, &mm, &y);
	tu_output(mm->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_matmul_scale"), 0);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_matmul_scale");
	TCase *tc = tcase_create("fuse_matmul_scale");
	tcase_add_test(tc, test_mul_either_side);
	tcase_add_test(tc, test_div);
	tcase_add_test(tc, test_divided_by_product_stays);
	tcase_add_test(tc, test_non_scalar_stays);
	tcase_add_test(tc, test_shared_weights_keep_their_values);
	tcase_add_test(tc, test_product_read_twice);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
