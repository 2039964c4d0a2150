/*
 * test_pass_eliminate_nop_cast.c - casts to the type the input already
 * has go; every other cast, and casts from an unknown type, stay.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_nop_cast"

/* x:elem_type -> Cast(to) -> c -> Neg -> out; returns the Cast. */
static ir_node *cast_model(ir_model *m, int elem_type)
{
	ir_graph *g = m->graph;
	ir_value *x = tu_input_typed(g, "x", elem_type, TU_DIMS(2, 3));
	ir_node *cast = tu_node(g, "Cast", TU_VALUES(x), 1);
	tu_output(tu_op(g, "Neg", cast->outputs[0]));
	return cast;
}

START_TEST(test_removes_cast_to_same_type)
{
	ir_model *m = tu_model(13);
	ir_node *cast = cast_model(m, IR_FLOAT);
	ir_node_set_attr_int(cast, "to", IR_FLOAT);
	ir_value *x = cast->inputs[0];
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "Cast"), 0);
	ck_assert_ptr_eq(tu_find_node(m->graph, "Neg")->inputs[0], x);
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_cast_to_other_type)
{
	ir_model *m = tu_model(13);
	ir_node *cast = cast_model(m, IR_FLOAT);
	ir_node_set_attr_int(cast, "to", IR_DOUBLE);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_int_eq(tu_count_ops(m, "Cast"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_cast_from_unknown_type)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2));
	ir_value *a = eu_opaque(g, x);
	ir_node *cast = tu_node(g, "Cast", TU_VALUES(a), 1);
	ir_node_set_attr_int(cast, "to", IR_FLOAT);
	tu_output(tu_op(g, "Neg", cast->outputs[0]));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	/* Once the type is known, the cast goes. */
	ir_value_set_type(a, IR_FLOAT, 1, (ir_dim[]){{IR_DIM_VALUE, 2, NULL}});
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_type_from_inference)
{
	/* Relu's output has no declared type; inference gives it x's */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2));
	ir_node *cast = tu_node(g, "Cast", TU_VALUES(tu_op(g, "Relu", x)), 1);
	ir_node_set_attr_int(cast, "to", IR_FLOAT);
	tu_output(tu_op(g, "Neg", cast->outputs[0]));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_opset1_type_name)
{
	ir_model *m = tu_model(1);
	ir_node *cast = cast_model(m, IR_INT64);
	ir_node_set_attr_string(cast, "to", "INT64");
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);

	m = tu_model(1);
	cast = cast_model(m, IR_INT64);
	ir_node_set_attr_string(cast, "to", "INT32");
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_castlike)
{
	ir_model *m = tu_model(15);
	ir_graph *g = m->graph;
	ir_value *x = tu_input_typed(g, "x", IR_INT64, TU_DIMS(3));
	ir_value *same = tu_initializer_i64(g, "t", (int64_t[]){0}, TU_DIMS(1));
	ir_value *other = tu_initializer_f32(g, "f", (float[]){0}, TU_DIMS(1));
	ir_value *a = tu_op(g, "CastLike", x, same);
	ir_value *b = tu_op(g, "CastLike", x, other);
	tu_output(tu_op(g, "Neg", a));
	tu_output(tu_op(g, "Neg", b));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "CastLike"), 1);
	ck_assert_ptr_eq(tu_find_node(g, "CastLike")->inputs[1], other);
	ir_model_free(m);
}
END_TEST

START_TEST(test_graph_output_keeps_name)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2));
	ir_value *a = tu_op(g, "Relu", x);
	ir_value_set_type(a, IR_FLOAT, -1, NULL);
	ir_node *cast = tu_node(g, "Cast", TU_VALUES(a), 1);
	ir_node_set_attr_int(cast, "to", IR_FLOAT);
	ir_value *y = cast->outputs[0];
	tu_output(y);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_ptr_eq(g->outputs[0], y);
	ck_assert_str_eq(eu_output_source(g, 0), "Relu");

	/* Straight from a graph input to a graph output: stays. */
	ir_model *m2 = tu_model(13);
	cast = tu_node(m2->graph, "Cast",
	               TU_VALUES(tu_input(m2->graph, "x", TU_DIMS(2))), 1);
	ir_node_set_attr_int(cast, "to", IR_FLOAT);
	tu_output(cast->outputs[0]);
	ck_assert_int_eq(tu_run(m2, PASS_NAME), 0);
	ir_model_free(m2);
	ir_model_free(m);
}
END_TEST

static Suite *cast_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *removes = tcase_create("removes");
	tcase_add_test(removes, test_removes_cast_to_same_type);
	tcase_add_test(removes, test_opset1_type_name);
	tcase_add_test(removes, test_type_from_inference);
	tcase_add_test(removes, test_castlike);
	tcase_add_test(removes, test_graph_output_keeps_name);
	suite_add_tcase(s, removes);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_keeps_cast_to_other_type);
	tcase_add_test(keeps, test_keeps_cast_from_unknown_type);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(cast_suite());
}
