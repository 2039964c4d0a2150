/*
 * test_pass_fuse_squeezes.c - fuse_consecutive_squeezes,
 * fuse_consecutive_unsqueezes and fuse_consecutive_squeeze_unsqueeze, in
 * the attribute form (opset 11) and the input form (opset 13) of axes,
 * with negative axes.
 */
#include "test_fuse_util.h"

static ir_node *axes_op(ir_graph *g, const char *op, ir_value *x,
                        const int64_t *axes, int n)
{
	if (ir_model_opset(g->model, "") >= 13)
		return tu_node(g, op, TU_VALUES(x, fu_ints(g, axes, n)), 1);
	ir_node *node = tu_node(g, op, TU_VALUES(x), 1);
	ir_node_set_attr_ints(node, "axes", axes, n);
	return node;
}

static const char *axes_of(ir_node *node)
{
	if (ir_node_attr(node, "axes"))
		return fu_ints_attr(node, "axes");
	return fu_ints_value(node->inputs[1]);
}

static const int opsets[2] = {11, 13};

START_TEST(test_squeezes_merge)
{
	for (int i = 0; i < 2; i++) {
		ir_model *m = tu_model(opsets[i]);
		ir_graph *g = m->graph;
		ir_value *x = tu_input(g, "x", TU_DIMS(1, 3, 1, 4, 1));
		/* [1,3,1,4,1] -Squeeze(-1)-> [1,3,1,4] -Squeeze(0,-2)-> [3,4]
		 */
		ir_node *a = axes_op(g, "Squeeze", x, (int64_t[]){-1}, 1);
		ir_node *b =
		    axes_op(g, "Squeeze", a->outputs[0], (int64_t[]){0, -2}, 2);
		tu_output(b->outputs[0]);
		ck_assert_int_eq(
		    fu_run_equivalent(m, "fuse_consecutive_squeezes", 0), 1);
		ck_assert_int_eq(g->n_nodes, 1);
		ck_assert_str_eq(axes_of(g->first), "0,2,4");
		ir_model_free(m);
	}
}
END_TEST

START_TEST(test_squeezes_without_axes_stay)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(1, 3, 1));
	ir_node *a = tu_node(g, "Squeeze", TU_VALUES(x), 1);
	ir_node *b = axes_op(g, "Squeeze", a->outputs[0], (int64_t[]){0}, 1);
	tu_output(b->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_squeezes"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_unsqueezes_merge)
{
	for (int i = 0; i < 2; i++) {
		ir_model *m = tu_model(opsets[i]);
		ir_graph *g = m->graph;
		ir_value *x = tu_input(g, "x", TU_DIMS(3, 4));
		/* [3,4] -U(1)-> [3,1,4] -U(0,-1)-> [1,3,1,4,1] */
		ir_node *a = axes_op(g, "Unsqueeze", x, (int64_t[]){1}, 1);
		ir_node *b = axes_op(g, "Unsqueeze", a->outputs[0],
		                     (int64_t[]){0, -1}, 2);
		tu_output(b->outputs[0]);
		ck_assert_int_eq(
		    fu_run_equivalent(m, "fuse_consecutive_unsqueezes", 0), 1);
		ck_assert_int_eq(g->n_nodes, 1);
		ck_assert_str_eq(axes_of(g->first), "0,2,4");
		ir_model_free(m);
	}
}
END_TEST

START_TEST(test_unsqueeze_read_twice)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(3, 4));
	ir_node *a = axes_op(g, "Unsqueeze", x, (int64_t[]){0}, 1);
	ir_node *b = axes_op(g, "Unsqueeze", a->outputs[0], (int64_t[]){0}, 1);
	tu_output(b->outputs[0]);
	tu_output(tu_op(g, "Relu", a->outputs[0]));
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_unsqueezes"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_unsqueeze_squeeze_cancel)
{
	for (int i = 0; i < 2; i++) {
		ir_model *m = tu_model(opsets[i]);
		ir_graph *g = m->graph;
		ir_value *x = tu_input(g, "x", TU_DIMS(3, 4));
		/* U(-1) on rank 2 is axis 2 of rank 3; S(2) removes it. */
		ir_node *a = axes_op(g, "Unsqueeze", x, (int64_t[]){-1}, 1);
		ir_node *b =
		    axes_op(g, "Squeeze", a->outputs[0], (int64_t[]){2}, 1);
		ir_node *relu = tu_node(g, "Relu", TU_VALUES(b->outputs[0]), 1);
		tu_output(relu->outputs[0]);
		ck_assert_int_eq(
		    fu_run_equivalent(m, "fuse_consecutive_squeeze_unsqueeze",
		                      0),
		    1);
		ck_assert_ptr_eq(relu->inputs[0], x);
		ck_assert_int_eq(g->n_nodes, 1);
		ir_model_free(m);
	}
}
END_TEST

START_TEST(test_squeeze_unsqueeze_cancel_at_output)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(3, 1, 4));
	ir_node *a = axes_op(g, "Squeeze", x, (int64_t[]){-2}, 1);
	ir_node *b = axes_op(g, "Unsqueeze", a->outputs[0], (int64_t[]){1}, 1);
	ir_value *y = b->outputs[0];
	tu_output(y);
	ck_assert_int_eq(
	    fu_run_equivalent(m, "fuse_consecutive_squeeze_unsqueeze", 0), 1);
	ck_assert_str_eq(y->producer->op_type, "Identity");
	ir_model_free(m);
}
END_TEST

START_TEST(test_different_axes_stay)
{
	/* [3,4,1] -U(1)-> [3,1,4,1] -S(-1)-> [3,1,4]: not the input. */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(3, 4, 1));
	ir_node *a = axes_op(g, "Unsqueeze", x, (int64_t[]){1}, 1);
	ir_node *b = axes_op(g, "Squeeze", a->outputs[0], (int64_t[]){-1}, 1);
	tu_output(b->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_squeeze_unsqueeze"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_negative_axes_need_rank)
{
	/* x's rank is unknown: -1 cannot be compared with 2. */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", NULL, 0);
	x->type.rank = -1;
	ir_node *a = axes_op(g, "Unsqueeze", x, (int64_t[]){-1}, 1);
	ir_node *b = axes_op(g, "Squeeze", a->outputs[0], (int64_t[]){2}, 1);
	tu_output(b->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_squeeze_unsqueeze"), 0);
	ir_model_free(m);
}
END_TEST

/* With x's rank unknown nothing bounds an axis; one of 2^62 (a bad model)
 * is left alone, where counting positions up to it would hang. */
START_TEST(test_huge_axes_stay)
{
	static const char *const ops[2] = {"Squeeze", "Unsqueeze"};
	static const char *const passes[2] = {"fuse_consecutive_squeezes",
	                                      "fuse_consecutive_unsqueezes"};
	for (int k = 0; k < 2; k++) {
		ir_model *m = tu_model(13);
		ir_graph *g = m->graph;
		ir_value *x = tu_input(g, "x", NULL, 0);
		x->type.rank = -1;
		ir_node *a =
		    axes_op(g, ops[k], x, (int64_t[]){(int64_t)1 << 62}, 1);
		ir_node *b =
		    axes_op(g, ops[k], a->outputs[0], (int64_t[]){0}, 1);
		tu_output(b->outputs[0]);
		ck_assert_int_eq(tu_run(m, passes[k]), 0);
		ck_assert_int_eq(g->n_nodes, 2);
		ir_model_free(m);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_squeezes");
	TCase *tc = tcase_create("fuse_squeezes");
	tcase_add_test(tc, test_squeezes_merge);
	tcase_add_test(tc, test_squeezes_without_axes_stay);
	tcase_add_test(tc, test_unsqueezes_merge);
	tcase_add_test(tc, test_unsqueeze_read_twice);
	tcase_add_test(tc, test_unsqueeze_squeeze_cancel);
	tcase_add_test(tc, test_squeeze_unsqueeze_cancel_at_output);
	tcase_add_test(tc, test_different_axes_stay);
	tcase_add_test(tc, test_negative_axes_need_rank);
	tcase_add_test(tc, test_huge_axes_stay);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
