/*
 * test_pass_fuse_consecutive_slices.c - Slices of disjoint axes merge;
 * overlapping ones stay.
 */
#include "test_fuse_util.h"

static ir_node *slice(ir_graph *g, ir_value *x, int64_t start, int64_t end,
                      int64_t axis, int64_t step)
{
	if (ir_model_opset(g->model, "") < 10) {
		ir_node *s = tu_node(g, "Slice", TU_VALUES(x), 1);
		ir_node_set_attr_ints(s, "starts", &start, 1);
		ir_node_set_attr_ints(s, "ends", &end, 1);
		ir_node_set_attr_ints(s, "axes", &axis, 1);
		return s;
	}
	return tu_node(g, "Slice",
	               TU_VALUES(x, fu_ints(g, &start, 1), fu_ints(g, &end, 1),
	                         fu_ints(g, &axis, 1), fu_ints(g, &step, 1)),
	               1);
}

START_TEST(test_disjoint_axes)
{
	static const int opsets[2] = {9, 13};
	for (int i = 0; i < 2; i++) {
		ir_model *m = tu_model(opsets[i]);
		ir_graph *g = m->graph;
		ir_value *x = tu_input(g, "x", TU_DIMS(4, 5, 6));
		ir_node *a = slice(g, x, 1, 100, 0, 1);
		ir_node *b =
		    slice(g, a->outputs[0], -4, -1, 2, opsets[i] < 10 ? 1 : 2);
		tu_output(b->outputs[0]);
		ck_assert_int_eq(
		    fu_run_equivalent(m, "fuse_consecutive_slices", 0), 1);
		ck_assert_int_eq(g->n_nodes, 1);
		ck_assert_ptr_eq(g->first->inputs[0], x);
		ir_model_free(m);
	}
}
END_TEST

START_TEST(test_same_axis_stays)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4, 5));
	ir_node *a = slice(g, x, 1, 4, 1, 1);
	/* -1 is axis 1 at rank 2: the same axis. */
	ir_node *b = slice(g, a->outputs[0], 0, 2, -1, 1);
	tu_output(b->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_slices"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_first_is_graph_output)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4, 5));
	ir_node *a = slice(g, x, 1, 4, 0, 1);
	ir_node *b = slice(g, a->outputs[0], 0, 2, 1, 1);
	tu_output(b->outputs[0]);
	tu_output(a->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_slices"), 0);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_consecutive_slices");
	TCase *tc = tcase_create("fuse_consecutive_slices");
	tcase_add_test(tc, test_disjoint_axes);
	tcase_add_test(tc, test_same_axis_stays);
	tcase_add_test(tc, test_first_is_graph_output);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
