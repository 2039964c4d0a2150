/*
 * test_pass_fuse_relu_clip.c - Relu next to Clip folds into the lower
 * bound, in both orders and both Clip forms.
 */
#include "test_fuse_util.h"

static ir_node *clip(ir_graph *g, ir_value *x, float lo, float hi)
{
	if (ir_model_opset(g->model, "") < 11) {
		ir_node *c = tu_node(g, "Clip", TU_VALUES(x), 1);
		ir_node_set_attr_float(c, "min", lo);
		ir_node_set_attr_float(c, "max", hi);
		return c;
	}
	return tu_node(g, "Clip",
	               TU_VALUES(x, fu_scalar(g, lo), fu_scalar(g, hi)), 1);
}

START_TEST(test_relu_then_clip)
{
	static const int opsets[2] = {10, 13};
	for (int i = 0; i < 2; i++) {
		ir_model *m = tu_model(opsets[i]);
		ir_graph *g = m->graph;
		ir_value *x = tu_input(g, "x", TU_DIMS(3, 4));
		ir_node *c = clip(g, tu_op(g, "Relu", x), -1.0f, 1.5f);
		tu_output(c->outputs[0]);
		ck_assert_int_eq(fu_run_equivalent(m, "fuse_relu_clip", 0), 1);
		ck_assert_int_eq(g->n_nodes, 1);
		ck_assert_ptr_eq(c->inputs[0], x);
		ir_model_free(m);
	}
}
END_TEST

START_TEST(test_clip_then_relu)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(3, 4));
	ir_node *c = clip(g, x, 0.5f, 1.5f);
	ir_value *y = tu_op(g, "Relu", c->outputs[0]);
	tu_output(y);
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_relu_clip", 0), 1);
	ck_assert_ptr_eq(y->producer, c);
	ir_model_free(m);
}
END_TEST

START_TEST(test_clip_without_bounds)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(3, 4));
	tu_output(tu_op(g, "Clip", tu_op(g, "Relu", x)));
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_relu_clip", 0), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_negative_upper_bound_stays)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(3, 4));
	tu_output(clip(g, tu_op(g, "Relu", x), -3, -1)->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_relu_clip"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_relu_read_twice)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(3, 4));
	ir_value *r = tu_op(g, "Relu", x);
	tu_output(clip(g, r, 0, 6)->outputs[0]);
	tu_output(r);
	ck_assert_int_eq(tu_run(m, "fuse_relu_clip"), 0);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_relu_clip");
	TCase *tc = tcase_create("fuse_relu_clip");
	tcase_add_test(tc, test_relu_then_clip);
	tcase_add_test(tc, test_clip_then_relu);
	tcase_add_test(tc, test_clip_without_bounds);
	tcase_add_test(tc, test_negative_upper_bound_stays);
	tcase_add_test(tc, test_relu_read_twice);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
