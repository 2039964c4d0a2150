/*
 * test_pass_eliminate_nop_reshape.c - Reshape goes when its target
 * provably reproduces the input shape: literal dims, copying zeros,
 * allowzero, an inferred -1, and the attribute form of opsets 1-4.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_nop_reshape"

/* Input dims: a negative entry is a symbolic dim. */
static ir_model *model_with_input(int64_t opset, const int64_t *dims, int rank)
{
	ir_model *m = tu_model(opset);
	ir_dim shape[4];
	for (int i = 0; i < rank; i++)
		shape[i] = dims[i] < 0 ? (ir_dim){IR_DIM_PARAM, 0, "N"}
		                       : (ir_dim){IR_DIM_VALUE, dims[i], NULL};
	ir_graph_add_input(m->graph, "x", IR_FLOAT, rank, shape);
	return m;
}

/* x -> Relu -> Reshape(target) -> Neg -> out; returns the Reshape. */
static ir_node *reshape_model(ir_model *m, ir_value *target)
{
	ir_graph *g = m->graph;
	ir_value *x = ir_graph_lookup(g, "x");
	ir_value *a = tu_op(g, "Relu", x);
	ir_value_set_type(a, IR_FLOAT, x->type.rank, x->type.dims);
	ir_node *reshape = target
	                       ? tu_node(g, "Reshape", TU_VALUES(a, target), 1)
	                       : tu_node(g, "Reshape", TU_VALUES(a), 1);
	tu_output(tu_op(g, "Neg", reshape->outputs[0]));
	return reshape;
}

static int run_target(const int64_t *dims, const int64_t *target, int rank,
                      int64_t allowzero)
{
	ir_model *m = model_with_input(14, dims, rank);
	ir_node *r =
	    reshape_model(m, tu_initializer_i64(m->graph, "shape", target,
	                                        (int64_t[]){rank}, 1));
	if (allowzero >= 0)
		ir_node_set_attr_int(r, "allowzero", allowzero);
	int changes = tu_run(m, PASS_NAME);
	ck_assert_int_eq(tu_count_ops(m, "Reshape"), 1 - changes);
	ir_model_free(m);
	return changes;
}

START_TEST(test_targets_that_keep_the_shape)
{
	int64_t static_dims[3] = {2, 3, 4}, symbolic[3] = {-1, 3, 4};
	ck_assert_int_eq(run_target(static_dims, (int64_t[]){2, 3, 4}, 3, -1),
	                 1);
	ck_assert_int_eq(run_target(static_dims, (int64_t[]){0, 3, -1}, 3, -1),
	                 1);
	ck_assert_int_eq(run_target(symbolic, (int64_t[]){0, 3, 4}, 3, -1), 1);
	ck_assert_int_eq(run_target(symbolic, (int64_t[]){-1, 3, 4}, 3, 0), 1);
	ck_assert_int_eq(run_target(symbolic, (int64_t[]){0, 0, 0}, 3, 0), 1);
}
END_TEST

START_TEST(test_targets_that_do_not)
{
	int64_t static_dims[3] = {2, 3, 4}, symbolic[3] = {-1, 3, 4};
	/* another shape */
	ck_assert_int_eq(run_target(static_dims, (int64_t[]){3, 2, 4}, 3, -1),
	                 0);
	/* 0 with allowzero=1 is a literal 0 */
	ck_assert_int_eq(run_target(static_dims, (int64_t[]){0, 3, 4}, 3, 1),
	                 0);
	/* the symbolic dim could be 0: -1 is then undefined */
	ck_assert_int_eq(run_target(symbolic, (int64_t[]){0, 3, -1}, 3, -1), 0);
	/* two -1 */
	ck_assert_int_eq(run_target(symbolic, (int64_t[]){-1, 3, -1}, 3, -1),
	                 0);
	/* a symbolic dim written as a number */
	ck_assert_int_eq(run_target(symbolic, (int64_t[]){2, 3, 4}, 3, -1), 0);
}
END_TEST

START_TEST(test_rank_must_match)
{
	ir_model *m = model_with_input(14, (int64_t[]){2, 3, 4}, 3);
	reshape_model(m, tu_initializer_i64(m->graph, "shape",
	                                    (int64_t[]){2, 12}, TU_DIMS(2)));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_allowzero_needs_opset_14)
{
	/* Before opset 14 the attribute does not exist: 0 copies. */
	ir_model *m = model_with_input(13, (int64_t[]){-1, 3}, 2);
	ir_node *r =
	    reshape_model(m, tu_initializer_i64(m->graph, "shape",
	                                        (int64_t[]){0, 3}, TU_DIMS(2)));
	ir_node_set_attr_int(r, "allowzero", 1);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_attribute_form_before_opset_5)
{
	ir_model *m = model_with_input(4, (int64_t[]){2, 3}, 2);
	ir_node *r = reshape_model(m, NULL);
	ir_node_set_attr_ints(r, "shape", (int64_t[]){2, 3}, 2);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);

	m = model_with_input(4, (int64_t[]){2, 3}, 2);
	r = reshape_model(m, NULL);
	ir_node_set_attr_ints(r, "shape", (int64_t[]){3, 2}, 2);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_runtime_target_and_unknown_input)
{
	ir_model *m = model_with_input(14, (int64_t[]){2, 3}, 2);
	reshape_model(m,
	              tu_input_typed(m->graph, "shape", IR_INT64, TU_DIMS(2)));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);

	m = tu_model(14);
	ir_graph *g = m->graph;
	ir_value *a = eu_opaque(g, tu_input(g, "x", TU_DIMS(2, 3)));
	ir_value *t =
	    tu_initializer_i64(g, "shape", (int64_t[]){2, 3}, TU_DIMS(2));
	tu_output(tu_op(g, "Neg", tu_op(g, "Reshape", a, t)));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0); /* a's shape unknown */
	ir_model_free(m);
}
END_TEST

START_TEST(test_graph_output_keeps_name)
{
	ir_model *m = model_with_input(14, (int64_t[]){2, 3}, 2);
	ir_graph *g = m->graph;
	ir_value *a = tu_op(g, "Relu", ir_graph_lookup(g, "x"));
	ir_value_set_type(a, IR_FLOAT, 2, ir_graph_lookup(g, "x")->type.dims);
	ir_value *t =
	    tu_initializer_i64(g, "shape", (int64_t[]){2, 3}, TU_DIMS(2));
	ir_value *y = tu_op(g, "Reshape", a, t);
	tu_output(y);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_ptr_eq(g->outputs[0], y);
	ck_assert_str_eq(eu_output_source(g, 0), "Relu");
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

static Suite *reshape_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *removes = tcase_create("removes");
	tcase_add_test(removes, test_targets_that_keep_the_shape);
	tcase_add_test(removes, test_allowzero_needs_opset_14);
	tcase_add_test(removes, test_attribute_form_before_opset_5);
	tcase_add_test(removes, test_graph_output_keeps_name);
	suite_add_tcase(s, removes);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_targets_that_do_not);
	tcase_add_test(keeps, test_rank_must_match);
	tcase_add_test(keeps, test_keeps_runtime_target_and_unknown_input);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(reshape_suite());
}
