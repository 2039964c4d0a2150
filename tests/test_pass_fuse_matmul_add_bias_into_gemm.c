/*
 * test_pass_fuse_matmul_add_bias_into_gemm.c - 2-D MatMul + bias becomes
 * Gemm only when C broadcasts one way onto [M, N].
 */
#include "test_fuse_util.h"

static ir_model *matmul_add(const int64_t *x_dims, int x_rank,
                            const int64_t *c_dims, int c_rank, bool swapped,
                            ir_value **y)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", x_dims, x_rank);
	ir_value *w = tu_initializer_f32(g, "w", (float[]){1, 2, 3, 4, 5, 6},
	                                 TU_DIMS(2, 3));
	float c_data[12] = {1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6};
	ir_value *c = tu_initializer_f32(g, "c", c_data, c_dims, c_rank);
	ir_value *t = tu_op(g, "MatMul", x, w);
	*y = swapped ? tu_op(g, "Add", c, t) : tu_op(g, "Add", t, c);
	tu_output(*y);
	return m;
}

START_TEST(test_vector_bias_both_orders)
{
	for (int swapped = 0; swapped < 2; swapped++) {
		ir_value *y;
		ir_model *m =
		    matmul_add(TU_DIMS(4, 2), TU_DIMS(3), swapped, &y);
		ck_assert_int_eq(fu_run_equivalent(
		                     m, "fuse_matmul_add_bias_into_gemm", 1e-6),
		                 1);
		ck_assert_str_eq(y->producer->op_type, "Gemm");
		ck_assert_int_eq(m->graph->n_nodes, 1);
		ir_model_free(m);
	}
}
END_TEST

START_TEST(test_matrix_and_column_bias)
{
	ir_value *y;
	ir_model *m = matmul_add(TU_DIMS(4, 2), TU_DIMS(4, 3), false, &y);
	ck_assert_int_eq(
	    fu_run_equivalent(m, "fuse_matmul_add_bias_into_gemm", 1e-6), 1);
	ir_model_free(m);
	m = matmul_add(TU_DIMS(4, 2), TU_DIMS(4, 1), false, &y);
	ck_assert_int_eq(
	    fu_run_equivalent(m, "fuse_matmul_add_bias_into_gemm", 1e-6), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_three_d_stays)
{
	ir_value *y;
	ir_model *m = matmul_add(TU_DIMS(1, 4, 2), TU_DIMS(3), false, &y);
	ck_assert_int_eq(tu_run(m, "fuse_matmul_add_bias_into_gemm"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_bias_that_broadcasts_the_product)
{
	/* [2, 4, 3] would lift the [4, 3] product to rank 3; [3, 3] does
	 * not match M = 4. */
	ir_value *y;
	ir_model *m = matmul_add(TU_DIMS(4, 2), TU_DIMS(1, 4, 3), false, &y);
	ck_assert_int_eq(tu_run(m, "fuse_matmul_add_bias_into_gemm"), 0);
	ir_model_free(m);
	m = matmul_add(TU_DIMS(4, 2), TU_DIMS(3, 3), false, &y);
	ck_assert_int_eq(tu_run(m, "fuse_matmul_add_bias_into_gemm"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_product_read_twice)
{
	ir_value *y;
	ir_model *m = matmul_add(TU_DIMS(4, 2), TU_DIMS(3), false, &y);
	tu_output(y->producer->inputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_matmul_add_bias_into_gemm"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_symbolic_rows)
{
	/* x [batch, 2] with a C of [batch, 3] given as a graph input. */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_dim xd[2] = {{IR_DIM_PARAM, 0, "batch"}, {IR_DIM_VALUE, 2, NULL}};
	ir_dim cd[2] = {{IR_DIM_PARAM, 0, "batch"}, {IR_DIM_VALUE, 3, NULL}};
	ir_dim od[2] = {{IR_DIM_PARAM, 0, "other"}, {IR_DIM_VALUE, 3, NULL}};
	ir_value *x = ir_graph_add_input(g, "x", IR_FLOAT, 2, xd);
	ir_value *c = ir_graph_add_input(g, "c", IR_FLOAT, 2, cd);
	ir_value *c2 = ir_graph_add_input(g, "c2", IR_FLOAT, 2, od);
	ir_value *w = tu_initializer_f32(g, "w", (float[]){1, 2, 3, 4, 5, 6},
	                                 TU_DIMS(2, 3));
	tu_output(tu_op(g, "Add", tu_op(g, "MatMul", x, w), c));
	tu_output(tu_op(g, "Add", tu_op(g, "MatMul", x, w), c2));
	ck_assert_int_eq(tu_run(m, "fuse_matmul_add_bias_into_gemm"), 1);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_matmul_add_bias_into_gemm");
	TCase *tc = tcase_create("fuse_matmul_add_bias_into_gemm");
	tcase_add_test(tc, test_vector_bias_both_orders);
	tcase_add_test(tc, test_matrix_and_column_bias);
	tcase_add_test(tc, test_three_d_stays);
	tcase_add_test(tc, test_bias_that_broadcasts_the_product);
	tcase_add_test(tc, test_product_read_twice);
	tcase_add_test(tc, test_symbolic_rows);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
