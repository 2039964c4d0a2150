/*
 * test_pass_fuse_rms_norm.c - decomposed RMS norms fuse to
 * RMSNormalization (opset 23) and compute the same; near misses do not.
 */
#include "test_fuse_util.h"

typedef struct rms_options {
	int opset;   /* default 23 */
	bool divide; /* Div(x, s) instead of Mul(x, Reciprocal(s)) */
	bool swapped;
	bool square_as_mul;
	int64_t axis;     /* default -1 */
	bool other_x;     /* the divided tensor is not the squared one */
	bool mean_output; /* the ReduceMean output is a graph output */
} rms_options;

typedef struct rms_graph {
	ir_model *m;
	ir_value *x, *gamma, *y, *mean;
} rms_graph;

static rms_graph build(const rms_options *o)
{
	rms_graph r = {0};
	r.m = tu_model(o->opset ? o->opset : 23);
	ir_graph *g = r.m->graph;
	r.x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_value *other = tu_input(g, "other", TU_DIMS(2, 3, 4));
	ir_value *sq = o->square_as_mul ? tu_op(g, "Mul", r.x, r.x)
	                                : tu_op(g, "Pow", r.x, fu_scalar(g, 2));
	int64_t axis = o->axis ? o->axis : -1;
	ir_node *mean =
	    tu_node(g, "ReduceMean", TU_VALUES(sq, fu_ints(g, &axis, 1)), 1);
	r.mean = mean->outputs[0];
	ir_value *eps = fu_scalar(g, 1e-6f);
	ir_value *s = tu_op(g, "Sqrt",
	                    o->swapped ? tu_op(g, "Add", eps, r.mean)
	                               : tu_op(g, "Add", r.mean, eps));
	ir_value *x2 = o->other_x ? other : r.x;
	ir_value *n;
	if (o->divide)
		n = tu_op(g, "Div", x2, s);
	else if (o->swapped)
		n = tu_op(g, "Mul", tu_op(g, "Reciprocal", s), x2);
	else
		n = tu_op(g, "Mul", x2, tu_op(g, "Reciprocal", s));
	r.gamma = fu_ramp(g, "gamma", 4, 0.5f, 0.25f);
	r.y = o->swapped ? tu_op(g, "Mul", r.gamma, n)
	                 : tu_op(g, "Mul", n, r.gamma);
	tu_output(r.y);
	if (o->mean_output)
		tu_output(r.mean);
	return r;
}

static void assert_fused(const rms_options *o)
{
	rms_graph r = build(o);
	ck_assert_int_eq(fu_run_equivalent(r.m, "fuse_rms_norm", 1e-5), 1);
	ir_node *rms = fu_producer(r.y);
	ck_assert_str_eq(rms->op_type, "RMSNormalization");
	ck_assert_ptr_eq(rms->inputs[0], r.x);
	ck_assert_ptr_eq(rms->inputs[1], r.gamma);
	ck_assert_int_eq(ir_attr_int(rms, "axis", 0), -1);
	fu_assert_near(ir_attr_float(rms, "epsilon", 0), 1e-6, 1e-12);
	ck_assert_int_eq(r.m->graph->n_nodes, 1);
	ir_model_free(r.m);
}

static void assert_not_fused(const rms_options *o)
{
	rms_graph r = build(o);
	ck_assert_int_eq(tu_run(r.m, "fuse_rms_norm"), 0);
	ir_model_free(r.m);
}

START_TEST(test_reciprocal)
{
	assert_fused(&(rms_options){0});
}
END_TEST

START_TEST(test_divide)
{
	assert_fused(&(rms_options){.divide = true});
}
END_TEST

START_TEST(test_swapped_and_square_as_mul)
{
	assert_fused(&(rms_options){.swapped = true, .square_as_mul = true});
}
END_TEST

START_TEST(test_too_low_opset)
{
	assert_not_fused(&(rms_options){.opset = 22});
}
END_TEST

START_TEST(test_not_the_last_axis)
{
	assert_not_fused(&(rms_options){.axis = 1});
}
END_TEST

START_TEST(test_other_x)
{
	assert_not_fused(&(rms_options){.other_x = true});
}
END_TEST

START_TEST(test_mean_is_graph_output)
{
	assert_not_fused(&(rms_options){.mean_output = true});
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_rms_norm");
	TCase *tc = tcase_create("fuse_rms_norm");
	tcase_add_test(tc, test_reciprocal);
	tcase_add_test(tc, test_divide);
	tcase_add_test(tc, test_swapped_and_square_as_mul);
	tcase_add_test(tc, test_too_low_opset);
	tcase_add_test(tc, test_not_the_last_axis);
	tcase_add_test(tc, test_other_x);
	tcase_add_test(tc, test_mean_is_graph_output);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
