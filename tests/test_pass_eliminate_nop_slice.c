/*
 * test_pass_eliminate_nop_slice.c - Slice goes when every sliced axis is
 * provably taken whole; attribute form (opset < 10) and input form.
 */
#include <stdint.h>

#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_nop_slice"

typedef struct slice_case {
	const int64_t *starts, *ends, *axes, *steps;
	int n;
} slice_case;

/* x:[N,3,4] (N symbolic) -> Relu -> Slice -> Neg -> out. */
static int run_slice(int64_t opset, slice_case c)
{
	ir_model *m = tu_model(opset);
	ir_graph *g = m->graph;
	ir_dim dims[3] = {{IR_DIM_PARAM, 0, "N"},
	                  {IR_DIM_VALUE, 3, NULL},
	                  {IR_DIM_VALUE, 4, NULL}};
	ir_value *x = ir_graph_add_input(g, "x", IR_FLOAT, 3, dims);
	ir_value *a = tu_op(g, "Relu", x);
	ir_value_set_type(a, IR_FLOAT, 3, dims);
	ir_node *slice;
	int64_t n[1] = {c.n};
	if (opset < 10) {
		slice = tu_node(g, "Slice", TU_VALUES(a), 1);
		ir_node_set_attr_ints(slice, "starts", c.starts, c.n);
		ir_node_set_attr_ints(slice, "ends", c.ends, c.n);
		if (c.axes)
			ir_node_set_attr_ints(slice, "axes", c.axes, c.n);
	} else {
		ir_value *inputs[5] = {
		    a, tu_initializer_i64(g, "starts", c.starts, n, 1),
		    tu_initializer_i64(g, "ends", c.ends, n, 1),
		    c.axes ? tu_initializer_i64(g, "axes", c.axes, n, 1) : NULL,
		    c.steps ? tu_initializer_i64(g, "steps", c.steps, n, 1)
		            : NULL};
		slice = tu_node(g, "Slice", inputs,
		                c.steps  ? 5
		                : c.axes ? 4
		                         : 3,
		                1);
	}
	tu_output(tu_op(g, "Neg", slice->outputs[0]));
	int changes = tu_run(m, PASS_NAME);
	ck_assert_int_eq(tu_count_ops(m, "Slice"), 1 - changes);
	if (changes)
		ck_assert_ptr_eq(tu_find_node(g, "Neg")->inputs[0], a);
	ir_model_free(m);
	return changes;
}

#define L(...)                                                                 \
	(const int64_t[])                                                      \
	{                                                                      \
		__VA_ARGS__                                                    \
	}

START_TEST(test_whole_axes)
{
	/* the symbolic axis from 0 to INT64_MAX */
	ck_assert_int_eq(
	    run_slice(13, (slice_case){L(0), L(INT64_MAX), L(0), NULL, 1}), 1);
	/* known axes: any end past the dim, any start before it */
	ck_assert_int_eq(run_slice(13, (slice_case){L(-3, 0), L(3, 100),
	                                            L(1, -1), L(1, 1), 2}),
	                 1);
	ck_assert_int_eq(run_slice(13, (slice_case){L(INT64_MIN), L(INT64_MAX),
	                                            L(0), NULL, 1}),
	                 1);
	/* axes default to 0..n-1 */
	ck_assert_int_eq(run_slice(13, (slice_case){L(0, 0), L(INT64_MAX, 3),
	                                            NULL, NULL, 2}),
	                 1);
	/* attribute form */
	ck_assert_int_eq(run_slice(9, (slice_case){L(0), L(4), L(2), NULL, 1}),
	                 1);
}
END_TEST

START_TEST(test_partial_slices)
{
	/* drops the last row */
	ck_assert_int_eq(
	    run_slice(13, (slice_case){L(0), L(-1), L(1), NULL, 1}), 0);
	/* INT32_MAX is not enough for a symbolic dim */
	ck_assert_int_eq(
	    run_slice(13, (slice_case){L(0), L(INT32_MAX), L(0), NULL, 1}), 0);
	/* a negative start on a symbolic dim */
	ck_assert_int_eq(
	    run_slice(13, (slice_case){L(-5), L(INT64_MAX), L(0), NULL, 1}), 0);
	/* step 2, and a reversing step */
	ck_assert_int_eq(run_slice(13, (slice_case){L(0), L(4), L(2), L(2), 1}),
	                 0);
	ck_assert_int_eq(
	    run_slice(13, (slice_case){L(-1), L(INT64_MIN), L(2), L(-1), 1}),
	    0);
	/* the same axis twice (1 and -2) */
	ck_assert_int_eq(
	    run_slice(13, (slice_case){L(0, 0), L(3, 3), L(1, -2), NULL, 2}),
	    0);
	/* negative axes before opset 11 */
	ck_assert_int_eq(
	    run_slice(10, (slice_case){L(0), L(4), L(-1), NULL, 1}), 0);
	/* start past the dim */
	ck_assert_int_eq(run_slice(13, (slice_case){L(1), L(4), L(2), NULL, 1}),
	                 0);
}
END_TEST

/* x[:, :x.size(1)] ends at Shape(x)[1]: the whole axis. An end that is
 * another tensor's dim (another name, or one nothing names), or a min()
 * of the dim with a constant (x[:, :min(N,8)]) is not. */
START_TEST(test_computed_ends)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_dim dims[2] = {{IR_DIM_PARAM, 0, "N"}, {IR_DIM_PARAM, 0, "T"}};
	ir_value *x = ir_graph_add_input(g, "x", IR_FLOAT, 2, dims);
	dims[1] = (ir_dim){IR_DIM_PARAM, 0, "S"};
	ir_value *y = ir_graph_add_input(g, "y", IR_FLOAT, 2, dims);
	dims[1] = (ir_dim){IR_DIM_UNKNOWN, 0, NULL};
	ir_value *u = ir_graph_add_input(g, "u", IR_FLOAT, 2, dims);
	ir_value *zero = tu_initializer_i64(g, "zero", L(0), TU_DIMS(1));
	ir_value *one = tu_initializer_i64(g, "one", L(1), TU_DIMS(1));
	ir_value *eight = tu_initializer_i64(g, "eight", L(8), TU_DIMS(1));
	ir_node *slices[5];
	ir_value *ends[5] = {
	    tu_op(g, "Gather", tu_op(g, "Shape", x), one),
	    tu_op(g, "Gather", tu_op(g, "Shape", y), one),
	    tu_op(g, "Gather", tu_op(g, "Shape", u), one),
	    tu_op(g, "Min", tu_op(g, "Gather", tu_op(g, "Shape", x), one),
	          eight),
	    NULL};
	ends[4] = ends[2];
	ir_value *inputs[5] = {x, x, x, x, u};
	for (int i = 0; i < 5; i++) {
		slices[i] = tu_node(
		    g, "Slice", TU_VALUES(inputs[i], zero, ends[i], one), 1);
		tu_output(tu_op(g, "Neg", slices[i]->outputs[0]));
	}
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert(slices[0]->removed);
	for (int i = 1; i < 5; i++)
		ck_assert(!slices[i]->removed);
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

static Suite *slice_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *removes = tcase_create("removes");
	tcase_add_test(removes, test_whole_axes);
	tcase_add_test(removes, test_computed_ends);
	suite_add_tcase(s, removes);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_partial_slices);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(slice_suite());
}
