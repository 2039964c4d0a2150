/*
 * test_pass_convert_opset.c - convert_opset moves attributes to inputs
 * and back, spells out changed semantics (Softmax at 13, Upsample,
 * Split's num_outputs), updates the opset import and IR version, reaches
 * subgraphs, and refuses what has no conversion without touching the
 * model.
 */
#include <string.h>

#include "pass_util.h"
#include "test_fuse_util.h"

/* Run convert_opset to `target` with the verifier; returns its changes,
 * or -1 with the message in *status. */
static int convert_to(ir_model *m, int64_t target, ir_status *status)
{
	tu_assert_valid(m);
	pass_options options = {.fold_size_limit = 4 << 20,
	                        .target_opset = target};
	pass_context ctx = {.options = &options};
	int changes = pass_convert_opset.run(m, &ctx, status);
	if (changes >= 0)
		tu_assert_valid(m);
	return changes;
}

static void convert_ok(ir_model *m, int64_t target)
{
	ir_status status = {0};
	ck_assert_msg(convert_to(m, target, &status) > 0, "%s", status.message);
	ck_assert_int_eq(ir_model_opset(m, ""), target);
}

static const char *attr_string(const ir_node *n, const char *name)
{
	return ir_attr_string(n, name, "");
}

START_TEST(test_unsqueeze_axes_round_trip)
{
	ir_model *m = tu_model(11);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(3, 4));
	ir_node *u = tu_node(g, "Unsqueeze", TU_VALUES(x), 1);
	ir_node_set_attr_ints(u, "axes", (int64_t[]){0, -1}, 2);
	tu_output(u->outputs[0]);

	convert_ok(m, 13);
	ck_assert_int_eq(u->n_inputs, 2);
	ck_assert_ptr_null(ir_node_attr(u, "axes"));
	ck_assert_str_eq(fu_ints_value(u->inputs[1]), "0,-1");
	ck_assert_int_ge(m->ir_version, 7);

	convert_ok(m, 11);
	ck_assert_int_eq(u->n_inputs, 1);
	ck_assert_str_eq(fu_ints_attr(u, "axes"), "0,-1");
	ir_model_free(m);
}
END_TEST

START_TEST(test_clip_bounds_take_the_input_type)
{
	ir_model *m = tu_model(9);
	ir_graph *g = m->graph;
	ir_value *x = tu_input_typed(g, "x", IR_DOUBLE, TU_DIMS(5));
	ir_node *clip = tu_node(g, "Clip", TU_VALUES(x), 1);
	ir_node_set_attr_float(clip, "max", 6.0f);
	tu_output(clip->outputs[0]);

	convert_ok(m, 12);
	ck_assert_int_eq(clip->n_inputs, 3);
	ck_assert_ptr_null(clip->inputs[1]); /* no min: the type's lowest */
	ir_tensor *max = pass_constant_tensor(clip->inputs[2]);
	ck_assert_ptr_nonnull(max);
	ck_assert_int_eq(max->elem_type, IR_DOUBLE);
	ck_assert_int_eq(max->rank, 0);
	ir_model_free(m);
}
END_TEST

static ir_model *softmax_model(int64_t opset, int64_t axis, ir_node **node)
{
	ir_model *m = tu_model(opset);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	*node = tu_node(g, "Softmax", TU_VALUES(x), 1);
	ir_node_set_attr_int(*node, "axis", axis);
	tu_output((*node)->outputs[0]);
	return m;
}

START_TEST(test_softmax_coerced_2d_is_spelled_out)
{
	ir_node *sm;
	ir_model *m = softmax_model(11, 1, &sm);
	ir_model *reference = softmax_model(11, 1, &sm);
	convert_ok(m, 13);
	ck_assert_int_eq(tu_count_ops(m, "Flatten"), 1);
	ck_assert_int_eq(tu_count_ops(m, "Softmax"), 1);
	ck_assert_int_eq(tu_count_ops(m, "Reshape"), 1);
	ck_assert_int_eq(
	    ir_attr_int(tu_find_node(m->graph, "Flatten"), "axis", 0), 1);
	/* The same numbers as the opset-11 definition. */
	ir_tensor *in[1], *want[1], *got[1];
	int n;
	char why[512];
	fu_random_inputs(reference, 7, in, &n);
	ck_assert_msg(fu_eval(reference, in, want, why, sizeof why), "%s", why);
	ck_assert_msg(fu_eval(m, in, got, why, sizeof why), "%s", why);
	fu_assert_tensors_near(m, got[0], reference, want[0], 1e-6);
	ck_assert_str_eq(m->graph->outputs[0]->name,
	                 reference->graph->outputs[0]->name);
	ir_model_free(m);
	ir_model_free(reference);
}
END_TEST

START_TEST(test_softmax_last_axis_only_changes_the_attribute)
{
	ir_node *sm;
	ir_model *m = softmax_model(11, 2, &sm);
	convert_ok(m, 13);
	ck_assert_int_eq(tu_count_ops(m, "Flatten"), 0);
	ck_assert_int_eq(ir_attr_int(sm, "axis", 0), -1);
	convert_ok(m, 11); /* the last axis goes back down */
	ck_assert_int_eq(ir_attr_int(sm, "axis", 0), -1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_softmax_inner_axis_refused_going_down)
{
	ir_node *sm;
	ir_model *m = softmax_model(13, 1, &sm);
	int nodes = m->graph->n_nodes;
	ir_status status = {0};
	ck_assert_int_eq(convert_to(m, 12, &status), -1);
	ck_assert_msg(strstr(status.message, "Softmax") &&
	                  strstr(status.message, "opset 13 to 12"),
	              "%s", status.message);
	/* Nothing changed. */
	ck_assert_int_eq(ir_model_opset(m, ""), 13);
	ck_assert_int_eq(m->graph->n_nodes, nodes);
	ck_assert_int_eq(ir_attr_int(sm, "axis", 0), 1);
	ir_model_free(m);
}
END_TEST

static ir_model *upsample_model(ir_node **node)
{
	ir_model *m = tu_model(9);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(1, 1, 2, 2));
	ir_value *s =
	    tu_initializer_f32(g, "s", (float[]){1, 1, 2, 2}, TU_DIMS(4));
	*node = tu_node(g, "Upsample", TU_VALUES(x, s), 1);
	tu_output((*node)->outputs[0]);
	return m;
}

START_TEST(test_upsample_becomes_resize)
{
	ir_node *up;
	ir_model *m = upsample_model(&up);
	convert_ok(m, 11);
	ck_assert_str_eq(up->op_type, "Resize");
	ck_assert_int_eq(up->n_inputs, 3);
	ck_assert_int_eq(ir_tensor_numel(pass_constant_tensor(up->inputs[1])),
	                 0); /* roi is required at 11: empty */
	ck_assert_str_eq(attr_string(up, "coordinate_transformation_mode"),
	                 "asymmetric");
	ck_assert_str_eq(attr_string(up, "nearest_mode"), "floor");
	ir_model_free(m);

	m = upsample_model(&up);
	convert_ok(m, 13);
	ck_assert_ptr_null(up->inputs[1]); /* optional from 13 on */
	/* And back: Resize at 13 fits Upsample-9. */
	convert_ok(m, 9);
	ck_assert_str_eq(up->op_type, "Upsample");
	ck_assert_int_eq(up->n_inputs, 2);
	ck_assert_int_eq(up->n_attrs, 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_split_num_outputs)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(6, 2));
	ir_node *split = tu_node(g, "Split", TU_VALUES(x), 3);
	for (int i = 0; i < 3; i++)
		tu_output(split->outputs[i]);
	convert_ok(m, 18);
	ck_assert_int_eq(ir_attr_int(split, "num_outputs", 0), 3);
	convert_ok(m, 17); /* 6 splits evenly: the older default */
	ck_assert_ptr_null(ir_node_attr(split, "num_outputs"));
	ck_assert_int_eq(split->n_inputs, 1);
	ir_model_free(m);

	/* Uneven: 7 in 3 parts is 3, 3, 1 at 18; written out going down. */
	m = tu_model(18);
	g = m->graph;
	x = tu_input(g, "x", TU_DIMS(7));
	split = tu_node(g, "Split", TU_VALUES(x), 3);
	ir_node_set_attr_int(split, "num_outputs", 3);
	for (int i = 0; i < 3; i++)
		tu_output(split->outputs[i]);
	convert_ok(m, 13);
	ck_assert_str_eq(fu_ints_value(split->inputs[1]), "3,3,1");
	convert_ok(m, 11);
	ck_assert_str_eq(fu_ints_attr(split, "split"), "3,3,1");
	ir_model_free(m);
}
END_TEST

START_TEST(test_dropout_mask_type_change_refused)
{
	ir_model *m = tu_model(9);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *d = tu_node(g, "Dropout", TU_VALUES(x), 2);
	tu_output(d->outputs[0]);
	tu_output(d->outputs[1]); /* the mask is T at 9, bool at 10 */
	ir_status status = {0};
	ck_assert_int_eq(convert_to(m, 12, &status), -1);
	ck_assert_ptr_nonnull(strstr(status.message, "Dropout"));
	ck_assert_int_eq(d->n_outputs, 2);
	ir_model_free(m);

	/* Unused, the mask is dropped; the ratio becomes an input. */
	m = tu_model(9);
	g = m->graph;
	x = tu_input(g, "x", TU_DIMS(4));
	d = tu_node(g, "Dropout", TU_VALUES(x), 2);
	ir_node_set_attr_float(d, "ratio", 0.25f);
	tu_output(d->outputs[0]);
	convert_ok(m, 12);
	ck_assert_int_eq(d->n_outputs, 1);
	ck_assert_int_eq(d->n_inputs, 2);
	ck_assert_ptr_null(ir_node_attr(d, "ratio"));
	ir_model_free(m);
}
END_TEST

START_TEST(test_scatter_and_ir_version_and_other_domains)
{
	ir_model *m = tu_model(9);
	m->ir_version = 4;
	ir_model_set_opset(m, "ai.onnx.ml", 1);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 2));
	ir_value *i = tu_input_typed(g, "i", IR_INT64, TU_DIMS(2, 2));
	ir_value *u = tu_input(g, "u", TU_DIMS(2, 2));
	tu_output(tu_op(g, "Scatter", x, i, u));
	convert_ok(m, 23);
	ck_assert_int_eq(tu_count_ops(m, "Scatter"), 0);
	ck_assert_int_eq(tu_count_ops(m, "ScatterElements"), 1);
	ck_assert_int_eq(m->ir_version, 11);
	ck_assert_int_eq(ir_model_opset(m, "ai.onnx.ml"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_reduce_axes_and_non_constant_refused)
{
	ir_model *m = tu_model(11);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	ir_node *r = tu_node(g, "ReduceMean", TU_VALUES(x), 1);
	ir_node_set_attr_ints(r, "axes", (int64_t[]){1}, 1);
	tu_output(r->outputs[0]);
	convert_ok(m, 17); /* ReduceMean's axes move at 18 */
	ck_assert_str_eq(fu_ints_attr(r, "axes"), "1");
	convert_ok(m, 18);
	ck_assert_str_eq(fu_ints_value(r->inputs[1]), "1");
	ir_model_free(m);

	m = tu_model(18);
	g = m->graph;
	x = tu_input(g, "x", TU_DIMS(2, 3));
	ir_value *axes = tu_input_typed(g, "axes", IR_INT64, TU_DIMS(1));
	tu_output(tu_op(g, "ReduceMean", x, axes));
	ir_status status = {0};
	ck_assert_int_eq(convert_to(m, 17, &status), -1);
	ck_assert_msg(strstr(status.message, "ReduceMean") &&
	                  strstr(status.message, "not a constant"),
	              "%s", status.message);
	ck_assert_int_eq(ir_model_opset(m, ""), 18);
	ir_model_free(m);
}
END_TEST

START_TEST(test_mistyped_attribute_refused)
{
	/* Softmax-11's axis given as a string: converting would read it as
	 * absent (axis 1, the coerced form) and change what the node means. */
	ir_model *m = tu_model(11);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_node *sm = tu_node(g, "Softmax", TU_VALUES(x), 1);
	ir_node_set_attr_string(sm, "axis", "2");
	tu_output(sm->outputs[0]);
	ir_status status = {0};
	ck_assert_int_eq(convert_to(m, 13, &status), -1);
	ck_assert_msg(strstr(status.message, "Softmax") &&
	                  strstr(status.message, "'axis' has the wrong type"),
	              "%s", status.message);
	ck_assert_int_eq(ir_model_opset(m, ""), 11);
	ck_assert_int_eq(tu_count_ops(m, "Flatten"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_pad_topk_and_slice_attributes)
{
	ir_model *m = tu_model(7);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4, 5));
	ir_node *pad = tu_node(g, "Pad", TU_VALUES(x), 1);
	ir_node_set_attr_ints(pad, "pads", (int64_t[]){0, 1, 0, 1}, 4);
	ir_node_set_attr_float(pad, "value", 1.5f);
	ir_node *topk = tu_node(g, "TopK", TU_VALUES(pad->outputs[0]), 2);
	ir_node_set_attr_int(topk, "k", 2);
	ir_node *slice = tu_node(g, "Slice", TU_VALUES(topk->outputs[0]), 1);
	ir_node_set_attr_ints(slice, "starts", (int64_t[]){1}, 1);
	ir_node_set_attr_ints(slice, "ends", (int64_t[]){3}, 1);
	tu_output(slice->outputs[0]);
	tu_output(topk->outputs[1]);
	convert_ok(m, 11);
	ck_assert_str_eq(fu_ints_value(pad->inputs[1]), "0,1,0,1");
	ck_assert_int_eq(pass_elem_type(pad->inputs[2]), IR_FLOAT);
	ck_assert_str_eq(fu_ints_value(topk->inputs[1]), "2");
	ck_assert_int_eq(pass_constant_tensor(topk->inputs[1])->rank, 1);
	ck_assert_int_eq(slice->n_inputs, 3);
	ck_assert_str_eq(fu_ints_value(slice->inputs[2]), "3");
	ck_assert_int_eq(m->graph->n_nodes, 3);
	convert_ok(m, 7);
	ck_assert_int_eq(pad->n_inputs, 1);
	ck_assert_str_eq(fu_ints_attr(pad, "pads"), "0,1,0,1");
	ck_assert_int_eq(ir_attr_int(topk, "k", 0), 2);
	ck_assert_int_eq(slice->n_inputs, 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_subgraph_nodes_are_converted)
{
	proto_model *pm = proto_model_create(7, 11);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_input(pm, g, "cond", IR_BOOL, NULL, 0);
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	proto_graph_add_node(pm, then_g, "Unsqueeze", "sq", "x", "t");
	proto_graph_add_output(pm, then_g, "t", IR_FLOAT, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_node(pm, else_g, "Unsqueeze", "sq2", "x", "e");
	proto_graph_add_output(pm, else_g, "e", IR_FLOAT, NULL, -1);
	Onnx__NodeProto *n_if =
	    proto_graph_add_node(pm, g, "If", "if", "cond", "y");
	proto_node_set_attr_graph(pm, n_if, "then_branch", then_g);
	proto_node_set_attr_graph(pm, n_if, "else_branch", else_g);
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	ir_model *m = tu_load_proto(pm);
	ir_node *if_node = tu_find_node(m->graph, "If");
	ir_graph *then_body = ir_node_attr(if_node, "then_branch")->graph;
	ir_graph *else_body = ir_node_attr(if_node, "else_branch")->graph;
	ir_node *inner = tu_find_node(then_body, "Unsqueeze");
	ir_node_set_attr_ints(inner, "axes", (int64_t[]){0}, 1);
	ir_node_set_attr_ints(tu_find_node(else_body, "Unsqueeze"), "axes",
	                      (int64_t[]){1}, 1);
	convert_ok(m, 13);
	ck_assert_int_eq(inner->n_inputs, 2);
	ck_assert_str_eq(fu_ints_value(inner->inputs[1]), "0");
	ir_model_free(tu_reload(m));
	proto_model_free(pm);
}
END_TEST

START_TEST(test_nothing_to_do)
{
	ir_model *m = tu_model(13);
	tu_output(tu_op(m->graph, "Relu", tu_input(m->graph, "x", TU_DIMS(2))));
	ir_status status = {0};
	ck_assert_int_eq(convert_to(m, 13, &status), 0);
	ir_model_free(m);
	m = tu_model(6);
	tu_output(tu_op(m->graph, "Relu", tu_input(m->graph, "x", TU_DIMS(2))));
	ck_assert_int_eq(convert_to(m, 13, &status), -1);
	ck_assert_ptr_nonnull(strstr(status.message, "opset 6"));
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pass_convert_opset");
	TCase *tc = tcase_create("convert_opset");
	tcase_add_test(tc, test_unsqueeze_axes_round_trip);
	tcase_add_test(tc, test_clip_bounds_take_the_input_type);
	tcase_add_test(tc, test_softmax_coerced_2d_is_spelled_out);
	tcase_add_test(tc, test_softmax_last_axis_only_changes_the_attribute);
	tcase_add_test(tc, test_softmax_inner_axis_refused_going_down);
	tcase_add_test(tc, test_upsample_becomes_resize);
	tcase_add_test(tc, test_split_num_outputs);
	tcase_add_test(tc, test_dropout_mask_type_change_refused);
	tcase_add_test(tc, test_scatter_and_ir_version_and_other_domains);
	tcase_add_test(tc, test_reduce_axes_and_non_constant_refused);
	tcase_add_test(tc, test_mistyped_attribute_refused);
	tcase_add_test(tc, test_pad_topk_and_slice_attributes);
	tcase_add_test(tc, test_subgraph_nodes_are_converted);
	tcase_add_test(tc, test_nothing_to_do);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
