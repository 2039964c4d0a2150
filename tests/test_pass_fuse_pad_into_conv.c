/*
 * test_pass_fuse_pad_into_conv.c - zero spatial Pads merge into Conv and
 * AveragePool padding (fuse_pad_into_conv, fuse_pad_into_pool); every
 * other Pad stays.
 */
#include "test_fuse_util.h"

typedef struct pad_options {
	int opset;        /* default 13 */
	const char *mode; /* default constant */
	float value;      /* default 0 */
	int64_t pads[8];  /* begin then end, rank 4 */
	bool has_pads;
	const char *consumer; /* "Conv", "AveragePool", "MaxPool" */
	const char *auto_pad;
	int64_t count_include_pad; /* -1: absent */
	bool pool_pads;            /* the pool has pads 1 already */
	bool ceil_mode;
} pad_options;

static ir_model *build(const pad_options *o, ir_node **consumer)
{
	int opset = o->opset ? o->opset : 13;
	ir_model *m = tu_model(opset);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(1, 2, 5, 5));
	static const int64_t spatial[8] = {0, 0, 1, 2, 0, 0, 3, 1};
	const int64_t *pads = o->has_pads ? o->pads : spatial;
	ir_node *pad;
	if (opset < 11) {
		pad = tu_node(g, "Pad", TU_VALUES(x), 1);
		ir_node_set_attr_ints(pad, "pads", pads, 8);
		if (o->value)
			ir_node_set_attr_float(pad, "value", o->value);
	} else {
		ir_value *value = fu_scalar(g, o->value);
		pad = tu_node(g, "Pad",
		              TU_VALUES(x, fu_ints(g, pads, 8), value), 1);
	}
	if (o->mode)
		ir_node_set_attr_string(pad, "mode", o->mode);
	const char *op = o->consumer ? o->consumer : "Conv";
	ir_node *c;
	if (!strcmp(op, "Conv")) {
		ir_value *w = tu_initializer_f32(g, "w", (float[]){1, 2, 3, 4},
		                                 TU_DIMS(1, 2, 1, 2));
		c = tu_node(g, "Conv", TU_VALUES(pad->outputs[0], w), 1);
	} else {
		c = tu_node(g, op, TU_VALUES(pad->outputs[0]), 1);
		ir_node_set_attr_ints(c, "kernel_shape", (int64_t[]){2, 2}, 2);
		if (o->count_include_pad >= 0 && strcmp(op, "MaxPool"))
			ir_node_set_attr_int(c, "count_include_pad",
			                     o->count_include_pad);
		if (o->ceil_mode)
			ir_node_set_attr_int(c, "ceil_mode", 1);
	}
	if (o->pool_pads)
		ir_node_set_attr_ints(c, "pads", (int64_t[]){1, 1, 1, 1}, 4);
	if (o->auto_pad)
		ir_node_set_attr_string(c, "auto_pad", o->auto_pad);
	tu_output(c->outputs[0]);
	*consumer = c;
	return m;
}

static void assert_fused(const pad_options *o, const char *pass,
                         const char *want_pads)
{
	ir_node *c;
	ir_model *m = build(o, &c);
	ir_value *x = m->graph->inputs[0];
	ck_assert_int_eq(tu_run(m, pass), 1);
	ck_assert_int_eq(tu_count_ops(m, "Pad"), 0);
	ck_assert_ptr_eq(c->inputs[0], x);
	ck_assert_str_eq(fu_ints_attr(c, "pads"), want_pads);
	if (!strcmp(c->op_type, "AveragePool"))
		ck_assert_int_eq(ir_attr_int(c, "count_include_pad", 0), 1);
	ck_assert_int_eq(m->graph->n_initializers,
	                 strcmp(c->op_type, "Conv") ? 0 : 1);
	ir_model_free(tu_reload(m));
}

static void assert_not_fused(const pad_options *o, const char *pass)
{
	ir_node *c;
	ir_model *m = build(o, &c);
	ck_assert_int_eq(tu_run(m, pass), 0);
	ck_assert_int_eq(tu_count_ops(m, "Pad"), 1);
	ir_model_free(m);
}

START_TEST(test_conv_pads_input_form)
{
	assert_fused(&(pad_options){0}, "fuse_pad_into_conv", "1,2,3,1");
}
END_TEST

START_TEST(test_conv_adds_to_existing_pads)
{
	assert_fused(&(pad_options){.pool_pads = true}, "fuse_pad_into_conv",
	             "2,3,4,2");
}
END_TEST

START_TEST(test_conv_attribute_form)
{
	assert_fused(&(pad_options){.opset = 10}, "fuse_pad_into_conv",
	             "1,2,3,1");
}
END_TEST

START_TEST(test_conv_reflect_mode)
{
	assert_not_fused(&(pad_options){.mode = "reflect"},
	                 "fuse_pad_into_conv");
}
END_TEST

START_TEST(test_conv_nonzero_value)
{
	assert_not_fused(&(pad_options){.value = 0.5f}, "fuse_pad_into_conv");
	assert_not_fused(&(pad_options){.opset = 10, .value = 0.5f},
	                 "fuse_pad_into_conv");
}
END_TEST

START_TEST(test_conv_channel_padding)
{
	assert_not_fused(
	    &(pad_options){.has_pads = true, .pads = {0, 1, 0, 0, 0, 0, 0, 0}},
	    "fuse_pad_into_conv");
}
END_TEST

START_TEST(test_conv_negative_pads)
{
	assert_not_fused(
	    &(pad_options){.has_pads = true, .pads = {0, 0, -1, 0, 0, 0, 0, 0}},
	    "fuse_pad_into_conv");
}
END_TEST

START_TEST(test_conv_auto_pad)
{
	assert_not_fused(&(pad_options){.auto_pad = "SAME_UPPER"},
	                 "fuse_pad_into_conv");
}
END_TEST

START_TEST(test_pool_counts_padding)
{
	assert_fused(
	    &(pad_options){.consumer = "AveragePool", .count_include_pad = -1},
	    "fuse_pad_into_pool", "1,2,3,1");
}
END_TEST

START_TEST(test_pool_with_counted_pads)
{
	assert_fused(&(pad_options){.consumer = "AveragePool",
	                            .count_include_pad = 1,
	                            .pool_pads = true},
	             "fuse_pad_into_pool", "2,3,4,2");
}
END_TEST

START_TEST(test_pool_with_uncounted_pads)
{
	/* Its own pads are excluded from the average: counting them after
	 * the fusion would change the result. */
	assert_not_fused(&(pad_options){.consumer = "AveragePool",
	                                .count_include_pad = 0,
	                                .pool_pads = true},
	                 "fuse_pad_into_pool");
}
END_TEST

START_TEST(test_max_pool_never)
{
	assert_not_fused(
	    &(pad_options){.consumer = "MaxPool", .count_include_pad = -1},
	    "fuse_pad_into_pool");
}
END_TEST

START_TEST(test_pool_ceil_mode)
{
	assert_not_fused(&(pad_options){.consumer = "AveragePool",
	                                .count_include_pad = -1,
	                                .ceil_mode = true},
	                 "fuse_pad_into_pool");
}
END_TEST

START_TEST(test_pad_read_twice)
{
	ir_node *c;
	ir_model *m = build(&(pad_options){0}, &c);
	tu_output(tu_op(m->graph, "Relu", c->inputs[0]));
	ck_assert_int_eq(tu_run(m, "fuse_pad_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

/* Conv(Pad(x), Pad(x)): the Conv is kept and only its input 0 edited, so
 * its weight would go on reading the removed Pad (the structure-aware
 * fuzzer; an assertion in debug builds). */
START_TEST(test_pad_read_twice_by_the_conv)
{
	ir_node *c;
	ir_model *m = build(&(pad_options){0}, &c);
	/* A rank for the "weight", as shape inference would give it. */
	ir_dim dims[4] = {{IR_DIM_VALUE, 1, NULL},
	                  {IR_DIM_VALUE, 2, NULL},
	                  {IR_DIM_VALUE, 9, NULL},
	                  {IR_DIM_VALUE, 8, NULL}};
	ir_value_set_type(c->inputs[0], IR_FLOAT, 4, dims);
	ir_node_set_input(c, 1, c->inputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_pad_into_conv"), 0);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_pad_into_conv");
	TCase *tc = tcase_create("fuse_pad_into_conv");
	tcase_add_test(tc, test_conv_pads_input_form);
	tcase_add_test(tc, test_conv_adds_to_existing_pads);
	tcase_add_test(tc, test_conv_attribute_form);
	tcase_add_test(tc, test_conv_reflect_mode);
	tcase_add_test(tc, test_conv_nonzero_value);
	tcase_add_test(tc, test_conv_channel_padding);
	tcase_add_test(tc, test_conv_negative_pads);
	tcase_add_test(tc, test_conv_auto_pad);
	tcase_add_test(tc, test_pool_counts_padding);
	tcase_add_test(tc, test_pool_with_counted_pads);
	tcase_add_test(tc, test_pool_with_uncounted_pads);
	tcase_add_test(tc, test_max_pool_never);
	tcase_add_test(tc, test_pool_ceil_mode);
	tcase_add_test(tc, test_pad_read_twice);
	tcase_add_test(tc, test_pad_read_twice_by_the_conv);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
