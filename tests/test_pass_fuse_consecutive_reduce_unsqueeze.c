/*
 * test_pass_fuse_consecutive_reduce_unsqueeze.c - keepdims=0 reductions
 * followed by the matching Unsqueeze keep their dims instead.
 */
#include "test_fuse_util.h"

static ir_node *with_axes(ir_graph *g, const char *op, ir_value *x,
                          const int64_t *axes, int n, bool as_input)
{
	if (as_input)
		return tu_node(g, op, TU_VALUES(x, fu_ints(g, axes, n)), 1);
	ir_node *node = tu_node(g, op, TU_VALUES(x), 1);
	ir_node_set_attr_ints(node, "axes", axes, n);
	return node;
}

START_TEST(test_reduce_sum_both_forms)
{
	static const int opsets[2] = {11, 13};
	for (int i = 0; i < 2; i++) {
		bool inputs = opsets[i] >= 13;
		ir_model *m = tu_model(opsets[i]);
		ir_graph *g = m->graph;
		ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
		ir_node *r =
		    with_axes(g, "ReduceSum", x, (int64_t[]){-1, 0}, 2, inputs);
		ir_node_set_attr_int(r, "keepdims", 0);
		ir_node *u = with_axes(g, "Unsqueeze", r->outputs[0],
		                       (int64_t[]){0, 2}, 2, inputs);
		ir_value *y = u->outputs[0];
		tu_output(y);
		ck_assert_int_eq(fu_run_equivalent(
		                     m, "fuse_consecutive_reduce_unsqueeze", 0),
		                 1);
		ck_assert_ptr_eq(y->producer, r);
		ck_assert_int_eq(ir_attr_int(r, "keepdims", 0), 1);
		ck_assert_int_eq(g->n_nodes, 1);
		ir_model_free(m);
	}
}
END_TEST

START_TEST(test_argmax)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	ir_node *r = tu_node(g, "ArgMax", TU_VALUES(x), 1);
	ir_node_set_attr_int(r, "axis", -1);
	ir_node_set_attr_int(r, "keepdims", 0);
	ir_node *u =
	    with_axes(g, "Unsqueeze", r->outputs[0], (int64_t[]){1}, 1, true);
	tu_output(u->outputs[0]);
	ck_assert_int_eq(
	    fu_run_equivalent(m, "fuse_consecutive_reduce_unsqueeze", 0), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_other_axes_stay)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_node *r = with_axes(g, "ReduceMax", x, (int64_t[]){1}, 1, false);
	ir_node_set_attr_int(r, "keepdims", 0);
	ir_node *u =
	    with_axes(g, "Unsqueeze", r->outputs[0], (int64_t[]){2}, 1, true);
	tu_output(u->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_reduce_unsqueeze"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_reduced_value_read_twice)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	ir_node *r = with_axes(g, "ReduceMax", x, (int64_t[]){1}, 1, false);
	ir_node_set_attr_int(r, "keepdims", 0);
	ir_node *u =
	    with_axes(g, "Unsqueeze", r->outputs[0], (int64_t[]){1}, 1, true);
	tu_output(u->outputs[0]);
	tu_output(r->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_reduce_unsqueeze"), 0);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_consecutive_reduce_unsqueeze");
	TCase *tc = tcase_create("fuse_consecutive_reduce_unsqueeze");
	tcase_add_test(tc, test_reduce_sum_both_forms);
	tcase_add_test(tc, test_argmax);
	tcase_add_test(tc, test_other_axes_stay);
	tcase_add_test(tc, test_reduced_value_read_twice);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
