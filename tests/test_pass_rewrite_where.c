/*
 * test_pass_rewrite_where.c - Where(Not(c), x, y) becomes Where(c, y, x)
 * when the Not has no other reader and is not a graph output.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "rewrite_where"

typedef struct where_model {
	ir_model *model;
	ir_value *c, *x, *y, *negated;
	ir_node *where;
} where_model;

static where_model build(void)
{
	where_model w;
	w.model = tu_model(13);
	ir_graph *g = w.model->graph;
	w.c = tu_input_typed(g, "c", IR_BOOL, TU_DIMS(4));
	w.x = tu_input(g, "x", TU_DIMS(4));
	w.y = tu_input(g, "y", TU_DIMS(1));
	w.negated = tu_op(g, "Not", w.c);
	w.where = tu_node(g, "Where", TU_VALUES(w.negated, w.x, w.y), 1);
	tu_output(w.where->outputs[0]);
	return w;
}

START_TEST(test_swaps_branches)
{
	where_model w = build();
	ir_value *out = w.where->outputs[0];
	ck_assert_int_eq(tu_run(w.model, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(w.model, "Not"), 0);
	ck_assert_ptr_eq(w.where->inputs[0], w.c);
	ck_assert_ptr_eq(w.where->inputs[1], w.y);
	ck_assert_ptr_eq(w.where->inputs[2], w.x);
	ck_assert_ptr_eq(w.model->graph->outputs[0], out);
	ck_assert_int_eq(tu_run(w.model, PASS_NAME), 0);
	w.model = eu_roundtrip(w.model);
	ir_model_free(w.model);
}
END_TEST

START_TEST(test_keeps_shared_not)
{
	where_model w = build();
	tu_output(tu_op(w.model->graph, "Identity", w.negated));
	ck_assert_int_eq(tu_run(w.model, PASS_NAME), 0);
	ck_assert_ptr_eq(w.where->inputs[1], w.x);
	ir_model_free(w.model);

	w = build();
	tu_output(w.negated); /* a graph output in the middle */
	ck_assert_int_eq(tu_run(w.model, PASS_NAME), 0);
	ir_model_free(w.model);
}
END_TEST

START_TEST(test_keeps_other_producers)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *c = tu_input_typed(g, "c", IR_BOOL, TU_DIMS(4));
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *not_node = ir_node_create(g, "Not", "com.example", &c, 1, 1);
	ir_node_append(g, not_node);
	tu_output(tu_op(g, "Where", not_node->outputs[0], x, x));
	tu_output(tu_op(g, "Where", tu_op(g, "Identity", c), x, x));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

static Suite *where_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *rewrites = tcase_create("rewrites");
	tcase_add_test(rewrites, test_swaps_branches);
	suite_add_tcase(s, rewrites);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_keeps_shared_not);
	tcase_add_test(keeps, test_keeps_other_producers);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(where_suite());
}
