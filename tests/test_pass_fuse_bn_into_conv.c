/*
 * test_pass_fuse_bn_into_conv.c - BatchNormalization folded into Conv,
 * ConvTranspose, Gemm and MatMul weights: the new numbers, and every case
 * where folding would be wrong.
 */
#include "test_fuse_util.h"

/* BN parameters for 2 channels: f = s / sqrt(var + eps). */
static const float bn_scale[2] = {2.0f, 0.5f};
static const float bn_bias[2] = {1.0f, -1.0f};
static const float bn_mean[2] = {0.5f, -2.0f};
static const float bn_var[2] = {3.0f, 0.25f};
#define EPS 1e-3

static double factor(int c)
{
	return bn_scale[c] / sqrt(bn_var[c] + EPS);
}

static double shift(int c, double bias)
{
	return (bias - bn_mean[c]) * factor(c) + bn_bias[c];
}

static ir_node *add_bn(ir_graph *g, ir_value *x)
{
	ir_value *s = tu_initializer_f32(g, "s", bn_scale, TU_DIMS(2));
	ir_value *b = tu_initializer_f32(g, "b", bn_bias, TU_DIMS(2));
	ir_value *mean = tu_initializer_f32(g, "m", bn_mean, TU_DIMS(2));
	ir_value *var = tu_initializer_f32(g, "v", bn_var, TU_DIMS(2));
	ir_node *bn =
	    tu_node(g, "BatchNormalization", TU_VALUES(x, s, b, mean, var), 1);
	ir_node_set_attr_float(bn, "epsilon", (float)EPS);
	return bn;
}

/* image [1, 3, 4, 4] -> Conv(W [2, 3, 1, 1], bias?) -> BN -> y */
static ir_model *conv_bn(int opset, bool with_bias, ir_node **conv_out,
                         ir_node **bn_out)
{
	ir_model *m = tu_model(opset);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "image", TU_DIMS(1, 3, 4, 4));
	ir_value *w = tu_initializer_f32(g, "w", (float[]){1, 2, 3, 4, 5, 6},
	                                 TU_DIMS(2, 3, 1, 1));
	ir_node *conv;
	if (with_bias) {
		ir_value *b = tu_initializer_f32(g, "cb", (float[]){0.25f, -4},
		                                 TU_DIMS(2));
		conv = tu_node(g, "Conv", TU_VALUES(x, w, b), 1);
	} else {
		conv = tu_node(g, "Conv", TU_VALUES(x, w), 1);
	}
	ir_node *bn = add_bn(g, conv->outputs[0]);
	tu_output(bn->outputs[0]);
	if (conv_out)
		*conv_out = conv;
	if (bn_out)
		*bn_out = bn;
	return m;
}

START_TEST(test_conv_with_bias)
{
	ir_node *conv, *bn;
	ir_model *m = conv_bn(13, true, &conv, &bn);
	ir_value *y = bn->outputs[0];
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 1);
	ck_assert_int_eq(tu_count_ops(m, "BatchNormalization"), 0);
	ck_assert_int_eq(m->graph->n_nodes, 1);
	ck_assert_ptr_eq(y->producer, conv);
	ck_assert_ptr_eq(m->graph->outputs[0], y);
	const float *w = fu_floats(conv->inputs[1], NULL);
	const float *b = fu_floats(conv->inputs[2], NULL);
	for (int i = 0; i < 6; i++)
		fu_assert_near(w[i], (i + 1) * factor(i / 3), 1e-6);
	fu_assert_near(b[0], shift(0, 0.25), 1e-6);
	fu_assert_near(b[1], shift(1, -4), 1e-6);
	/* The old weights and BN parameters are gone. */
	ck_assert_int_eq(m->graph->n_initializers, 2);
	m = tu_reload(m);
	ck_assert_int_eq(tu_count_ops(m, "Conv"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_conv_without_bias_gains_one)
{
	ir_node *conv;
	ir_model *m = conv_bn(13, false, &conv, NULL);
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 1);
	ck_assert_int_eq(conv->n_inputs, 3);
	const float *b = fu_floats(conv->inputs[2], NULL);
	fu_assert_near(b[0], shift(0, 0), 1e-6);
	fu_assert_near(b[1], shift(1, 0), 1e-6);
	ir_model_free(m);
}
END_TEST

START_TEST(test_conv_transpose_weight_layout)
{
	/* W [C_in = 2, C_out/group = 1, 1, 1], group 2: channel = i. And a
	 * non-grouped W [1, 2, 1, 1]: channel = j. */
	for (int grouped = 0; grouped < 2; grouped++) {
		ir_model *m = tu_model(13);
		ir_graph *g = m->graph;
		int64_t x_dims[4] = {1, grouped ? 2 : 1, 3, 3};
		int64_t w_dims[4] = {grouped ? 2 : 1, grouped ? 1 : 2, 1, 1};
		ir_value *x = tu_input(g, "x", x_dims, 4);
		ir_value *w =
		    tu_initializer_f32(g, "w", (float[]){3, 5}, w_dims, 4);
		ir_node *ct = tu_node(g, "ConvTranspose", TU_VALUES(x, w), 1);
		if (grouped)
			ir_node_set_attr_int(ct, "group", 2);
		tu_output(add_bn(g, ct->outputs[0])->outputs[0]);
		ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 1);
		const float *nw = fu_floats(ct->inputs[1], NULL);
		fu_assert_near(nw[0], 3 * factor(0), 1e-6);
		fu_assert_near(nw[1], 5 * factor(1), 1e-6);
		ir_model_free(m);
	}
}
END_TEST

START_TEST(test_conv_transpose_mixed_layout)
{
	/* W [C_in = 2, C_out = 2, 1, 1], group 1: element [i, j] feeds
	 * channel j, so each column is scaled, not each row. */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(1, 2, 3, 3));
	ir_value *w = tu_initializer_f32(g, "w", (float[]){1, 2, 3, 4},
	                                 TU_DIMS(2, 2, 1, 1));
	ir_node *ct = tu_node(g, "ConvTranspose", TU_VALUES(x, w), 1);
	tu_output(add_bn(g, ct->outputs[0])->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 1);
	const float *nw = fu_floats(ct->inputs[1], NULL);
	fu_assert_near(nw[0], 1 * factor(0), 1e-6);
	fu_assert_near(nw[1], 2 * factor(1), 1e-6);
	fu_assert_near(nw[2], 3 * factor(0), 1e-6);
	fu_assert_near(nw[3], 4 * factor(1), 1e-6);
	ir_model_free(m);
}
END_TEST

START_TEST(test_gemm_trans_b_and_beta)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *a = tu_input(g, "a", TU_DIMS(5, 3));
	/* B [N = 2, K = 3] with transB: row n belongs to channel n. */
	ir_value *b = tu_initializer_f32(g, "B", (float[]){1, 2, 3, 4, 5, 6},
	                                 TU_DIMS(2, 3));
	ir_value *c = tu_initializer_f32(g, "C", (float[]){10, 20}, TU_DIMS(2));
	ir_node *gemm = tu_node(g, "Gemm", TU_VALUES(a, b, c), 1);
	ir_node_set_attr_int(gemm, "transB", 1);
	ir_node_set_attr_float(gemm, "beta", 0.5f);
	tu_output(add_bn(g, gemm->outputs[0])->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 1);
	ck_assert_int_eq(m->graph->n_nodes, 1);
	const float *nb = fu_floats(gemm->inputs[1], NULL);
	const float *nc = fu_floats(gemm->inputs[2], NULL);
	for (int i = 0; i < 6; i++)
		fu_assert_near(nb[i], (i + 1) * factor(i / 3), 1e-5);
	fu_assert_near(nc[0], shift(0, 5), 1e-5);
	fu_assert_near(nc[1], shift(1, 10), 1e-5);
	fu_assert_near(ir_attr_float(gemm, "beta", 0), 1.0, 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_matmul_2d_becomes_gemm)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4, 3));
	ir_value *w = tu_initializer_f32(g, "W", (float[]){1, 2, 3, 4, 5, 6},
	                                 TU_DIMS(3, 2));
	ir_value *t = tu_op(g, "MatMul", x, w);
	ir_value *y = add_bn(g, t)->outputs[0];
	tu_output(y);
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 1);
	ir_node *gemm = tu_find_node(g, "Gemm");
	ck_assert_ptr_nonnull(gemm);
	ck_assert_int_eq(g->n_nodes, 1);
	ck_assert_ptr_eq(gemm->outputs[0], y);
	const float *nw = fu_floats(gemm->inputs[1], NULL);
	for (int i = 0; i < 6; i++) /* column j is channel j */
		fu_assert_near(nw[i], (i + 1) * factor(i % 2), 1e-5);
	ir_model_free(m);
}
END_TEST

START_TEST(test_matmul_3d_is_left_alone)
{
	/* BN's channel axis is 1, which is not W's column axis here. */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(1, 2, 3));
	ir_value *w = tu_initializer_f32(g, "W", (float[]){1, 2, 3, 4, 5, 6},
	                                 TU_DIMS(3, 2));
	tu_output(add_bn(g, tu_op(g, "MatMul", x, w))->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_second_reader_of_conv_output)
{
	ir_node *conv;
	ir_model *m = conv_bn(13, true, &conv, NULL);
	tu_output(tu_op(m->graph, "Relu", conv->outputs[0]));
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 0);
	ck_assert_int_eq(tu_count_ops(m, "BatchNormalization"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_conv_output_is_graph_output)
{
	ir_node *conv;
	ir_model *m = conv_bn(13, true, &conv, NULL);
	tu_output(conv->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_training_mode_is_left_alone)
{
	ir_node *bn;
	ir_model *m = conv_bn(14, true, NULL, &bn);
	ir_node_set_attr_int(bn, "training_mode", 1);
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_is_test_before_opset_7)
{
	ir_node *bn;
	ir_model *m = conv_bn(6, true, NULL, &bn);
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 0); /* training */
	ir_node_set_attr_int(bn, "is_test", 1);
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_spatial_zero_is_left_alone)
{
	ir_node *bn;
	ir_model *m = conv_bn(8, true, NULL, &bn);
	ir_node_set_attr_int(bn, "spatial", 0);
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_weights_that_are_graph_inputs)
{
	ir_node *conv;
	ir_model *m = conv_bn(13, true, &conv, NULL);
	conv->inputs[1]->is_graph_input = true; /* overridable default */
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_shared_weights_are_not_changed)
{
	ir_node *conv;
	ir_model *m = conv_bn(13, true, &conv, NULL);
	ir_graph *g = m->graph;
	ir_value *w = conv->inputs[1];
	ir_node *other = tu_node(g, "Conv", TU_VALUES(conv->inputs[0], w), 1);
	tu_output(other->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 1);
	ck_assert_ptr_eq(other->inputs[1], w);
	ck_assert_ptr_ne(conv->inputs[1], w);
	const float *old = fu_floats(w, NULL);
	fu_assert_near(old[5], 6, 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_float16_weights)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input_typed(g, "x", IR_FLOAT16, TU_DIMS(1, 1, 2, 2));
	uint16_t half_w[2] = {0x3c00, 0x4000}; /* 1.0, 2.0 */
	ir_tensor *wt = ir_tensor_create(m, IR_FLOAT16, 4,
	                                 (int64_t[]){2, 1, 1, 1}, half_w, 4);
	ir_value *w = ir_initializer_add(g, "w", wt);
	ir_node *conv = tu_node(g, "Conv", TU_VALUES(x, w), 1);
	tu_output(add_bn(g, conv->outputs[0])->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_bn_into_conv"), 1);
	ir_tensor *nw = conv->inputs[1]->tensor;
	ck_assert_int_eq(nw->elem_type, IR_FLOAT16);
	ck_assert_int_eq(conv->inputs[2]->tensor->elem_type, IR_FLOAT16);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_bn_into_conv");
	TCase *tc = tcase_create("fuse_bn_into_conv");
	tcase_add_test(tc, test_conv_with_bias);
	tcase_add_test(tc, test_conv_without_bias_gains_one);
	tcase_add_test(tc, test_conv_transpose_weight_layout);
	tcase_add_test(tc, test_conv_transpose_mixed_layout);
	tcase_add_test(tc, test_gemm_trans_b_and_beta);
	tcase_add_test(tc, test_matmul_2d_becomes_gemm);
	tcase_add_test(tc, test_matmul_3d_is_left_alone);
	tcase_add_test(tc, test_second_reader_of_conv_output);
	tcase_add_test(tc, test_conv_output_is_graph_output);
	tcase_add_test(tc, test_training_mode_is_left_alone);
	tcase_add_test(tc, test_is_test_before_opset_7);
	tcase_add_test(tc, test_spatial_zero_is_left_alone);
	tcase_add_test(tc, test_weights_that_are_graph_inputs);
	tcase_add_test(tc, test_shared_weights_are_not_changed);
	tcase_add_test(tc, test_float16_weights);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
