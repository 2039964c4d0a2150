/*
 * test_pass_eliminate_nop_with_unit.c - arithmetic with a unit goes only
 * when it is exactly x: the right unit on the right side, no broadcasting
 * growth, the same type, and the sign of zero respected for floats.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_nop_with_unit"

typedef struct unit_case {
	const char *op;
	int elem_type;    /* of x and of the constant */
	const void *data; /* constant elements */
	size_t elem_size;
	const int64_t *dims; /* constant dims */
	int rank;
	bool constant_first;
} unit_case;

/* x:[2,3] -> Relu -> op(x, c) -> Neg -> out; returns changes. */
static int run_unit(int64_t opset, unit_case c)
{
	ir_model *m = tu_model(opset);
	ir_graph *g = m->graph;
	ir_value *x = tu_input_typed(g, "x", c.elem_type, TU_DIMS(2, 3));
	ir_value *a = tu_op(g, c.elem_type == IR_BOOL ? "Not" : "Abs", x);
	ir_value_set_type(a, c.elem_type, 2, x->type.dims);
	ir_value *k = eu_initializer(g, "k", c.elem_type, c.data, c.elem_size,
	                             c.dims, c.rank);
	ir_value *y =
	    c.constant_first ? tu_op(g, c.op, k, a) : tu_op(g, c.op, a, k);
	ir_node *neg = tu_node(g, "Identity", TU_VALUES(y), 1);
	tu_output(neg->outputs[0]);
	int changes = tu_run(m, PASS_NAME);
	ck_assert_int_eq(tu_count_ops(m, c.op), 1 - changes);
	if (changes)
		ck_assert_ptr_eq(neg->inputs[0], a);
	ir_model_free(m);
	return changes;
}

static const float one_f[6] = {1, 1, 1, 1, 1, 1};
static const float two_f[1] = {2};
static const float zero_f[1] = {0.0f};
static const float negzero_f[1] = {-0.0f};
static const int64_t zero_i[1] = {0}, one_i[1] = {1};
static const uint8_t true_b[1] = {1}, false_b[1] = {0};
/* float16 bit patterns: 1.0, +0.0, -0.0; bfloat16 1.0 */
static const uint16_t half_one[1] = {0x3C00}, half_zero[1] = {0x0000},
                      half_negzero[1] = {0x8000}, bf16_one[1] = {0x3F80};

#define SCALAR NULL, 0
#define F32(d) IR_FLOAT, (d), sizeof(float)

START_TEST(test_multiplicative_units)
{
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Mul", F32(one_f), SCALAR, false}), 1);
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Mul", F32(one_f), SCALAR, true}), 1);
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Div", F32(one_f), SCALAR, false}), 1);
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Pow", F32(one_f), SCALAR, false}), 1);
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Mul", IR_INT64, one_i, 8, SCALAR, false}),
	    1);
}
END_TEST

START_TEST(test_16_bit_floats)
{
	ck_assert_int_eq(run_unit(13, (unit_case){"Mul", IR_FLOAT16, half_one,
	                                          2, SCALAR, false}),
	                 1);
	ck_assert_int_eq(run_unit(13, (unit_case){"Div", IR_BFLOAT16, bf16_one,
	                                          2, SCALAR, false}),
	                 1);
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Add", IR_FLOAT16, half_negzero, 2, SCALAR,
	                             false}),
	    1);
	ck_assert_int_eq(run_unit(13, (unit_case){"Add", IR_FLOAT16, half_zero,
	                                          2, SCALAR, false}),
	                 0);
	/* 0x3C00 read as bfloat16 is not 1 */
	ck_assert_int_eq(run_unit(13, (unit_case){"Mul", IR_BFLOAT16, half_one,
	                                          2, SCALAR, false}),
	                 0);
}
END_TEST

START_TEST(test_non_commuting_sides)
{
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Div", F32(one_f), SCALAR, true}), 0);
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Sub", F32(zero_f), SCALAR, true}), 0);
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Pow", F32(one_f), SCALAR, true}), 0);
}
END_TEST

START_TEST(test_signed_zeros)
{
	/* x - (+0) is x; x + (+0) turns -0 into +0 */
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Sub", F32(zero_f), SCALAR, false}), 1);
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Add", F32(zero_f), SCALAR, false}), 0);
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Add", F32(negzero_f), SCALAR, true}), 1);
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Sub", F32(negzero_f), SCALAR, false}), 0);
	/* integers have one zero */
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Add", IR_INT64, zero_i, 8, SCALAR, true}),
	    1);
	ck_assert_int_eq(run_unit(13, (unit_case){"Sub", IR_INT64, zero_i, 8,
	                                          SCALAR, false}),
	                 1);
}
END_TEST

START_TEST(test_logic_units)
{
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"And", IR_BOOL, true_b, 1, SCALAR, false}),
	    1);
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Or", IR_BOOL, false_b, 1, SCALAR, true}),
	    1);
	ck_assert_int_eq(run_unit(13, (unit_case){"And", IR_BOOL, false_b, 1,
	                                          SCALAR, false}),
	                 0);
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Or", IR_BOOL, true_b, 1, SCALAR, false}),
	    0);
}
END_TEST

START_TEST(test_broadcasting)
{
	/* [1,3] and [3] against x:[2,3] keep the shape */
	ck_assert_int_eq(run_unit(13, (unit_case){"Mul", F32(one_f),
	                                          (int64_t[]){1, 3}, 2, false}),
	                 1);
	ck_assert_int_eq(run_unit(13, (unit_case){"Mul", F32(one_f),
	                                          (int64_t[]){3}, 1, false}),
	                 1);
	ck_assert_int_eq(run_unit(13, (unit_case){"Mul", F32(one_f),
	                                          (int64_t[]){2, 3}, 2, true}),
	                 1);
	/* [1,2,3] adds a dimension, [3,1]... would not even broadcast */
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Mul", F32(one_f), (int64_t[]){1, 2, 3}, 3,
	                             false}),
	    0);
	ck_assert_int_eq(run_unit(13, (unit_case){"Mul", F32(one_f),
	                                          (int64_t[]){3, 2}, 2, false}),
	                 0);
}
END_TEST

START_TEST(test_not_a_unit)
{
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Mul", F32(two_f), SCALAR, false}), 0);
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Add", IR_INT64, one_i, 8, SCALAR, false}),
	    0);
	/* an integer x^1 stays: runtimes compute it through double */
	ck_assert_int_eq(
	    run_unit(13, (unit_case){"Pow", IR_INT64, one_i, 8, SCALAR, false}),
	    0);
}
END_TEST

START_TEST(test_legacy_broadcast_opset)
{
	/* before opset 7 the first input defines the shape */
	ck_assert_int_eq(
	    run_unit(6, (unit_case){"Mul", F32(one_f), SCALAR, false}), 1);
	ck_assert_int_eq(
	    run_unit(6, (unit_case){"Mul", F32(one_f), SCALAR, true}), 0);
}
END_TEST

START_TEST(test_types_must_be_known_and_equal)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2));
	ir_value *a = eu_opaque(g, x); /* type unknown */
	tu_output(tu_op(g, "Neg", tu_op(g, "Mul", a, eu_f32_scalar(g, 1))));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);

	m = tu_model(13);
	g = m->graph;
	x = tu_input_typed(g, "x", IR_DOUBLE, TU_DIMS(2));
	tu_output(tu_op(g, "Neg", tu_op(g, "Mul", x, eu_f32_scalar(g, 1))));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_graph_output_keeps_name)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2));
	ir_value *a = tu_op(g, "Relu", x);
	ir_value_set_type(a, IR_FLOAT, 1, x->type.dims);
	ir_value *y = tu_op(g, "Mul", a, eu_f32_scalar(g, 1));
	tu_output(y);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_ptr_eq(g->outputs[0], y);
	ck_assert_str_eq(eu_output_source(g, 0), "Relu");
	m = eu_roundtrip(m);
	ck_assert_int_eq(m->graph->n_nodes, 1);
	ir_model_free(m);

	/* from a graph input straight to a graph output: stays */
	m = tu_model(13);
	g = m->graph;
	x = tu_input(g, "x", TU_DIMS(2));
	tu_output(tu_op(g, "Mul", x, eu_f32_scalar(g, 1)));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

/* gamma = 1 after a decomposed normalization stays, so that runtimes
 * (ONNX Runtime's LayerNormalization and SimplifiedLayerNormalization
 * fusions) still see the whole pattern. */
START_TEST(test_normalization_scale_stays)
{
	for (int form = 0; form < 3; form++) {
		ir_model *m = tu_model(14);
		ir_graph *g = m->graph;
		ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
		ir_value *s = tu_op(g, "Sqrt", tu_op(g, "Abs", x));
		ir_value *n;
		if (form == 0)
			n = tu_op(g, "Div", x, s);
		else if (form == 1)
			n = tu_op(g, "Mul", x, tu_op(g, "Reciprocal", s));
		else
			n = tu_op(g, "Mul", x,
			          tu_op(g, "Div", eu_f32_scalar(g, 1), s));
		ir_value_set_type(n, IR_FLOAT, 2, x->type.dims);
		tu_output(
		    tu_op(g, "Neg", tu_op(g, "Mul", n, eu_f32_scalar(g, 1))));
		ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
		ir_model_free(m);
	}
}
END_TEST

static Suite *unit_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *removes = tcase_create("removes");
	tcase_add_test(removes, test_multiplicative_units);
	tcase_add_test(removes, test_signed_zeros);
	tcase_add_test(removes, test_16_bit_floats);
	tcase_add_test(removes, test_logic_units);
	tcase_add_test(removes, test_broadcasting);
	tcase_add_test(removes, test_graph_output_keeps_name);
	suite_add_tcase(s, removes);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_non_commuting_sides);
	tcase_add_test(keeps, test_not_a_unit);
	tcase_add_test(keeps, test_legacy_broadcast_opset);
	tcase_add_test(keeps, test_types_must_be_known_and_equal);
	tcase_add_test(keeps, test_normalization_scale_stays);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(unit_suite());
}
