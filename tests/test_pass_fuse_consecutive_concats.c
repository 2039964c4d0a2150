/*
 * test_pass_fuse_consecutive_concats.c - Concats along one axis splice.
 */
#include "test_fuse_util.h"

static ir_node *concat(ir_graph *g, int64_t axis, ir_value *const *in, int n)
{
	ir_node *c = tu_node(g, "Concat", in, n, 1);
	ir_node_set_attr_int(c, "axis", axis);
	return c;
}

START_TEST(test_splices_in_order)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *a = tu_input(g, "a", TU_DIMS(2, 1));
	ir_value *b = tu_input(g, "b", TU_DIMS(2, 2));
	ir_value *c = tu_input(g, "c", TU_DIMS(2, 3));
	ir_node *inner = concat(g, 1, TU_VALUES(a, b));
	/* -1 is axis 1 at rank 2. */
	ir_node *outer = concat(g, -1, TU_VALUES(c, inner->outputs[0], a));
	tu_output(outer->outputs[0]);
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_consecutive_concats", 0),
	                 1);
	ck_assert_int_eq(g->n_nodes, 1);
	ir_node *fused = g->first;
	ck_assert_int_eq(fused->n_inputs, 4);
	ck_assert_ptr_eq(fused->inputs[0], c);
	ck_assert_ptr_eq(fused->inputs[1], a);
	ck_assert_ptr_eq(fused->inputs[2], b);
	ck_assert_ptr_eq(fused->inputs[3], a);
	ir_model_free(m);
}
END_TEST

/* Concat(t, t) with t = Concat(a, b): both reads splice (found by the
 * structure-aware fuzzer, which made the pass read a removed value). */
START_TEST(test_inner_read_twice)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *a = tu_input(g, "a", TU_DIMS(2, 1));
	ir_value *b = tu_input(g, "b", TU_DIMS(2, 2));
	ir_node *inner = concat(g, 1, TU_VALUES(a, b));
	ir_node *outer = concat(
	    g, 1, TU_VALUES(inner->outputs[0], inner->outputs[0]));
	tu_output(outer->outputs[0]);
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_consecutive_concats", 0),
	                 1);
	ck_assert_int_eq(g->n_nodes, 1);
	ir_node *fused = g->first;
	ck_assert_int_eq(fused->n_inputs, 4);
	ck_assert_ptr_eq(fused->inputs[0], a);
	ck_assert_ptr_eq(fused->inputs[1], b);
	ck_assert_ptr_eq(fused->inputs[2], a);
	ck_assert_ptr_eq(fused->inputs[3], b);
	ir_model_free(m);
}
END_TEST

START_TEST(test_other_axis_stays)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *a = tu_input(g, "a", TU_DIMS(2, 2));
	ir_node *inner = concat(g, 0, TU_VALUES(a, a));
	ir_node *outer =
	    concat(g, 1, TU_VALUES(inner->outputs[0], inner->outputs[0]));
	tu_output(outer->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_concats"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_inner_read_elsewhere)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *a = tu_input(g, "a", TU_DIMS(2, 2));
	ir_node *inner = concat(g, 0, TU_VALUES(a, a));
	ir_node *outer = concat(g, 0, TU_VALUES(inner->outputs[0], a));
	tu_output(outer->outputs[0]);
	tu_output(inner->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_concats"), 0);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_consecutive_concats");
	TCase *tc = tcase_create("fuse_consecutive_concats");
	tcase_add_test(tc, test_splices_in_order);
	tcase_add_test(tc, test_inner_read_twice);
	tcase_add_test(tc, test_other_axis_stays);
	tcase_add_test(tc, test_inner_read_elsewhere);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
