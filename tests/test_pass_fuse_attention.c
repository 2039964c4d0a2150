/*
 * test_pass_fuse_attention.c - scaled dot-product attention fuses into
 * Attention (opset 23): masks become additive float masks ONNX Runtime
 * accepts, grouped-query heads and the key/value cache fuse too, and
 * nothing fuses that could compute something else.
 */
#include <float.h>

#include "test_fuse_util.h"

typedef struct attn_options {
	int opset;          /* default 23 */
	int mask;           /* 0 none, 1 additive [S, S], 2 additive
	                       [B, 1, 1, S], 3 Where [S, S] */
	bool divide;        /* Div by sqrt(d) instead of Mul by 1/sqrt(d) */
	float fill;         /* Where fill, default float lowest */
	bool rows_other;    /* mask 2 as [B, 1, rows, S]: may grow the scores */
	bool k_bshd;        /* K^T from one Transpose [0, 2, 3, 1] */
	bool scores_output; /* the scores are a graph output */
	bool v_is_kt;       /* the second MatMul reads K^T as V */
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
	if (o->rows_other)
		b11s[2] = (ir_dim){IR_DIM_PARAM, 0, "rows"};
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
	*y = tu_op(g, "MatMul", softmax->outputs[0],
	           o->v_is_kt ? kt->outputs[0] : v);
	tu_output(*y);
	if (o->scores_output)
		tu_output(s);
	return m;
}

/* Fuses into one Attention with n_inputs inputs; returns the model for
 * more checks. */
static ir_model *assert_fused(const attn_options *o, int n_inputs)
{
	ir_value *y, *q;
	ir_model *m = build(o, &y, &q);
	ck_assert_int_eq(tu_run(m, "fuse_attention"), 1);
	ir_node *a = fu_producer(y);
	ck_assert_str_eq(a->op_type, "Attention");
	ck_assert_int_eq(a->n_inputs, n_inputs);
	ck_assert_int_eq(a->n_outputs, 1);
	ck_assert_ptr_eq(a->inputs[0], q);
	fu_assert_near(ir_attr_float(a, "scale", 0), 1 / sqrt(8.0), 1e-6);
	ck_assert_int_eq(tu_count_ops(m, "Softmax"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Transpose"), o->k_bshd ? 1 : 0);
	ck_assert_int_eq(tu_count_ops(m, "Attention"), 1);
	/* Every mask goes through the float-lowest guard. */
	ck_assert_int_eq(tu_count_ops(m, "Equal"), o->mask ? 1 : 0);
	return m;
}

/* The mask Attention reads is Where(mask == lowest, above, mask) of
 * `source` (through an Expand when `expanded`). */
static void assert_mask_guarded(ir_model *m, bool expanded)
{
	ir_node *a = tu_find_node(m->graph, "Attention");
	ir_node *p = fu_producer(a->inputs[3]);
	if (expanded) {
		ck_assert_str_eq(p->op_type, "Expand");
		p = fu_producer(p->inputs[0]);
	}
	ck_assert_str_eq(p->op_type, "Where");
	ck_assert_str_eq(fu_producer(p->inputs[0])->op_type, "Equal");
	const float *above = fu_floats(p->inputs[1], NULL);
	ck_assert(*above > -FLT_MAX && *above < -3.4e38f);
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
	ir_model_free(tu_reload(assert_fused(&(attn_options){0}, 3)));
}
END_TEST

START_TEST(test_additive_square_mask_with_div)
{
	ir_model *m =
	    assert_fused(&(attn_options){.mask = 1, .divide = true}, 4);
	assert_mask_guarded(m, false);
	ir_model_free(tu_reload(m));
}
END_TEST

/* Add(absent, scores): not "no mask" but an Add that ONNX Runtime
 * rejects, which must not become a valid Attention. */
START_TEST(test_absent_additive_mask_stays)
{
	ir_value *y, *q;
	ir_model *m = build(&(attn_options){.mask = 1, .divide = true}, &y, &q);
	ir_node *add = tu_find_node(m->graph, "Add");
	ck_assert_ptr_nonnull(add);
	ir_node_set_input(add, 0, NULL); /* the mask; input 1 is the scores */
	ck_assert_int_eq(tu_run(m, "fuse_attention"), 0);
	ir_model_free(m);
}
END_TEST

/* Where(allowed, s, lowest) -> additive Where(allowed, 0, lowest), never a
 * boolean mask (whose -inf gives fully masked rows NaN). */
START_TEST(test_where_mask_becomes_additive)
{
	ir_model *m = assert_fused(&(attn_options){.mask = 3}, 4);
	assert_mask_guarded(m, false);
	ir_node *where = fu_producer(
	    fu_producer(tu_find_node(m->graph, "Attention")->inputs[3])
	        ->inputs[2]);
	ck_assert_str_eq(where->op_type, "Where");
	ck_assert_int_eq(where->inputs[0]->type.elem_type, IR_BOOL);
	ck_assert_float_eq(*fu_floats(where->inputs[1], NULL), 0.0f);
	ck_assert_float_eq(*fu_floats(where->inputs[2], NULL), -FLT_MAX);
	ir_model_free(tu_reload(m));
}
END_TEST

START_TEST(test_k_from_bshd_layout)
{
	ir_model_free(
	    tu_reload(assert_fused(&(attn_options){.k_bshd = true}, 3)));
}
END_TEST

/* [B, 1, 1, S] is expanded to [B, 1, Sq, S], the dims ORT wants. */
START_TEST(test_broadcast_mask_expands_over_rows)
{
	ir_model *m = assert_fused(&(attn_options){.mask = 2}, 4);
	assert_mask_guarded(m, true);
	ck_assert_int_eq(tu_count_ops(m, "Shape"), 1);
	ck_assert_ptr_eq(tu_find_node(m->graph, "Shape")->inputs[0],
	                 tu_find_node(m->graph, "Attention")->inputs[0]);
	ir_model_free(tu_reload(m));
}
END_TEST

/* A [B, 1, rows, S] mask against Sq = 1 would grow the scores. */
START_TEST(test_mask_that_may_grow_stays)
{
	assert_not_fused(&(attn_options){.mask = 2, .rows_other = true},
	                 "fuse_attention");
}
END_TEST

/* -inf fills: ORT's Attention gives a fully masked row zeros, the
 * original NaN. */
START_TEST(test_infinite_fill_stays)
{
	assert_not_fused(&(attn_options){.mask = 3, .fill = -INFINITY},
	                 "fuse_attention");
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

/* V read from K's Transpose, a node of the pattern the fusion removes
 * (the structure-aware fuzzer, 176,037 inputs on fed8645: an assertion in
 * match_commit). */
START_TEST(test_v_read_from_the_k_transpose_stays)
{
	assert_not_fused(&(attn_options){.v_is_kt = true}, "fuse_attention");
}
END_TEST

START_TEST(test_in_default_fuse_group)
{
	ir_value *y, *q;
	ir_model *m = build(&(attn_options){.mask = 1}, &y, &q);
	ck_assert_int_eq(tu_run(m, "fuse"), 1);
	ck_assert_str_eq(fu_producer(y)->op_type, "Attention");
	ir_model_free(m);
}
END_TEST

/* Decoder attention: K and V with 2 heads repeated to Q's 4 (repeat_kv),
 * after a key/value cache. */
typedef struct decoder_options {
	bool gqa;          /* K and V have 2 heads, through repeat_kv */
	bool past;         /* K and V are Concat(past, new), graph outputs */
	bool present_read; /* the present key is read outside the pattern too */
	bool k_batch_one;  /* K's batch is 1: MatMul would broadcast it */
	bool v_only_gqa;   /* only V goes through repeat_kv */
} decoder_options;

static ir_value *repeat_kv(ir_graph *g, ir_value *x)
{
	ir_value *u = tu_op(g, "Unsqueeze", x, fu_ints(g, (int64_t[]){2}, 1));
	ir_value *e =
	    tu_op(g, "Expand", u, fu_ints(g, (int64_t[]){1, 1, 2, 1, 1}, 5));
	return tu_op(g, "Reshape", e, fu_ints(g, (int64_t[]){0, 4, -1, 8}, 4));
}

static ir_model *build_decoder(const decoder_options *o, ir_value **present)
{
	ir_model *m = tu_model(23);
	ir_graph *g = m->graph;
	int64_t kv_heads = o->gqa || o->v_only_gqa ? 2 : 4;
	ir_value *q = input4(g, "q", "seq", 4);
	ir_value *k = input4(g, "k", "seq", o->v_only_gqa ? 4 : kv_heads);
	ir_value *v = input4(g, "v", "seq", kv_heads);
	if (o->k_batch_one) {
		ir_dim dims[4] = {{IR_DIM_VALUE, 1, NULL},
		                  {IR_DIM_VALUE, 4, NULL},
		                  {IR_DIM_PARAM, 0, "seq"},
		                  {IR_DIM_VALUE, 8, NULL}};
		ir_value_set_type(k, IR_FLOAT, 4, dims);
	}
	if (o->past) {
		ir_value *pk = input4(g, "past_key", "past", kv_heads);
		ir_value *pv = input4(g, "past_value", "past", kv_heads);
		ir_node *ck = tu_node(g, "Concat", TU_VALUES(pk, k), 1);
		ir_node *cv = tu_node(g, "Concat", TU_VALUES(pv, v), 1);
		ir_node_set_attr_int(ck, "axis", 2);
		ir_node_set_attr_int(cv, "axis", -2);
		k = ck->outputs[0];
		v = cv->outputs[0];
		present[0] = k;
		present[1] = v;
	}
	if (o->gqa)
		k = repeat_kv(g, k);
	if (o->gqa || o->v_only_gqa)
		v = repeat_kv(g, v);
	ir_node *kt = tu_node(g, "Transpose", TU_VALUES(k), 1);
	ir_node_set_attr_ints(kt, "perm", (int64_t[]){0, 1, 3, 2}, 4);
	ir_value *s = tu_op(g, "Div", tu_op(g, "MatMul", q, kt->outputs[0]),
	                    fu_scalar(g, sqrtf(8)));
	ir_node *softmax = tu_node(g, "Softmax", TU_VALUES(s), 1);
	ir_node_set_attr_int(softmax, "axis", -1);
	tu_output(tu_op(g, "MatMul", softmax->outputs[0], v));
	if (o->past) {
		tu_output(present[0]);
		tu_output(present[1]);
	}
	if (o->present_read)
		tu_output(tu_op(g, "Shape", present[0]));
	return m;
}

START_TEST(test_grouped_query_heads)
{
	ir_value *present[2];
	ir_model *m = build_decoder(&(decoder_options){.gqa = true}, present);
	ck_assert_int_eq(tu_run(m, "fuse_attention,dce"), 1);
	ir_node *a = tu_find_node(m->graph, "Attention");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->inputs[1]->name, "k");
	ck_assert_str_eq(a->inputs[2]->name, "v");
	ck_assert_int_eq(tu_count_ops(m, "Expand"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Reshape"), 0);
	ck_assert_int_eq(m->graph->n_nodes, 1);
	ir_model_free(tu_reload(m));
}
END_TEST

/* The cache's Concats become Attention's present outputs. */
START_TEST(test_past_key_values)
{
	ir_value *present[2];
	ir_model *m = build_decoder(
	    &(decoder_options){.gqa = true, .past = true}, present);
	ck_assert_int_eq(tu_run(m, "fuse_attention,dce"), 1);
	ir_node *a = tu_find_node(m->graph, "Attention");
	ck_assert_int_eq(a->n_inputs, 6);
	ck_assert_ptr_null(a->inputs[3]);
	ck_assert_str_eq(a->inputs[1]->name, "k");
	ck_assert_str_eq(a->inputs[4]->name, "past_key");
	ck_assert_str_eq(a->inputs[5]->name, "past_value");
	ck_assert_int_eq(a->n_outputs, 3);
	ck_assert_ptr_eq(a->outputs[1], present[0]);
	ck_assert_ptr_eq(a->outputs[2], present[1]);
	ck_assert_ptr_eq(m->graph->outputs[1], present[0]);
	ck_assert_int_eq(tu_count_ops(m, "Concat"), 0);
	ck_assert_int_eq(m->graph->n_nodes, 1);
	ir_model_free(tu_reload(m));
}
END_TEST

/* A present key read elsewhere keeps its Concat; Attention reads it. */
START_TEST(test_present_read_elsewhere_keeps_concat)
{
	ir_value *present[2];
	ir_model *m = build_decoder(
	    &(decoder_options){.past = true, .present_read = true}, present);
	ck_assert_int_eq(tu_run(m, "fuse_attention,dce"), 1);
	ir_node *a = tu_find_node(m->graph, "Attention");
	ck_assert_int_eq(a->n_inputs, 3);
	ck_assert_int_eq(a->n_outputs, 1);
	ck_assert_ptr_eq(a->inputs[1], present[0]);
	ck_assert_ptr_eq(a->inputs[2], present[1]);
	ck_assert_int_eq(tu_count_ops(m, "Concat"), 2);
	ir_model_free(tu_reload(m));
}
END_TEST

START_TEST(test_broadcast_batch_stays)
{
	ir_value *present[2];
	ir_model *m =
	    build_decoder(&(decoder_options){.k_batch_one = true}, present);
	ck_assert_int_eq(tu_run(m, "fuse_attention"), 0);
	ir_model_free(m);
}
END_TEST

/* K with Q's 4 heads, V repeated from 2: Attention wants one kv count. */
START_TEST(test_mixed_heads_stay)
{
	ir_value *present[2];
	ir_model *m =
	    build_decoder(&(decoder_options){.v_only_gqa = true}, present);
	ck_assert_int_eq(tu_run(m, "fuse_attention"), 0);
	ir_model_free(m);
}
END_TEST

/* GPT-2's causal mask, a slice of a constant [1, 1, rows, cols] buffer:
 * Slice(Slice(C, T - Sq, T, axis 2), 0, T, axis 3), after a cache. */
static ir_model *build_causal_slice(int64_t rows, int64_t cols, bool swap)
{
	ir_model *m = tu_model(23);
	ir_graph *g = m->graph;
	ir_value *q = input4(g, "q", "seq", 4);
	ir_node *ck = tu_node(g, "Concat",
	                      TU_VALUES(input4(g, "past_key", "past", 4),
	                                input4(g, "k", "seq", 4)),
	                      1);
	ir_node *cv = tu_node(g, "Concat",
	                      TU_VALUES(input4(g, "past_value", "past", 4),
	                                input4(g, "v", "seq", 4)),
	                      1);
	ir_node_set_attr_int(ck, "axis", 2);
	ir_node_set_attr_int(cv, "axis", 2);
	ir_value *k = ck->outputs[0], *v = cv->outputs[0];
	ir_value *zero = fu_ints(g, (int64_t[]){0}, 1);
	ir_value *one = fu_ints(g, (int64_t[]){1}, 1);
	ir_value *t = tu_op(g, "Slice", tu_op(g, "Shape", k),
	                    fu_ints(g, (int64_t[]){-2}, 1),
	                    fu_ints(g, (int64_t[]){-1}, 1), zero);
	ir_value *sq = tu_op(g, "Slice", tu_op(g, "Shape", q),
	                     fu_ints(g, (int64_t[]){2}, 1),
	                     fu_ints(g, (int64_t[]){3}, 1), zero);
	ir_value *start =
	    tu_op(g, "Unsqueeze",
	          tu_op(g, "Sub", tu_op(g, "Squeeze", swap ? sq : t, zero),
	                tu_op(g, "Squeeze", swap ? t : sq, zero)),
	          zero);
	uint8_t tril[32 * 32];
	for (int64_t r = 0; r < rows; r++)
		for (int64_t c = 0; c < cols; c++)
			tril[r * cols + c] = c <= r;
	ir_tensor *buffer =
	    ir_tensor_create(m, IR_BOOL, 4, (int64_t[]){1, 1, rows, cols}, tril,
	                     (size_t)(rows * cols));
	ir_value *c = ir_initializer_add(g, "causal", buffer);
	ir_value *r =
	    tu_op(g, "Slice", c, start, t, fu_ints(g, (int64_t[]){2}, 1), one);
	ir_value *allowed =
	    tu_op(g, "Slice", r, zero, t, fu_ints(g, (int64_t[]){3}, 1), one);
	ir_node *kt = tu_node(g, "Transpose", TU_VALUES(k), 1);
	ir_node_set_attr_ints(kt, "perm", (int64_t[]){0, 1, 3, 2}, 4);
	ir_value *s = tu_op(g, "Div", tu_op(g, "MatMul", q, kt->outputs[0]),
	                    fu_scalar(g, sqrtf(8)));
	ir_value *masked =
	    tu_op(g, "Where", allowed, s, fu_scalar(g, -3.4028235e38f));
	ir_node *softmax = tu_node(g, "Softmax", TU_VALUES(masked), 1);
	ir_node_set_attr_int(softmax, "axis", -1);
	tu_output(tu_op(g, "MatMul", softmax->outputs[0], v));
	tu_output(k);
	tu_output(v);
	return m;
}

/* Its rows are Sq whenever the original runs: it fuses, the Where mask
 * reading the slice. */
START_TEST(test_causal_slice_mask)
{
	ir_model *m = build_causal_slice(16, 16, false);
	ck_assert_int_eq(tu_run(m, "fuse_attention"), 1);
	ir_node *a = tu_find_node(m->graph, "Attention");
	ck_assert_int_eq(a->n_inputs, 4);
	assert_mask_guarded(m, false);
	ir_model_free(tu_reload(m));
}
END_TEST

/* Fewer buffer rows than columns: T may fit the columns but not the rows,
 * so the slice could have fewer rows than Sq. */
START_TEST(test_causal_slice_short_buffer_stays)
{
	ir_model *m = build_causal_slice(8, 16, false);
	ck_assert_int_eq(tu_run(m, "fuse_attention"), 0);
	ir_model_free(m);
}
END_TEST

/* start = Sq - T is not the causal slice's. */
START_TEST(test_causal_slice_other_start_stays)
{
	ir_model *m = build_causal_slice(16, 16, true);
	ck_assert_int_eq(tu_run(m, "fuse_attention"), 0);
	ir_model_free(m);
}
END_TEST

/* The Unsqueeze that makes the slice's start reads an absent input
 * (the structure-aware fuzzer): the causal-slice check must not step
 * through it, and nothing fuses. */
START_TEST(test_causal_slice_absent_start_input_stays)
{
	ir_model *m = build_causal_slice(16, 16, false);
	ir_node *unsqueeze = tu_find_node(m->graph, "Unsqueeze");
	ck_assert_ptr_nonnull(unsqueeze);
	ir_node_set_input(unsqueeze, 0, NULL);
	ck_assert_int_eq(tu_run(m, "fuse_attention"), 0);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_attention");
	TCase *tc = tcase_create("fuse_attention");
	tcase_add_test(tc, test_no_mask);
	tcase_add_test(tc, test_additive_square_mask_with_div);
	tcase_add_test(tc, test_absent_additive_mask_stays);
	tcase_add_test(tc, test_where_mask_becomes_additive);
	tcase_add_test(tc, test_k_from_bshd_layout);
	tcase_add_test(tc, test_broadcast_mask_expands_over_rows);
	tcase_add_test(tc, test_mask_that_may_grow_stays);
	tcase_add_test(tc, test_infinite_fill_stays);
	tcase_add_test(tc, test_finite_fill_stays);
	tcase_add_test(tc, test_grouped_query_heads);
	tcase_add_test(tc, test_past_key_values);
	tcase_add_test(tc, test_present_read_elsewhere_keeps_concat);
	tcase_add_test(tc, test_broadcast_batch_stays);
	tcase_add_test(tc, test_mixed_heads_stay);
	tcase_add_test(tc, test_causal_slice_mask);
	tcase_add_test(tc, test_causal_slice_short_buffer_stays);
	tcase_add_test(tc, test_causal_slice_other_start_stays);
	tcase_add_test(tc, test_causal_slice_absent_start_input_stays);
	tcase_add_test(tc, test_too_low_opset);
	tcase_add_test(tc, test_scores_read_outside);
	tcase_add_test(tc, test_v_read_from_the_k_transpose_stays);
	tcase_add_test(tc, test_in_default_fuse_group);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
