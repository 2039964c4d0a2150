/*
 * test_pass_fuse_coerced_softmax.c - Flatten -> Softmax -> Reshape(Shape)
 * over the last axis becomes one Softmax and computes the same; an inner
 * axis, another shape, an older opset or a shared intermediate do not.
 */
#include "test_fuse_util.h"

typedef struct coerced_options {
	int opset;        /* default 13 */
	int64_t axis;     /* Flatten's; default 2 (the last of rank 3) */
	const char *op;   /* default Softmax */
	bool other_shape; /* Reshape to the Shape of another value */
	bool shared;      /* the Flatten output is also a graph output */
} coerced_options;

static ir_model *build(const coerced_options *o)
{
	ir_model *m = tu_model(o->opset ? o->opset : 13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_value *other = tu_input(g, "other", TU_DIMS(2, 3, 4));
	ir_node *flatten = tu_node(g, "Flatten", TU_VALUES(x), 1);
	ir_node_set_attr_int(flatten, "axis", o->axis ? o->axis : 2);
	ir_node *op = tu_node(g, o->op ? o->op : "Softmax",
	                      TU_VALUES(flatten->outputs[0]), 1);
	ir_node_set_attr_int(op, "axis", 1);
	ir_value *shape = tu_op(g, "Shape", o->other_shape ? other : x);
	tu_output(tu_op(g, "Reshape", op->outputs[0], shape));
	if (o->shared)
		tu_output(flatten->outputs[0]);
	return m;
}

START_TEST(test_fuses_and_computes_the_same)
{
	static const char *const ops[] = {"Softmax", "LogSoftmax", "Hardmax"};
	for (int i = 0; i < 3; i++) {
		coerced_options o = {.op = ops[i]};
		ir_model *m = build(&o);
		ck_assert_int_eq(
		    fu_run_equivalent(m, "fuse_coerced_softmax", 1e-6), 1);
		ck_assert_int_eq(m->graph->n_nodes, 1);
		ir_node *n = m->graph->first;
		ck_assert_str_eq(n->op_type, ops[i]);
		ck_assert_int_eq(ir_attr_int(n, "axis", 0), -1);
		ir_model_free(m);
	}
	coerced_options negative_axis = {.axis = -1};
	ir_model *m = build(&negative_axis);
	ck_assert_int_eq(tu_run(m, "fuse_coerced_softmax"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_leaves_what_is_not_the_last_axis)
{
	coerced_options cases[] = {
	    {.axis = 1},           /* rows of 12: not the last axis */
	    {.other_shape = true}, /* not x's own shape */
	    {.opset = 12},         /* the op coerces to 2-D itself */
	    {.shared = true},      /* the Flatten output is read elsewhere */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		ir_model *m = build(&cases[i]);
		ck_assert_msg(tu_run(m, "fuse_coerced_softmax") == 0,
		              "case %zu", i);
		ck_assert_int_eq(tu_count_ops(m, "Flatten"), 1);
		ir_model_free(m);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pass_fuse_coerced_softmax");
	TCase *tc = tcase_create("fuse_coerced_softmax");
	tcase_add_test(tc, test_fuses_and_computes_the_same);
	tcase_add_test(tc, test_leaves_what_is_not_the_last_axis);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
