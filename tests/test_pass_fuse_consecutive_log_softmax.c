/*
 * test_pass_fuse_consecutive_log_softmax.c - Log(Softmax) -> LogSoftmax.
 */
#include "test_fuse_util.h"

START_TEST(test_fuses_with_axis)
{
	static const int opsets[2] = {11, 13};
	for (int i = 0; i < 2; i++) {
		ir_model *m = tu_model(opsets[i]);
		ir_graph *g = m->graph;
		ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
		ir_node *sm = tu_node(g, "Softmax", TU_VALUES(x), 1);
		ir_node_set_attr_int(sm, "axis", 1);
		ir_value *y = tu_op(g, "Log", sm->outputs[0]);
		tu_output(y);
		ck_assert_int_eq(
		    fu_run_equivalent(m, "fuse_consecutive_log_softmax", 1e-5),
		    1);
		ck_assert_str_eq(y->producer->op_type, "LogSoftmax");
		ck_assert_int_eq(ir_attr_int(y->producer, "axis", 0), 1);
		ck_assert_int_eq(g->n_nodes, 1);
		ir_model_free(m);
	}
}
END_TEST

START_TEST(test_default_axis_stays_default)
{
	ir_model *m = tu_model(11);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_value *y = tu_op(g, "Log", tu_op(g, "Softmax", x));
	tu_output(y);
	ck_assert_int_eq(
	    fu_run_equivalent(m, "fuse_consecutive_log_softmax", 1e-5), 1);
	ck_assert_ptr_null(ir_node_attr(y->producer, "axis"));
	ir_model_free(m);
}
END_TEST

START_TEST(test_softmax_read_twice)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	ir_value *p = tu_op(g, "Softmax", x);
	tu_output(tu_op(g, "Log", p));
	tu_output(p);
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_log_softmax"), 0);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_consecutive_log_softmax");
	TCase *tc = tcase_create("fuse_consecutive_log_softmax");
	tcase_add_test(tc, test_fuses_with_axis);
	tcase_add_test(tc, test_default_axis_stays_default);
	tcase_add_test(tc, test_softmax_read_twice);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
