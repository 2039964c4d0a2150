/*
 * test_pass_eliminate_nop_expand.c - Expand goes only when broadcasting
 * against its constant shape provably leaves the input shape as it is.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_nop_expand"

/* x:[N,3,4] (N symbolic) -> Relu -> Expand(shape) -> Neg -> out. */
static ir_node *expand_model(ir_model *m, ir_value *shape)
{
	ir_graph *g = m->graph;
	ir_value *x = ir_graph_lookup(g, "x");
	ir_value *a = tu_op(g, "Relu", x);
	ir_value_set_type(a, IR_FLOAT, x->type.rank, x->type.dims);
	ir_node *expand = tu_node(g, "Expand", TU_VALUES(a, shape), 1);
	tu_output(tu_op(g, "Neg", expand->outputs[0]));
	return expand;
}

static ir_model *model_with_input(int64_t opset)
{
	ir_model *m = tu_model(opset);
	ir_dim dims[3] = {{IR_DIM_PARAM, 0, "N"},
	                  {IR_DIM_VALUE, 3, NULL},
	                  {IR_DIM_VALUE, 4, NULL}};
	ir_graph_add_input(m->graph, "x", IR_FLOAT, 3, dims);
	return m;
}

static int run_with_shape(int64_t opset, const int64_t *shape, int n)
{
	ir_model *m = model_with_input(opset);
	expand_model(
	    m, tu_initializer_i64(m->graph, "shape", shape, (int64_t[]){n}, 1));
	int changes = tu_run(m, PASS_NAME);
	ck_assert_int_eq(tu_count_ops(m, "Expand"), 1 - changes);
	ir_model_free(m);
	return changes;
}

START_TEST(test_ones_keep_the_shape)
{
	ck_assert_int_eq(run_with_shape(13, (int64_t[]){1, 4}, 2), 1);
	ck_assert_int_eq(run_with_shape(13, (int64_t[]){1, 1, 1}, 3), 1);
	ck_assert_int_eq(run_with_shape(13, (int64_t[]){3, 4}, 2), 1);
	ck_assert_int_eq(run_with_shape(13, NULL, 0), 1);
}
END_TEST

START_TEST(test_growing_shapes_stay)
{
	/* adds a dimension */
	ck_assert_int_eq(run_with_shape(13, (int64_t[]){1, 1, 1, 1}, 4), 0);
	/* 3 against 5 fails at run time; that error must stay */
	ck_assert_int_eq(run_with_shape(13, (int64_t[]){5, 4}, 2), 0);
	/* N could be 1, then this grows it to 7 */
	ck_assert_int_eq(run_with_shape(13, (int64_t[]){7, 3, 4}, 3), 0);
	/* too low an opset for Expand */
	ck_assert_int_eq(run_with_shape(7, (int64_t[]){1, 4}, 2), 0);
}
END_TEST

START_TEST(test_shape_from_constant_node)
{
	ir_model *m = model_with_input(13);
	ir_value *shape = eu_constant_ints(m->graph, (int64_t[]){1, 1}, 2);
	expand_model(m, shape);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_runtime_shape)
{
	ir_model *m = model_with_input(13);
	ir_value *shape =
	    tu_input_typed(m->graph, "shape", IR_INT64, TU_DIMS(2));
	expand_model(m, shape);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_unknown_rank)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2));
	ir_value *a = eu_opaque(g, x); /* type unknown */
	ir_value *shape =
	    tu_initializer_i64(g, "shape", (int64_t[]){1}, TU_DIMS(1));
	ir_node *expand = tu_node(g, "Expand", TU_VALUES(a, shape), 1);
	tu_output(tu_op(g, "Neg", expand->outputs[0]));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

/* x.expand(x.size()) and x.expand(1, x.size(-1)) leave x as it is; the
 * size of another tensor whose dims have other names (or none) may be
 * anything, so those Expands stay. */
START_TEST(test_computed_shapes_of_own_dims)
{
	ir_model *m = model_with_input(13);
	ir_graph *g = m->graph;
	ir_value *x = ir_graph_lookup(g, "x");
	ir_node *own = expand_model(m, tu_op(g, "Shape", x));
	ir_value *last =
	    tu_op(g, "Gather", tu_op(g, "Shape", x),
	          tu_initializer_i64(g, "i", (int64_t[]){2}, TU_DIMS(1)));
	ir_value *one_last = tu_op(
	    g, "Concat",
	    tu_initializer_i64(g, "one", (int64_t[]){1}, TU_DIMS(1)), last);
	ir_node_set_attr_int(one_last->producer, "axis", 0);
	ir_node *tail = expand_model(m, one_last);
	/* y:[M,3,4] and z:[?,3,4]: M and the unknown are not N */
	ir_dim other[3] = {{IR_DIM_PARAM, 0, "M"},
	                   {IR_DIM_VALUE, 3, NULL},
	                   {IR_DIM_VALUE, 4, NULL}};
	ir_value *y = ir_graph_add_input(g, "y", IR_FLOAT, 3, other);
	other[0] = (ir_dim){IR_DIM_UNKNOWN, 0, NULL};
	ir_value *z = ir_graph_add_input(g, "z", IR_FLOAT, 3, other);
	expand_model(m, tu_op(g, "Shape", y));
	expand_model(m, tu_op(g, "Shape", z));
	ck_assert_int_eq(tu_count_ops(m, "Expand"), 4);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 2);
	ck_assert_int_eq(tu_count_ops(m, "Expand"), 2);
	ck_assert(own->removed && tail->removed);
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

/* Two dims nothing names are not assumed equal: Expand(x, Shape(y)) with
 * x and y both [?, 3] stays (y's dim may be 5 while x's is 1), and so
 * does Expand(x, Shape(x)) then, since a graph input's unknown dim has
 * no symbol to prove it with. */
START_TEST(test_unknown_dims_are_not_proved)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_dim dims[2] = {{IR_DIM_UNKNOWN, 0, NULL}, {IR_DIM_VALUE, 3, NULL}};
	ir_value *x = ir_graph_add_input(g, "x", IR_FLOAT, 2, dims);
	ir_value *y = ir_graph_add_input(g, "y", IR_FLOAT, 2, dims);
	ir_node *e1 =
	    tu_node(g, "Expand", TU_VALUES(x, tu_op(g, "Shape", y)), 1);
	tu_output(e1->outputs[0]);
	ir_node *e2 =
	    tu_node(g, "Expand", TU_VALUES(x, tu_op(g, "Shape", x)), 1);
	tu_output(e2->outputs[0]);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

static Suite *expand_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *removes = tcase_create("removes");
	tcase_add_test(removes, test_ones_keep_the_shape);
	tcase_add_test(removes, test_shape_from_constant_node);
	tcase_add_test(removes, test_computed_shapes_of_own_dims);
	suite_add_tcase(s, removes);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_growing_shapes_stay);
	tcase_add_test(keeps, test_keeps_runtime_shape);
	tcase_add_test(keeps, test_keeps_unknown_rank);
	tcase_add_test(keeps, test_unknown_dims_are_not_proved);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(expand_suite());
}
