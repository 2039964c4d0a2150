/*
 * test_pass_fuse_attention.c - scaled dot-product attention fuses into
 * Attention (opset 23, opt-in) only with masks ONNX Runtime accepts.
 */
#include "test_fuse_util.h"

typedef struct attn_options {
	int opset;          /* default 23 */
	int mask;           /* 0 none, 1 additive [S, S], 2 additive
	                       [B, 1, 1, S], 3 Where [S, S] */
	bool divide;        /* Div by sqrt(d) instead of Mul by 1/sqrt(d) */
	float fill;         /* Where fill, default float lowest */
	bool k_bshd;        /* K^T from one Transpose [0, 2, 3, 1] */
	bool scores_output; /* the scores are a graph output */
} attn_options;

static ir_value *input4(ir_graph *g, const char *name, const char *d2,
                        int64_t d1)
{
	ir_dim dims[4] = {{IR_DIM_PARAM, 0, "batch"},
	                  {IR_DIM_VALUE, d1, NULL},
	                  {IR_DIM_PARAM, 0, d2},
	                  {IR_DIM_VALUE, 8, NULL}};
	return ir_graph_add_input(g, name, IR_FLOAT, 4, dims);
}

static ir_model *build(const attn_options *o, ir_value **y, ir_value **q)
{
	ir_model *m = tu_model(o->opset ? o->opset : 23);
	ir_graph *g = m->graph;
	*q = input4(g, "q", "seq", 4);
	ir_value *k = o->k_bshd ? input4(g, "k", "seq", 4) : NULL;
	if (o->k_bshd) {
		/* [batch, 4, seq, 8] read as [B, S, H, D] needs S at axis 1:
		 * declare k as [batch, seq, 4, 8] instead. */
		ir_dim dims[4] = {{IR_DIM_PARAM, 0, "batch"},
		                  {IR_DIM_PARAM, 0, "seq"},
		                  {IR_DIM_VALUE, 4, NULL},
		                  {IR_DIM_VALUE, 8, NULL}};
		ir_value_set_type(k, IR_FLOAT, 4, dims);
	} else {
		k = input4(g, "k", "seq", 4);
	}
	ir_value *v = input4(g, "v", "seq", 4);
	ir_node *kt = tu_node(g, "Transpose", TU_VALUES(k), 1);
	ir_node_set_attr_ints(
	    kt, "perm",
	    o->k_bshd ? (int64_t[]){0, 2, 3, 1} : (int64_t[]){0, 1, 3, 2}, 4);
	ir_value *qk = tu_op(g, "MatMul", *q, kt->outputs[0]);
	ir_value *s = o->divide
	                  ? tu_op(g, "Div", qk, fu_scalar(g, sqrtf(8)))
	                  : tu_op(g, "Mul", qk, fu_scalar(g, 1 / sqrtf(8)));
	ir_dim sq[2] = {{IR_DIM_PARAM, 0, "seq"}, {IR_DIM_PARAM, 0, "seq"}};
	ir_dim b11s[4] = {{IR_DIM_PARAM, 0, "batch"},
	                  {IR_DIM_VALUE, 1, NULL},
	                  {IR_DIM_VALUE, 1, NULL},
	                  {IR_DIM_PARAM, 0, "seq"}};
	ir_value *masked = s;
	if (o->mask == 1 || o->mask == 2) {
		ir_value *mask =
		    o->mask == 1
		        ? ir_graph_add_input(g, "mask", IR_FLOAT, 2, sq)
		        : ir_graph_add_input(g, "mask", IR_FLOAT, 4, b11s);
		masked = tu_op(g, "Add", mask, s);
	} else if (o->mask == 3) {
		ir_value *allowed =
		    ir_graph_add_input(g, "allowed", IR_BOOL, 2, sq);
		float fill = o->fill ? o->fill : -3.4028235e38f;
		masked = tu_op(g, "Where", allowed, s, fu_scalar(g, fill));
	}
	ir_node *softmax = tu_node(g, "Softmax", TU_VALUES(masked), 1);
	ir_node_set_attr_int(softmax, "axis", -1);
	*y = tu_op(g, "MatMul", softmax->outputs[0], v);
	tu_output(*y);
	if (o->scores_output)
		tu_output(s);
	return m;
}

static void assert_fused(const attn_options *o, int n_inputs)
{
	ir_value *y, *q;
	ir_model *m = build(o, &y, &q);
	ck_assert_int_eq(tu_run(m, "fuse_attention"), 1);
	ir_node *a = fu_producer(y);
	ck_assert_str_eq(a->op_type, "Attention");
	ck_assert_int_eq(a->n_inputs, n_inputs);
	ck_assert_ptr_eq(a->inputs[0], q);
	fu_assert_near(ir_attr_float(a, "scale", 0), 1 / sqrt(8.0), 1e-6);
	ck_assert_int_eq(tu_count_ops(m, "Softmax"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Transpose"), o->k_bshd ? 1 : 0);
	ir_model_free(tu_reload(m));
}

static void assert_not_fused(const attn_options *o, const char *passes)
{
	ir_value *y, *q;
	ir_model *m = build(o, &y, &q);
	ck_assert_int_eq(tu_run(m, passes), 0);
	ck_assert_int_eq(tu_count_ops(m, "Attention"), 0);
	ir_model_free(m);
}

START_TEST(test_no_mask)
{
	assert_fused(&(attn_options){0}, 3);
}
END_TEST

START_TEST(test_additive_square_mask_with_div)
{
	assert_fused(&(attn_options){.mask = 1, .divide = true}, 4);
}
END_TEST

START_TEST(test_boolean_mask)
{
	assert_fused(&(attn_options){.mask = 3}, 4);
}
END_TEST

START_TEST(test_k_from_bshd_layout)
{
	assert_fused(&(attn_options){.k_bshd = true}, 3);
}
END_TEST

START_TEST(test_broadcast_mask_stays)
{
	assert_not_fused(&(attn_options){.mask = 2}, "fuse_attention");
}
END_TEST

START_TEST(test_finite_fill_stays)
{
	assert_not_fused(&(attn_options){.mask = 3, .fill = -100.0f},
	                 "fuse_attention");
}
END_TEST

START_TEST(test_too_low_opset)
{
	assert_not_fused(&(attn_options){.opset = 22}, "fuse_attention");
}
END_TEST

START_TEST(test_scores_read_outside)
{
	assert_not_fused(&(attn_options){.scores_output = true},
	                 "fuse_attention");
}
END_TEST

START_TEST(test_opt_in_only)
{
	assert_not_fused(&(attn_options){0}, "fuse");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_attention");
	TCase *tc = tcase_create("fuse_attention");
	tcase_add_test(tc, test_no_mask);
	tcase_add_test(tc, test_additive_square_mask_with_div);
	tcase_add_test(tc, test_boolean_mask);
	tcase_add_test(tc, test_k_from_bshd_layout);
	tcase_add_test(tc, test_broadcast_mask_stays);
	tcase_add_test(tc, test_finite_fill_stays);
	tcase_add_test(tc, test_too_low_opset);
	tcase_add_test(tc, test_scores_read_outside);
	tcase_add_test(tc, test_opt_in_only);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
