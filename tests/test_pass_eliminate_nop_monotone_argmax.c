/*
 * test_pass_eliminate_nop_monotone_argmax.c - only casts that keep every
 * comparison (exact widenings) are dropped in front of ArgMax/ArgMin;
 * Exp, Softmax and narrowing casts stay, since rounding makes new ties.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_nop_monotone_argmax"

/* x:from -> Cast(to) -> index_op -> out; returns changes. */
static int run_cast(int64_t opset, int from, int to, const char *index_op)
{
	ir_model *m = tu_model(opset);
	ir_graph *g = m->graph;
	ir_value *x = tu_input_typed(g, "x", from, TU_DIMS(2, 5));
	ir_node *cast = tu_node(g, "Cast", TU_VALUES(x), 1);
	ir_node_set_attr_int(cast, "to", to);
	ir_node *arg = tu_node(g, index_op, TU_VALUES(cast->outputs[0]), 1);
	ir_node_set_attr_int(arg, "axis", 1);
	tu_output(arg->outputs[0]);
	int changes = tu_run(m, PASS_NAME);
	ck_assert_int_eq(tu_count_ops(m, "Cast"), 1 - changes);
	if (changes)
		ck_assert_ptr_eq(arg->inputs[0], x);
	ck_assert_int_eq(tu_count_ops(m, index_op), 1);
	ir_model_free(m);
	return changes;
}

START_TEST(test_exact_widenings)
{
	ck_assert_int_eq(run_cast(13, IR_INT32, IR_INT64, "ArgMax"), 1);
	ck_assert_int_eq(run_cast(13, IR_UINT8, IR_FLOAT, "ArgMin"), 1);
	ck_assert_int_eq(run_cast(13, IR_FLOAT, IR_DOUBLE, "ArgMax"), 1);
	ck_assert_int_eq(run_cast(13, IR_INT8, IR_FLOAT16, "ArgMax"), 1);
}
END_TEST

START_TEST(test_inexact_or_unsupported_casts)
{
	/* narrowing: distinct floats meet in float16 */
	ck_assert_int_eq(run_cast(13, IR_FLOAT, IR_FLOAT16, "ArgMax"), 0);
	/* int64 beyond 2^53 rounds in double */
	ck_assert_int_eq(run_cast(13, IR_INT64, IR_DOUBLE, "ArgMax"), 0);
	/* int32 beyond 2^24 rounds in float */
	ck_assert_int_eq(run_cast(13, IR_INT32, IR_FLOAT, "ArgMax"), 0);
	/* exact, but runtimes lack ArgMax on int16 */
	ck_assert_int_eq(run_cast(13, IR_INT16, IR_INT32, "ArgMax"), 0);
	/* Cast-1 names its type as a string: not handled */
	ck_assert_int_eq(run_cast(5, IR_INT32, IR_INT64, "ArgMax"), 0);
}
END_TEST

START_TEST(test_keeps_exp_and_softmax)
{
	const char *ops[] = {"Exp", "Softmax", "Sigmoid", "Tanh", "LogSoftmax"};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		ir_model *m = tu_model(13);
		ir_graph *g = m->graph;
		ir_value *x = tu_input(g, "x", TU_DIMS(2, 5));
		ir_value *t = tu_op(g, ops[i], x);
		tu_output(tu_op(g, "ArgMax", t));
		ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
		ck_assert_int_eq(tu_count_ops(m, ops[i]), 1);
		ir_model_free(m);
	}
}
END_TEST

START_TEST(test_keeps_shared_or_output_cast)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input_typed(g, "x", IR_INT32, TU_DIMS(5));
	ir_node *cast = tu_node(g, "Cast", TU_VALUES(x), 1);
	ir_node_set_attr_int(cast, "to", IR_INT64);
	tu_output(tu_op(g, "ArgMax", cast->outputs[0]));
	tu_output(tu_op(g, "Neg", cast->outputs[0])); /* second reader */
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);

	m = tu_model(13);
	g = m->graph;
	x = tu_input_typed(g, "x", IR_INT32, TU_DIMS(5));
	cast = tu_node(g, "Cast", TU_VALUES(x), 1);
	ir_node_set_attr_int(cast, "to", IR_INT64);
	tu_output(tu_op(g, "ArgMax", cast->outputs[0]));
	tu_output(cast->outputs[0]); /* a graph output in the middle */
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_chain_of_widenings)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input_typed(g, "x", IR_INT8, TU_DIMS(5));
	ir_node *c1 = tu_node(g, "Cast", TU_VALUES(x), 1);
	ir_node_set_attr_int(c1, "to", IR_INT32);
	ir_value_set_type(c1->outputs[0], IR_INT32, 1, x->type.dims);
	ir_node *c2 = tu_node(g, "Cast", TU_VALUES(c1->outputs[0]), 1);
	ir_node_set_attr_int(c2, "to", IR_INT64);
	ir_node *arg = tu_node(g, "ArgMax", TU_VALUES(c2->outputs[0]), 1);
	tu_output(arg->outputs[0]);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 2);
	ck_assert_int_eq(g->n_nodes, 1);
	ck_assert_ptr_eq(arg->inputs[0], x);
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

static Suite *argmax_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *removes = tcase_create("removes");
	tcase_add_test(removes, test_exact_widenings);
	tcase_add_test(removes, test_chain_of_widenings);
	suite_add_tcase(s, removes);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_inexact_or_unsupported_casts);
	tcase_add_test(keeps, test_keeps_exp_and_softmax);
	tcase_add_test(keeps, test_keeps_shared_or_output_cast);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(argmax_suite());
}
