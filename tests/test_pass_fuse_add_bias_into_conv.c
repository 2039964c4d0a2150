/*
 * test_pass_fuse_add_bias_into_conv.c - per-channel Adds after a Conv
 * become its bias; Adds that broadcast differently stay.
 */
#include "test_fuse_util.h"

/* x [1, 3, 4, 4] -> Conv(W [2, 3, 1, 1][, b]) -> t -> Add(t, B) -> y */
static ir_model *conv_add(const float *bias_data, const int64_t *dims, int rank,
                          bool old_bias, bool swapped, ir_node **conv,
                          ir_value **y)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(1, 3, 4, 4));
	ir_value *w = tu_initializer_f32(g, "w", (float[]){1, 2, 3, 4, 5, 6},
	                                 TU_DIMS(2, 3, 1, 1));
	ir_value *b = tu_initializer_f32(g, "b", (float[]){10, 20}, TU_DIMS(2));
	*conv = old_bias ? tu_node(g, "Conv", TU_VALUES(x, w, b), 1)
	                 : tu_node(g, "Conv", TU_VALUES(x, w), 1);
	ir_value *bias = tu_initializer_f32(g, "B", bias_data, dims, rank);
	ir_value *t = (*conv)->outputs[0];
	*y = swapped ? tu_op(g, "Add", bias, t) : tu_op(g, "Add", t, bias);
	tu_output(*y);
	return m;
}

START_TEST(test_channel_column)
{
	ir_node *conv;
	ir_value *y;
	ir_model *m = conv_add((float[]){1, 2}, TU_DIMS(2, 1, 1), false, false,
	                       &conv, &y);
	ck_assert_int_eq(tu_run(m, "fuse_add_bias_into_conv"), 1);
	ck_assert_ptr_eq(y->producer, conv);
	ck_assert_int_eq(m->graph->n_nodes, 1);
	const float *b = fu_floats(conv->inputs[2], NULL);
	fu_assert_near(b[0], 1, 0);
	fu_assert_near(b[1], 2, 0);
	ir_model_free(tu_reload(m));
}
END_TEST

START_TEST(test_full_rank_swapped_with_old_bias)
{
	ir_node *conv;
	ir_value *y;
	ir_model *m = conv_add((float[]){1, 2}, TU_DIMS(1, 2, 1, 1), true, true,
	                       &conv, &y);
	ck_assert_int_eq(tu_run(m, "fuse_add_bias_into_conv"), 1);
	const float *b = fu_floats(conv->inputs[2], NULL);
	fu_assert_near(b[0], 11, 0);
	fu_assert_near(b[1], 22, 0);
	ck_assert_int_eq(m->graph->n_initializers, 2); /* w and the new b */
	ir_model_free(m);
}
END_TEST

START_TEST(test_scalar)
{
	ir_node *conv;
	ir_value *y;
	ir_model *m =
	    conv_add((float[]){3}, TU_SCALAR, false, false, &conv, &y);
	ck_assert_int_eq(tu_run(m, "fuse_add_bias_into_conv"), 1);
	const float *b = fu_floats(conv->inputs[2], NULL);
	fu_assert_near(b[0], 3, 0);
	fu_assert_near(b[1], 3, 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_last_axis_vector_is_not_a_bias)
{
	/* [4] adds along the width, not per channel. */
	ir_node *conv;
	ir_value *y;
	ir_model *m = conv_add((float[]){1, 2, 3, 4}, TU_DIMS(4), false, false,
	                       &conv, &y);
	ck_assert_int_eq(tu_run(m, "fuse_add_bias_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_batch_axis_broadcast)
{
	/* [2, 1, 1, 1] would broadcast the batch of 1 to 2. */
	ir_node *conv;
	ir_value *y;
	ir_model *m = conv_add((float[]){1, 2}, TU_DIMS(2, 1, 1, 1), false,
	                       false, &conv, &y);
	ck_assert_int_eq(tu_run(m, "fuse_add_bias_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_second_reader)
{
	ir_node *conv;
	ir_value *y;
	ir_model *m = conv_add((float[]){1, 2}, TU_DIMS(2, 1, 1), false, false,
	                       &conv, &y);
	tu_output(tu_op(m->graph, "Relu", conv->outputs[0]));
	ck_assert_int_eq(tu_run(m, "fuse_add_bias_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_conv_output_is_graph_output)
{
	ir_node *conv;
	ir_value *y;
	ir_model *m = conv_add((float[]){1, 2}, TU_DIMS(2, 1, 1), false, false,
	                       &conv, &y);
	tu_output(conv->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_add_bias_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_bias_not_constant)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(1, 3, 4, 4));
	ir_value *bias = tu_input(g, "bias", TU_DIMS(2, 1, 1));
	ir_value *w = tu_initializer_f32(g, "w", (float[]){1, 2, 3, 4, 5, 6},
	                                 TU_DIMS(2, 3, 1, 1));
	tu_output(tu_op(g, "Add", tu_op(g, "Conv", x, w), bias));
	ck_assert_int_eq(tu_run(m, "fuse_add_bias_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_add_bias_into_conv");
	TCase *tc = tcase_create("fuse_add_bias_into_conv");
	tcase_add_test(tc, test_channel_column);
	tcase_add_test(tc, test_full_rank_swapped_with_old_bias);
	tcase_add_test(tc, test_scalar);
	tcase_add_test(tc, test_last_axis_vector_is_not_a_bias);
	tcase_add_test(tc, test_batch_axis_broadcast);
	tcase_add_test(tc, test_second_reader);
	tcase_add_test(tc, test_conv_output_is_graph_output);
	tcase_add_test(tc, test_bias_not_constant);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
