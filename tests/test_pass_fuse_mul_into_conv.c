/*
 * test_pass_fuse_mul_into_conv.c - per-channel Muls after a Conv scale its
 * weights and bias; other Muls stay.
 */
#include "test_fuse_util.h"

static ir_model *conv_mul(const float *s, const int64_t *dims, int rank,
                          bool with_bias, ir_node **conv, ir_value **y)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(1, 3, 4, 4));
	ir_value *w = tu_initializer_f32(g, "w", (float[]){1, 2, 3, 4, 5, 6},
	                                 TU_DIMS(2, 3, 1, 1));
	ir_value *b = tu_initializer_f32(g, "b", (float[]){10, 20}, TU_DIMS(2));
	*conv = with_bias ? tu_node(g, "Conv", TU_VALUES(x, w, b), 1)
	                  : tu_node(g, "Conv", TU_VALUES(x, w), 1);
	ir_value *scale = tu_initializer_f32(g, "s", s, dims, rank);
	*y = tu_op(g, "Mul", scale, (*conv)->outputs[0]);
	tu_output(*y);
	return m;
}

START_TEST(test_per_channel)
{
	ir_node *conv;
	ir_value *y;
	ir_model *m =
	    conv_mul((float[]){2, -1}, TU_DIMS(1, 2, 1, 1), true, &conv, &y);
	ck_assert_int_eq(tu_run(m, "fuse_mul_into_conv"), 1);
	ck_assert_ptr_eq(y->producer, conv);
	const float *w = fu_floats(conv->inputs[1], NULL);
	const float *b = fu_floats(conv->inputs[2], NULL);
	static const float want_w[6] = {2, 4, 6, -4, -5, -6};
	for (int i = 0; i < 6; i++)
		fu_assert_near(w[i], want_w[i], 0);
	fu_assert_near(b[0], 20, 0);
	fu_assert_near(b[1], -20, 0);
	ck_assert_int_eq(m->graph->n_initializers, 2);
	ir_model_free(tu_reload(m));
}
END_TEST

START_TEST(test_scalar_without_bias)
{
	ir_node *conv;
	ir_value *y;
	ir_model *m = conv_mul((float[]){0.5f}, TU_SCALAR, false, &conv, &y);
	ck_assert_int_eq(tu_run(m, "fuse_mul_into_conv"), 1);
	ck_assert_int_eq(conv->n_inputs, 2);
	const float *w = fu_floats(conv->inputs[1], NULL);
	fu_assert_near(w[5], 3, 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_spatial_scale_is_left_alone)
{
	ir_node *conv;
	ir_value *y;
	ir_model *m = conv_mul((float[]){1, 2, 3, 4}, TU_DIMS(1, 1, 1, 4), true,
	                       &conv, &y);
	ck_assert_int_eq(tu_run(m, "fuse_mul_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_second_reader)
{
	ir_node *conv;
	ir_value *y;
	ir_model *m =
	    conv_mul((float[]){2, 3}, TU_DIMS(2, 1, 1), true, &conv, &y);
	tu_output(tu_op(m->graph, "Relu", conv->outputs[0]));
	ck_assert_int_eq(tu_run(m, "fuse_mul_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_conv_output_is_graph_output)
{
	ir_node *conv;
	ir_value *y;
	ir_model *m =
	    conv_mul((float[]){2, 3}, TU_DIMS(2, 1, 1), true, &conv, &y);
	tu_output(conv->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_mul_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_mul_into_conv");
	TCase *tc = tcase_create("fuse_mul_into_conv");
	tcase_add_test(tc, test_per_channel);
	tcase_add_test(tc, test_scalar_without_bias);
	tcase_add_test(tc, test_spatial_scale_is_left_alone);
	tcase_add_test(tc, test_second_reader);
	tcase_add_test(tc, test_conv_output_is_graph_output);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
