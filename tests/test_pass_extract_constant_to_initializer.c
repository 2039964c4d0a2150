/*
 * test_pass_extract_constant_to_initializer.c - Constant nodes become
 * initializers under the same name, for each attribute form, in
 * subgraphs too; old IR versions and custom domains are left alone.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "extract_constant_to_initializer"

static const ir_tensor *tensor_of(const ir_value *v)
{
	ck_assert_int_eq(v->def, IR_DEF_INITIALIZER);
	ck_assert(ir_value_is_constant(v));
	return v->tensor;
}

START_TEST(test_value_tensor)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2));
	float v[2] = {1.5f, -2};
	ir_value *k = eu_constant(
	    g, ir_tensor_create(m, IR_FLOAT, 1, (int64_t[]){2}, v, sizeof v));
	ir_node *add = tu_node(g, "Add", TU_VALUES(x, k), 1);
	tu_output(add->outputs[0]);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "Constant"), 0);
	ck_assert_ptr_eq(add->inputs[1], k);
	const ir_tensor *t = tensor_of(k);
	ck_assert_int_eq(t->elem_type, IR_FLOAT);
	ck_assert_int_eq(t->rank, 1);
	m = eu_roundtrip(m);
	ck_assert_int_eq(m->graph->n_nodes, 1);
	ck_assert_int_eq(m->graph->n_initializers, 1);
	ir_value *back = tu_find_node(m->graph, "Add")->inputs[1];
	const void *raw;
	size_t size;
	ck_assert(ir_tensor_raw(m, back->tensor, &raw, &size));
	ck_assert_int_eq(size, sizeof v);
	ck_assert(!memcmp(raw, v, sizeof v));
	ir_model_free(m);
}
END_TEST

START_TEST(test_scalar_and_list_forms)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_node *f = tu_node(g, "Constant", NULL, 0, 1);
	ir_node_set_attr_float(f, "value_float", 0.25f);
	ir_node *i = tu_node(g, "Constant", NULL, 0, 1);
	ir_node_set_attr_int(i, "value_int", 7);
	ir_node *is = tu_node(g, "Constant", NULL, 0, 1);
	ir_node_set_attr_ints(is, "value_ints", (int64_t[]){1, 2, 3}, 3);
	ir_node *s = tu_node(g, "Constant", NULL, 0, 1);
	ir_node_set_attr_string(s, "value_string", "hi");
	ir_value *outs[4] = {f->outputs[0], i->outputs[0], is->outputs[0],
	                     s->outputs[0]};
	for (int k = 0; k < 4; k++)
		tu_output(tu_op(g, "Identity", outs[k]));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 4);
	ck_assert_int_eq(tu_count_ops(m, "Constant"), 0);
	const ir_tensor *tf = tensor_of(outs[0]);
	ck_assert_int_eq(tf->elem_type, IR_FLOAT);
	ck_assert_int_eq(tf->rank, 0);
	ck_assert(*(const float *)tf->raw == 0.25f);
	const ir_tensor *ti = tensor_of(outs[1]);
	ck_assert_int_eq(ti->elem_type, IR_INT64);
	ck_assert_int_eq(ti->rank, 0);
	ck_assert_int_eq(*(const int64_t *)ti->raw, 7);
	const ir_tensor *tis = tensor_of(outs[2]);
	ck_assert_int_eq(tis->rank, 1);
	ck_assert_int_eq(tis->dims[0], 3);
	const ir_tensor *ts = tensor_of(outs[3]);
	ck_assert_int_eq(ts->elem_type, IR_STRING);
	ProtobufCBinaryData str;
	ck_assert(ir_tensor_string(ts, 0, &str));
	ck_assert_int_eq(str.len, 2);
	ck_assert(!memcmp(str.data, "hi", 2));
	m = eu_roundtrip(m);
	ck_assert_int_eq(m->graph->n_initializers, 4);
	ir_model_free(m);
}
END_TEST

START_TEST(test_graph_output_constant)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *k = eu_constant_ints(g, (int64_t[]){4, 5}, 2);
	tu_output(k);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_ptr_eq(g->outputs[0], k);
	ck_assert_str_eq(eu_output_source(g, 0), "initializer");
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_old_ir_and_custom_domain)
{
	ir_model *m = ir_model_create(3, 9);
	ir_graph *g = m->graph;
	tu_output(tu_op(g, "Neg", eu_constant_ints(g, (int64_t[]){1}, 1)));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);

	m = tu_model(13);
	g = m->graph;
	ir_node *c = ir_node_create(g, "Constant", "com.example", NULL, 0, 1);
	ir_node_set_attr_ints(c, "value_ints", (int64_t[]){1}, 1);
	ir_node_append(g, c);
	tu_output(tu_op(g, "Neg", c->outputs[0]));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_inside_subgraph)
{
	proto_model *pm = proto_model_create(8, 13);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_INT64, (int64_t[]){1}, 1);
	proto_graph_add_input(pm, g, "cond", IR_BOOL, NULL, 0);
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	Onnx__NodeProto *c =
	    proto_graph_add_node(pm, then_g, "Constant", "c", "", "k");
	proto_node_set_attr_int(pm, c, "value_int", 3);
	proto_graph_add_node(pm, then_g, "Add", "add", "x,k", "t");
	proto_graph_add_output(pm, then_g, "t", IR_INT64, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_node(pm, else_g, "Neg", "neg", "x", "e");
	proto_graph_add_output(pm, else_g, "e", IR_INT64, NULL, -1);
	Onnx__NodeProto *n_if =
	    proto_graph_add_node(pm, g, "If", "if", "cond", "out");
	proto_node_set_attr_graph(pm, n_if, "then_branch", then_g);
	proto_node_set_attr_graph(pm, n_if, "else_branch", else_g);
	proto_graph_add_output(pm, g, "out", IR_INT64, NULL, -1);
	ir_model *m = tu_load_proto(pm);
	proto_model_free(pm);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_graph *body = ir_node_attr(m->graph->first, "then_branch")->graph;
	ck_assert_int_eq(body->n_initializers, 1);
	ck_assert_str_eq(body->initializers[0]->name, "k");
	ck_assert_int_eq(m->graph->n_initializers, 0);
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

/* ir_node_set_attr_tensor (used to build the Constants above) must
 * export the tensor, or every test here would prove little. */
START_TEST(test_tensor_attribute_survives_save)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	int32_t v[3] = {7, -8, 9};
	ir_value *k = eu_constant(
	    g, ir_tensor_create(m, IR_INT32, 1, (int64_t[]){3}, v, sizeof v));
	tu_output(tu_op(g, "Neg", k));
	m = eu_roundtrip(m);
	ir_node *c = tu_find_node(m->graph, "Constant");
	ck_assert_ptr_nonnull(c);
	const ir_attr *a = ir_node_attr(c, "value");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(a->tensor);
	const void *raw;
	size_t size;
	ck_assert(ir_tensor_raw(m, a->tensor, &raw, &size));
	ck_assert_int_eq(a->tensor->elem_type, IR_INT32);
	ck_assert_int_eq(size, sizeof v);
	ck_assert(!memcmp(raw, v, sizeof v));
	ir_model_free(m);
}
END_TEST

static Suite *extract_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *extracts = tcase_create("extracts");
	tcase_add_test(extracts, test_value_tensor);
	tcase_add_test(extracts, test_scalar_and_list_forms);
	tcase_add_test(extracts, test_graph_output_constant);
	tcase_add_test(extracts, test_inside_subgraph);
	suite_add_tcase(s, extracts);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_keeps_old_ir_and_custom_domain);
	tcase_add_test(keeps, test_tensor_attribute_survives_save);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(extract_suite());
}
