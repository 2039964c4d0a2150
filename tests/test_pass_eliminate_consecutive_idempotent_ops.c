/*
 * test_pass_eliminate_consecutive_idempotent_ops.c - f(f(x)) becomes f(x)
 * for idempotent elementwise ops; Reshape chains merge only when the
 * outer target does not depend on the intermediate shape (0 entries).
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_consecutive_idempotent_ops"

START_TEST(test_idempotent_pairs)
{
	const char *ops[] = {"Relu", "Abs", "Ceil", "Floor", "Round", "Sign"};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		ir_model *m = tu_model(13);
		ir_graph *g = m->graph;
		ir_value *x = tu_input(g, "x", TU_DIMS(4));
		ir_value *y = tu_op(g, ops[i], x);
		ir_node *neg =
		    tu_node(g, "Neg", TU_VALUES(tu_op(g, ops[i], y)), 1);
		tu_output(neg->outputs[0]);
		ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
		ck_assert_int_eq(tu_count_ops(m, ops[i]), 1);
		ck_assert_ptr_eq(neg->inputs[0], y);
		ir_model_free(m);
	}
}
END_TEST

START_TEST(test_inner_with_other_readers_and_outputs)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *y = tu_op(g, "Relu", x);
	ir_value *side = tu_op(g, "Neg", y);
	ir_value *z = tu_op(g, "Relu", y);
	tu_output(z);
	tu_output(side);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(m, "Relu"), 1);
	/* z keeps its name and is now defined by the inner Relu */
	ck_assert_ptr_eq(g->outputs[0], z);
	ck_assert_ptr_eq(side->producer->inputs[0], z);
	m = eu_roundtrip(m);
	ir_model_free(m);

	/* both outputs are graph outputs: nothing can go */
	m = tu_model(13);
	g = m->graph;
	x = tu_input(g, "x", TU_DIMS(4));
	y = tu_op(g, "Relu", x);
	tu_output(y);
	tu_output(tu_op(g, "Relu", y));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_non_idempotent_pairs)
{
	const char *pairs[][2] = {{"Relu", "Abs"},
	                          {"Neg", "Neg"},
	                          {"Exp", "Exp"},
	                          {"Sigmoid", "Sigmoid"}};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		ir_model *m = tu_model(13);
		ir_graph *g = m->graph;
		ir_value *x = tu_input(g, "x", TU_DIMS(4));
		ir_value *y = tu_op(g, pairs[i][0], x);
		tu_output(tu_op(g, pairs[i][1], y));
		ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
		ir_model_free(m);
	}
	/* a custom-domain Relu is not ONNX's Relu */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *y = tu_op(g, "Relu", x);
	ir_node *custom = ir_node_create(g, "Relu", "com.example", &y, 1, 1);
	ir_node_append(g, custom);
	tu_output(custom->outputs[0]);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

/* ------------------------------------------------------------- Reshape */

typedef struct reshape_pair {
	ir_model *model;
	ir_node *inner, *outer;
	ir_value *x;
} reshape_pair;

/* x:[2,3,4] -> Reshape(s1) -> Reshape(s2) -> Neg -> out. A NULL s2 is a
 * graph input (not constant). */
static reshape_pair reshape_model(int64_t opset, const int64_t *s1, int n1,
                                  const int64_t *s2, int n2)
{
	reshape_pair p;
	p.model = tu_model(opset);
	ir_graph *g = p.model->graph;
	p.x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_value *t1 = tu_initializer_i64(g, "s1", s1, (int64_t[]){n1}, 1);
	ir_value *t2 =
	    s2 ? tu_initializer_i64(g, "s2", s2, (int64_t[]){n2}, 1)
	       : tu_input_typed(g, "s2", IR_INT64, (int64_t[]){n2}, 1);
	p.inner = tu_node(g, "Reshape", TU_VALUES(p.x, t1), 1);
	p.outer = tu_node(g, "Reshape", TU_VALUES(p.inner->outputs[0], t2), 1);
	tu_output(tu_op(g, "Neg", p.outer->outputs[0]));
	return p;
}

static void assert_target(const ir_node *reshape, const int64_t *want, int n)
{
	const ir_value *t = reshape->inputs[1];
	ck_assert(ir_value_is_constant(t));
	ck_assert_int_eq(ir_tensor_numel(t->tensor), n);
	const int64_t *got = t->tensor->raw;
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(got[i], want[i]);
}

START_TEST(test_reshape_without_zeros)
{
	reshape_pair p =
	    reshape_model(13, (int64_t[]){6, 4}, 2, (int64_t[]){-1}, 1);
	ck_assert_int_eq(tu_run(p.model, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(p.model, "Reshape"), 1);
	ck_assert_ptr_eq(p.outer->inputs[0], p.x);
	assert_target(p.outer, (int64_t[]){-1}, 1);
	p.model = eu_roundtrip(p.model);
	ir_model_free(p.model);
}
END_TEST

START_TEST(test_reshape_zero_resolved_through_inner)
{
	/* s2[0] = 0 copies the intermediate dim 6, not x's dim 2 */
	reshape_pair p =
	    reshape_model(13, (int64_t[]){6, 4}, 2, (int64_t[]){0, 2, 2}, 3);
	ck_assert_int_eq(tu_run(p.model, PASS_NAME), 1);
	ck_assert_ptr_eq(p.outer->inputs[0], p.x);
	assert_target(p.outer, (int64_t[]){6, 2, 2}, 3);
	ir_model_free(p.model);

	/* a 0 in s1 copies x's dim; a 0 in s2 at that place still does */
	p = reshape_model(13, (int64_t[]){0, 12}, 2, (int64_t[]){0, 3, 4}, 3);
	ck_assert_int_eq(tu_run(p.model, PASS_NAME), 1);
	assert_target(p.outer, (int64_t[]){0, 3, 4}, 3);
	ir_model_free(p.model);
}
END_TEST

START_TEST(test_reshape_zero_that_cannot_be_resolved)
{
	/* the intermediate dim comes from a -1 */
	reshape_pair p =
	    reshape_model(13, (int64_t[]){-1, 4}, 2, (int64_t[]){0, 2, 2}, 3);
	ck_assert_int_eq(tu_run(p.model, PASS_NAME), 0);
	ck_assert_ptr_eq(p.outer->inputs[0], p.inner->outputs[0]);
	ir_model_free(p.model);

	/* s2 longer than s1 */
	p = reshape_model(13, (int64_t[]){24}, 1, (int64_t[]){4, 0}, 2);
	ck_assert_int_eq(tu_run(p.model, PASS_NAME), 0);
	ir_model_free(p.model);

	/* inner allowzero=1: its 0 is a literal 0 the outer 0 copies */
	p = reshape_model(14, (int64_t[]){0, 24}, 2, (int64_t[]){0, -1}, 2);
	ir_node_set_attr_int(p.inner, "allowzero", 1);
	ck_assert_int_eq(tu_run(p.model, PASS_NAME), 0);
	ir_model_free(p.model);

	/* s2 computed at run time might hold a 0 */
	p = reshape_model(13, (int64_t[]){6, 4}, 2, NULL, 2);
	ck_assert_int_eq(tu_run(p.model, PASS_NAME), 0);
	ir_model_free(p.model);
}
END_TEST

START_TEST(test_reshape_outer_allowzero)
{
	/* with allowzero=1 the outer target never reads the intermediate
	 * shape, even when it is computed at run time */
	reshape_pair p = reshape_model(14, (int64_t[]){6, 4}, 2, NULL, 2);
	ir_node_set_attr_int(p.outer, "allowzero", 1);
	ck_assert_int_eq(tu_run(p.model, PASS_NAME), 1);
	ck_assert_ptr_eq(p.outer->inputs[0], p.x);
	ir_model_free(p.model);

	/* but the attribute does not exist before opset 14 */
	p = reshape_model(13, (int64_t[]){6, 4}, 2, NULL, 2);
	ir_node_set_attr_int(p.outer, "allowzero", 1);
	ck_assert_int_eq(tu_run(p.model, PASS_NAME), 0);
	ir_model_free(p.model);
}
END_TEST

START_TEST(test_reshape_inner_with_other_reader)
{
	reshape_pair p =
	    reshape_model(13, (int64_t[]){6, 4}, 2, (int64_t[]){24}, 1);
	tu_output(p.inner->outputs[0]);
	ck_assert_int_eq(tu_run(p.model, PASS_NAME), 1);
	ck_assert_int_eq(tu_count_ops(p.model, "Reshape"), 2);
	ck_assert_ptr_eq(p.outer->inputs[0], p.x);
	ir_model_free(p.model);
}
END_TEST

static Suite *idempotent_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *unary = tcase_create("unary");
	tcase_add_test(unary, test_idempotent_pairs);
	tcase_add_test(unary, test_inner_with_other_readers_and_outputs);
	tcase_add_test(unary, test_non_idempotent_pairs);
	suite_add_tcase(s, unary);
	TCase *reshape = tcase_create("reshape");
	tcase_add_test(reshape, test_reshape_without_zeros);
	tcase_add_test(reshape, test_reshape_zero_resolved_through_inner);
	tcase_add_test(reshape, test_reshape_zero_that_cannot_be_resolved);
	tcase_add_test(reshape, test_reshape_outer_allowzero);
	tcase_add_test(reshape, test_reshape_inner_with_other_reader);
	suite_add_tcase(s, reshape);
	return s;
}

int main(void)
{
	return tu_run_suite(idempotent_suite());
}
