/*
 * test_pass_eliminate_nop_pad.c - Pad with all-zero pads goes, in each of
 * the three forms the opsets define (paddings, pads attribute, pads
 * input); any nonzero or unknown pad keeps it.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_nop_pad"

/* x:[2,3] -> Relu -> Pad -> Neg -> out; returns the Pad. */
static ir_node *pad_model(ir_model *m, ir_value *pads)
{
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	ir_value *a = tu_op(g, "Relu", x);
	ir_value_set_type(a, IR_FLOAT, x->type.rank, x->type.dims);
	ir_node *pad = pads ? tu_node(g, "Pad", TU_VALUES(a, pads), 1)
	                    : tu_node(g, "Pad", TU_VALUES(a), 1);
	tu_output(tu_op(g, "Neg", pad->outputs[0]));
	return pad;
}

static int run_input_form(int64_t opset, const int64_t *pads, int n,
                          const char *mode)
{
	ir_model *m = tu_model(opset);
	ir_value *p =
	    tu_initializer_i64(m->graph, "pads", pads, (int64_t[]){n}, 1);
	ir_node *pad = pad_model(m, p);
	if (mode)
		ir_node_set_attr_string(pad, "mode", mode);
	int changes = tu_run(m, PASS_NAME);
	ck_assert_int_eq(tu_count_ops(m, "Pad"), 1 - changes);
	ir_model_free(m);
	return changes;
}

START_TEST(test_input_form)
{
	ck_assert_int_eq(run_input_form(13, (int64_t[]){0, 0, 0, 0}, 4, NULL),
	                 1);
	ck_assert_int_eq(
	    run_input_form(13, (int64_t[]){0, 0, 0, 0}, 4, "reflect"), 1);
	ck_assert_int_eq(run_input_form(13, (int64_t[]){0, 0, 0, 0}, 4, "edge"),
	                 1);
}
END_TEST

START_TEST(test_input_form_keeps)
{
	/* padding, cropping, wrong length, unknown mode */
	ck_assert_int_eq(run_input_form(13, (int64_t[]){0, 1, 0, 0}, 4, NULL),
	                 0);
	ck_assert_int_eq(run_input_form(13, (int64_t[]){0, 0, 0, -1}, 4, NULL),
	                 0);
	ck_assert_int_eq(run_input_form(13, (int64_t[]){0, 0}, 2, NULL), 0);
	ck_assert_int_eq(run_input_form(13, (int64_t[]){0, 0, 0, 0}, 4, "wrap"),
	                 0);
	ck_assert_int_eq(run_input_form(19, (int64_t[]){0, 0, 0, 0}, 4, "wrap"),
	                 1);
}
END_TEST

START_TEST(test_axes_input)
{
	ir_model *m = tu_model(18);
	ir_graph *g = m->graph;
	ir_value *p =
	    tu_initializer_i64(g, "pads", (int64_t[]){0, 0}, TU_DIMS(2));
	ir_value *axes =
	    tu_initializer_i64(g, "axes", (int64_t[]){1}, TU_DIMS(1));
	ir_node *pad = pad_model(m, p);
	ir_node_add_input(pad, NULL); /* constant_value */
	ir_node_add_input(pad, axes);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_runtime_pads)
{
	ir_model *m = tu_model(13);
	ir_value *p = tu_input_typed(m->graph, "pads", IR_INT64, TU_DIMS(4));
	pad_model(m, p);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_attribute_forms)
{
	int64_t zeros[4] = {0, 0, 0, 0}, some[4] = {0, 0, 1, 0};
	ir_model *m = tu_model(2);
	ir_node_set_attr_ints(pad_model(m, NULL), "pads", zeros, 4);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);

	m = tu_model(2);
	ir_node_set_attr_ints(pad_model(m, NULL), "pads", some, 4);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);

	m = tu_model(1); /* opset 1 calls them paddings */
	ir_node_set_attr_ints(pad_model(m, NULL), "paddings", zeros, 4);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ir_model_free(m);

	m = tu_model(1);
	ir_node_set_attr_ints(pad_model(m, NULL), "pads", zeros, 4);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);

	m = tu_model(11); /* the attribute means nothing from opset 11 on */
	ir_node_set_attr_ints(pad_model(m, NULL), "pads", zeros, 4);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ir_model_free(m);
}
END_TEST

static Suite *pad_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *removes = tcase_create("removes");
	tcase_add_test(removes, test_input_form);
	tcase_add_test(removes, test_axes_input);
	tcase_add_test(removes, test_attribute_forms);
	suite_add_tcase(s, removes);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_input_form_keeps);
	tcase_add_test(keeps, test_keeps_runtime_pads);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(pad_suite());
}
