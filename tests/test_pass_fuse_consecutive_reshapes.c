/*
 * test_pass_fuse_consecutive_reshapes.c - a Reshape of a Reshape reads the
 * original tensor, with Reshape's 0 entries handled exactly.
 */
#include "test_fuse_util.h"

static ir_node *reshape(ir_graph *g, ir_value *x, const int64_t *shape, int n)
{
	return tu_node(g, "Reshape", TU_VALUES(x, fu_ints(g, shape, n)), 1);
}

START_TEST(test_plain)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_node *a = reshape(g, x, (int64_t[]){6, 4}, 2);
	ir_node *b = reshape(g, a->outputs[0], (int64_t[]){4, -1}, 2);
	tu_output(b->outputs[0]);
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_consecutive_reshapes", 0),
	                 1);
	ck_assert_int_eq(g->n_nodes, 1);
	ck_assert_ptr_eq(g->first->inputs[0], x);
	ck_assert_int_eq(g->n_initializers, 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_zero_copies_from_the_first_shape)
{
	/* [2,3,4] -> [0, 12] = [2, 12] -> [0, 3, -1]: the second 0 is t's
	 * dim 0 = x's dim 0, and stays 0. [2,3,4] -> [6, 4] -> [0, 2, 2]: the
	 * 0 means 6, which x does not have at 0, so it becomes 6. */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_node *a = reshape(g, x, (int64_t[]){0, 12}, 2);
	ir_node *b = reshape(g, a->outputs[0], (int64_t[]){0, 3, -1}, 3);
	ir_node *c = reshape(g, x, (int64_t[]){6, 4}, 2);
	ir_node *d = reshape(g, c->outputs[0], (int64_t[]){0, 2, 2}, 3);
	tu_output(b->outputs[0]);
	tu_output(d->outputs[0]);
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_consecutive_reshapes", 0),
	                 2);
	ck_assert_str_eq(fu_ints_value(b->inputs[1]), "0,3,-1");
	ck_assert_str_eq(fu_ints_value(d->inputs[1]), "6,2,2");
	ir_model_free(m);
}
END_TEST

START_TEST(test_zero_of_unknown_dim_stays)
{
	/* The 0 copies t's dim 0, which came from a -1. */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_node *a = reshape(g, x, (int64_t[]){-1, 4}, 2);
	ir_node *b = reshape(g, a->outputs[0], (int64_t[]){0, 2, 2}, 3);
	tu_output(b->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_reshapes"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_dynamic_second_shape_stays)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_value *shape = tu_input_typed(g, "shape", IR_INT64, TU_DIMS(2));
	ir_node *a = reshape(g, x, (int64_t[]){6, 4}, 2);
	tu_output(tu_op(g, "Reshape", a->outputs[0], shape));
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_reshapes"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_first_read_twice)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_node *a = reshape(g, x, (int64_t[]){6, 4}, 2);
	ir_node *b = reshape(g, a->outputs[0], (int64_t[]){24}, 1);
	tu_output(b->outputs[0]);
	tu_output(tu_op(g, "Relu", a->outputs[0]));
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_reshapes"), 0);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_consecutive_reshapes");
	TCase *tc = tcase_create("fuse_consecutive_reshapes");
	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_zero_copies_from_the_first_shape);
	tcase_add_test(tc, test_zero_of_unknown_dim_stays);
	tcase_add_test(tc, test_dynamic_second_shape_stays);
	tcase_add_test(tc, test_first_read_twice);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
