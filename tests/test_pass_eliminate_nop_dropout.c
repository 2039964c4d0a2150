/*
 * test_pass_eliminate_nop_dropout.c - Dropout goes exactly where the spec
 * of the model's opset makes it a copy, and its mask is unused.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_nop_dropout"

/* x -> Relu -> Dropout(inputs...) -> Neg -> out; returns the Dropout. */
static ir_node *dropout_model(ir_model *m, ir_value *ratio, ir_value *training,
                              int n_outputs)
{
	ir_graph *g = m->graph;
	ir_value *x = ir_graph_lookup(g, "x");
	ir_value *a = tu_op(g, "Relu", x);
	ir_value *inputs[3] = {a, ratio, training};
	int n_inputs = training ? 3 : ratio ? 2 : 1;
	ir_node *d = tu_node(g, "Dropout", inputs, n_inputs, n_outputs);
	tu_output(tu_op(g, "Neg", d->outputs[0]));
	return d;
}

static ir_model *model_at(int64_t opset)
{
	ir_model *m = tu_model(opset);
	tu_input(m->graph, "x", TU_DIMS(2, 3));
	return m;
}

START_TEST(test_opset13_without_training_mode)
{
	ir_model *m = model_at(13);
	ir_node *d = dropout_model(m, eu_f32_scalar(m->graph, 0.5f), NULL, 1);
	ir_value *relu_out = d->inputs[0];
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "Dropout"), 0);
	ck_assert_ptr_eq(tu_find_node(m->graph, "Neg")->inputs[0], relu_out);
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

START_TEST(test_opset13_training_mode_false)
{
	ir_model *m = model_at(13);
	ir_graph *g = m->graph;
	dropout_model(m, eu_f32_scalar(g, 0.3f), eu_bool_scalar(g, false), 2);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "Dropout"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_opset13_training_mode_from_constant_node)
{
	ir_model *m = model_at(13);
	ir_graph *g = m->graph;
	uint8_t no = 0;
	ir_value *flag =
	    eu_constant(g, ir_tensor_create(m, IR_BOOL, 0, NULL, &no, 1));
	dropout_model(m, NULL, flag, 1);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_training_mode_true)
{
	ir_model *m = model_at(13);
	ir_graph *g = m->graph;
	dropout_model(m, eu_f32_scalar(g, 0.5f), eu_bool_scalar(g, true), 1);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_int_eq(tu_count_ops(m, "Dropout"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_training_mode_true_with_zero_ratio)
{
	ir_model *m = model_at(13);
	ir_graph *g = m->graph;
	dropout_model(m, eu_f32_scalar(g, 0.0f), eu_bool_scalar(g, true), 1);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_runtime_training_mode)
{
	ir_model *m = model_at(13);
	ir_graph *g = m->graph;
	ir_value *flag = tu_input_typed(g, "training", IR_BOOL, TU_SCALAR);
	dropout_model(m, NULL, flag, 1);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_default_training_flag_input)
{
	/* An initializer that is also a graph input is only a default. */
	proto_model *pm = proto_model_create(8, 13);
	Onnx__GraphProto *g = proto_main_graph(pm);
	uint8_t no = 0;
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_input(pm, g, "training", IR_BOOL, NULL, 0);
	proto_graph_add_initializer(pm, g, "training", IR_BOOL, NULL, 0, &no,
	                            1);
	proto_graph_add_node(pm, g, "Relu", "relu", "x", "a");
	proto_graph_add_node(pm, g, "Dropout", "d", "a,,training", "d");
	proto_graph_add_node(pm, g, "Neg", "neg", "d", "y");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, (int64_t[]){2}, 1);
	ir_model *m = tu_load_proto(pm);
	proto_model_free(pm);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_int_eq(tu_count_ops(m, "Dropout"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_used_mask)
{
	ir_model *m = model_at(13);
	ir_node *d = dropout_model(m, NULL, NULL, 2);
	tu_output(tu_op(m->graph, "Not", d->outputs[1]));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_mask_graph_output)
{
	ir_model *m = model_at(13);
	ir_node *d = dropout_model(m, NULL, NULL, 2);
	tu_output(d->outputs[1]);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_opset10_is_inference)
{
	ir_model *m = model_at(10);
	ir_node *d = dropout_model(m, NULL, NULL, 2);
	ir_node_set_attr_float(d, "ratio", 0.5f);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_opset6_training_by_default)
{
	ir_model *m = model_at(6);
	ir_node *d = dropout_model(m, NULL, NULL, 1);
	ir_node_set_attr_float(d, "ratio", 0.5f);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_node_set_attr_int(d, "is_test", 0);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_node_set_attr_int(d, "is_test", 1);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "Dropout"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_opset6_zero_ratio)
{
	ir_model *m = model_at(6);
	ir_node *d = dropout_model(m, NULL, NULL, 1);
	ir_node_set_attr_float(d, "ratio", 0.0f);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_output_is_graph_output)
{
	ir_model *m = model_at(13);
	ir_graph *g = m->graph;
	ir_value *a = tu_op(g, "Relu", ir_graph_lookup(g, "x"));
	ir_value *y = tu_op(g, "Dropout", a);
	tu_output(y);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_ptr_eq(g->outputs[0], y);
	ck_assert_str_eq(eu_output_source(g, 0), "Relu");
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_custom_domain)
{
	ir_model *m = model_at(13);
	ir_graph *g = m->graph;
	ir_value *x = ir_graph_lookup(g, "x");
	ir_node *d = ir_node_create(g, "Dropout", "com.example", &x, 1, 1);
	ir_node_append(g, d);
	tu_output(tu_op(g, "Neg", d->outputs[0]));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

static Suite *dropout_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *removes = tcase_create("removes");
	tcase_add_test(removes, test_opset13_without_training_mode);
	tcase_add_test(removes, test_opset13_training_mode_false);
	tcase_add_test(removes, test_opset13_training_mode_from_constant_node);
	tcase_add_test(removes, test_training_mode_true_with_zero_ratio);
	tcase_add_test(removes, test_opset10_is_inference);
	tcase_add_test(removes, test_opset6_zero_ratio);
	tcase_add_test(removes, test_output_is_graph_output);
	suite_add_tcase(s, removes);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_keeps_training_mode_true);
	tcase_add_test(keeps, test_keeps_runtime_training_mode);
	tcase_add_test(keeps, test_keeps_default_training_flag_input);
	tcase_add_test(keeps, test_keeps_used_mask);
	tcase_add_test(keeps, test_keeps_mask_graph_output);
	tcase_add_test(keeps, test_opset6_training_by_default);
	tcase_add_test(keeps, test_keeps_custom_domain);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(dropout_suite());
}
