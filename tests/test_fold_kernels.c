/*
 * test_fold_kernels.c - the evaluator one kernel at a time: the number
 * formats written once (float16, bfloat16, float -> string), the corners
 * where ONNX semantics differ from C (integer Mod's sign, Slice with a
 * negative step, reflect padding, division by zero), data movement
 * against a naive reference, and the size and work limits refusing
 * before the kernel allocates or computes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/eval.h"
#include "test_util.h"

/* ------------------------------------------------------------ helpers */

typedef struct evaluation {
	eval_call call;
	int code;
} evaluation;

/* Evaluate `node`, whose inputs are initializers (or absent). */
static void evaluate(evaluation *e, ir_node *node, long long limit)
{
	ir_tensor *inputs[16] = {NULL};
	ck_assert_int_le(node->n_inputs, 16);
	for (int i = 0; i < node->n_inputs; i++)
		inputs[i] = node->inputs[i] ? node->inputs[i]->tensor : NULL;
	eval_call_begin(&e->call, node->graph->model, node, inputs,
	                node->n_inputs, limit);
	e->code = eval_run(&e->call);
}

static const void *output_data(evaluation *e, int index, int elem_type,
                               int64_t numel)
{
	ck_assert_msg(e->code == EVAL_OK, "evaluation failed: %s",
	              e->call.reason);
	const ir_tensor *t = e->call.outputs[index];
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->elem_type, elem_type);
	ck_assert_int_eq(ir_tensor_numel(t), numel);
	return elem_type == IR_STRING ? (const void *)t->strings : t->raw;
}

static ir_value *initializer(ir_graph *g, int type, const void *data,
                             size_t size, const int64_t *dims, int rank)
{
	ir_tensor *t = ir_tensor_create(g->model, type, rank, dims, data, size);
	return ir_initializer_add(g, "c", t);
}

static ir_value *i64s(ir_graph *g, const int64_t *v, int64_t n)
{
	return initializer(g, IR_INT64, v, sizeof *v * (size_t)n, &n, 1);
}

/* ------------------------------------------------- formats written once */

START_TEST(float16_rounds_to_nearest_even)
{
	ck_assert_uint_eq(eval_float_to_half(1.0f), 0x3C00);
	ck_assert_uint_eq(eval_float_to_half(-2.0f), 0xC000);
	ck_assert_uint_eq(eval_float_to_half(65504.0f), 0x7BFF);
	ck_assert_uint_eq(eval_float_to_half(65520.0f), 0x7C00); /* to inf */
	ck_assert_uint_eq(eval_float_to_half(ldexpf(1, -24)), 0x0001);
	ck_assert_uint_eq(eval_float_to_half(ldexpf(1, -25)), 0x0000);
	ck_assert_uint_eq(eval_float_to_half(ldexpf(3, -25)), 0x0002);
	ck_assert_uint_eq(eval_float_to_half(1.0f + ldexpf(1, -11)), 0x3C00);
	ck_assert_uint_eq(eval_float_to_half(1.0f + ldexpf(3, -11)), 0x3C02);
	ck_assert_uint_eq(eval_float_to_half(-0.0f), 0x8000);
	uint16_t nan = eval_float_to_half(NAN);
	ck_assert((nan & 0x7C00) == 0x7C00 && (nan & 0x03FF));
	ck_assert(eval_half_to_float(0x3555) == 0.333251953125f);
	ck_assert(eval_half_to_float(0x0001) == ldexpf(1, -24));
	ck_assert(isinf(eval_half_to_float(0xFC00)) &&
	          eval_half_to_float(0xFC00) < 0);
	for (uint32_t h = 0; h < 0x7C00; h++)
		ck_assert_uint_eq(
		    eval_float_to_half(eval_half_to_float((uint16_t)h)), h);
}
END_TEST

START_TEST(bfloat16_rounds_to_nearest_even)
{
	ck_assert_uint_eq(eval_float_to_bfloat(1.0f), 0x3F80);
	ck_assert_uint_eq(eval_float_to_bfloat(1.0f + ldexpf(1, -8)), 0x3F80);
	ck_assert_uint_eq(eval_float_to_bfloat(1.0f + ldexpf(3, -8)), 0x3F82);
	ck_assert_uint_eq(eval_float_to_bfloat(-3.0f), 0xC040);
	ck_assert(eval_bfloat_to_float(0x3F82) == 1.015625f);
	ck_assert(isinf(eval_bfloat_to_float(0x7F80)));
}
END_TEST

/* Doubles near DBL_MAX round past it on the way to float16 and bfloat16:
 * infinity of their sign, as a cast through float gives too (the
 * byte-level fuzzer). */
START_TEST(huge_doubles_narrow_to_infinity)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	double v[] = {1.7976931348623157e308, -1.7976931348623157e308, 1e300};
	ir_value *x = initializer(g, IR_DOUBLE, v, sizeof v, (int64_t[]){3}, 1);
	static const struct {
		int to;
		uint16_t inf, minus_inf;
	} cases[] = {{IR_FLOAT16, 0x7C00, 0xFC00},
	             {IR_BFLOAT16, 0x7F80, 0xFF80}};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		ir_node *cast = tu_node(g, "Cast", TU_VALUES(x), 1);
		ir_node_set_attr_int(cast, "to", cases[k].to);
		evaluation e;
		evaluate(&e, cast, -1);
		const uint16_t *r = output_data(&e, 0, cases[k].to, 3);
		ck_assert_uint_eq(r[0], cases[k].inf);
		ck_assert_uint_eq(r[1], cases[k].minus_inf);
		ck_assert_uint_eq(r[2], cases[k].inf);
		eval_call_end(&e.call);
	}
	ir_model_free(m);
}
END_TEST

START_TEST(floats_format_like_the_reference)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	float v[] = {0.5f, 1.0f, 1e-5f, 1.5e16f, NAN, -0.25f, 0.1f, 100.0f};
	const char *want[] = {"0.5", "1.0",   "1e-05", "1.5e+16",
	                      "nan", "-0.25", "0.1",   "100.0"};
	ir_value *x = initializer(g, IR_FLOAT, v, sizeof v, (int64_t[]){8}, 1);
	ir_node *cast = tu_node(g, "Cast", TU_VALUES(x), 1);
	ir_node_set_attr_int(cast, "to", IR_STRING);
	evaluation e;
	evaluate(&e, cast, -1);
	const ProtobufCBinaryData *s = output_data(&e, 0, IR_STRING, 8);
	for (int i = 0; i < 8; i++)
		ck_assert_msg(s[i].len == strlen(want[i]) &&
		                  !memcmp(s[i].data, want[i], s[i].len),
		              "element %d: '%.*s', want '%s'", i, (int)s[i].len,
		              (const char *)s[i].data, want[i]);
	eval_call_end(&e.call);
	ir_model_free(m);
}
END_TEST

/* ------------------------------------------------------ ONNX semantics */

START_TEST(integer_mod_takes_the_divisor_sign)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	int32_t a[] = {-7, 7, -7, 7}, b[] = {3, -3, -3, 3};
	ir_value *va = initializer(g, IR_INT32, a, sizeof a, (int64_t[]){4}, 1);
	ir_value *vb = initializer(g, IR_INT32, b, sizeof b, (int64_t[]){4}, 1);
	ir_node *mod = tu_node(g, "Mod", TU_VALUES(va, vb), 1);
	evaluation e;
	evaluate(&e, mod, -1);
	const int32_t *r = output_data(&e, 0, IR_INT32, 4);
	ck_assert(r[0] == 2 && r[1] == -2 && r[2] == -1 && r[3] == 1);
	eval_call_end(&e.call);
	ir_node_set_attr_int(mod, "fmod", 1);
	evaluate(&e, mod, -1);
	r = output_data(&e, 0, IR_INT32, 4);
	ck_assert(r[0] == -1 && r[1] == 1 && r[2] == -1 && r[3] == 1);
	eval_call_end(&e.call);
	ir_model_free(m);
}
END_TEST

START_TEST(integer_division_by_zero_is_refused)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	int64_t a[] = {4, 5}, b[] = {2, 0};
	ir_node *div =
	    tu_node(g, "Div", TU_VALUES(i64s(g, a, 2), i64s(g, b, 2)), 1);
	evaluation e;
	evaluate(&e, div, -1);
	ck_assert_int_eq(e.code, EVAL_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.call.reason, "unsupported: Div-13"));
	eval_call_end(&e.call);
	ir_model_free(m);
}
END_TEST

START_TEST(slice_with_negative_step_clamps)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	int64_t data[10];
	for (int i = 0; i < 10; i++)
		data[i] = i;
	ir_node *slice = tu_node(
	    g, "Slice",
	    TU_VALUES(i64s(g, data, 10), i64s(g, (int64_t[]){-1}, 1),
	              i64s(g, (int64_t[]){INT64_MIN}, 1),
	              i64s(g, (int64_t[]){0}, 1), i64s(g, (int64_t[]){-2}, 1)),
	    1);
	evaluation e;
	evaluate(&e, slice, -1);
	const int64_t *r = output_data(&e, 0, IR_INT64, 5);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(r[i], 9 - 2 * i);
	eval_call_end(&e.call);
	ir_model_free(m);
}
END_TEST

START_TEST(pad_modes)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	float v[] = {1, 2, 3};
	ir_value *x = initializer(g, IR_FLOAT, v, sizeof v, (int64_t[]){3}, 1);
	ir_value *pads = i64s(g, (int64_t[]){2, 2}, 2);
	const char *modes[] = {"reflect", "edge", "constant"};
	const float want[3][7] = {{3, 2, 1, 2, 3, 2, 1},
	                          {1, 1, 1, 2, 3, 3, 3},
	                          {0, 0, 1, 2, 3, 0, 0}};
	for (int k = 0; k < 3; k++) {
		ir_node *pad = tu_node(g, "Pad", TU_VALUES(x, pads), 1);
		ir_node_set_attr_string(pad, "mode", modes[k]);
		evaluation e;
		evaluate(&e, pad, -1);
		const float *r = output_data(&e, 0, IR_FLOAT, 7);
		for (int i = 0; i < 7; i++)
			ck_assert_msg(r[i] == want[k][i], "%s[%d] = %g",
			              modes[k], i, r[i]);
		eval_call_end(&e.call);
	}
	ir_model_free(m);
}
END_TEST

START_TEST(where_selects_strings)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	uint8_t cond[] = {1, 0};
	ProtobufCBinaryData a[] = {{1, (uint8_t *)"a"}, {2, (uint8_t *)"bb"}};
	ProtobufCBinaryData b[] = {{1, (uint8_t *)"x"}};
	ir_value *vc = initializer(g, IR_BOOL, cond, 2, (int64_t[]){2}, 1);
	ir_value *va = ir_initializer_add(
	    g, "a", ir_tensor_create_strings(m, 1, (int64_t[]){2}, a));
	ir_value *vb =
	    ir_initializer_add(g, "b", ir_tensor_create_strings(m, 0, NULL, b));
	ir_node *where = tu_node(g, "Where", TU_VALUES(vc, va, vb), 1);
	evaluation e;
	evaluate(&e, where, -1);
	const ProtobufCBinaryData *r = output_data(&e, 0, IR_STRING, 2);
	ck_assert(r[0].len == 1 && r[0].data[0] == 'a');
	ck_assert(r[1].len == 1 && r[1].data[0] == 'x');
	eval_call_end(&e.call);
	ir_model_free(m);
}
END_TEST

/* Arithmetic runs in blocks of 16,384 output elements: a block edge in
 * the middle of a row and of a broadcast input must not shift anything. */
START_TEST(broadcast_arithmetic_in_blocks_matches_a_naive_loop)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	enum { A = 3, B = 70, C = 201 };
	static int64_t a[A * C], b[B];
	for (int i = 0; i < A * C; i++)
		a[i] = i * 3 - 500;
	for (int i = 0; i < B; i++)
		b[i] = i * i;
	ir_value *va =
	    initializer(g, IR_INT64, a, sizeof a, (int64_t[]){A, 1, C}, 3);
	ir_value *vb =
	    initializer(g, IR_INT64, b, sizeof b, (int64_t[]){B, 1}, 2);
	ir_node *sub = tu_node(g, "Sub", TU_VALUES(va, vb), 1);
	evaluation e;
	evaluate(&e, sub, -1);
	const int64_t *r = output_data(&e, 0, IR_INT64, A * B * C);
	int wrong = -1; /* the first wrong element */
	for (int p = 0, i = 0; p < A; p++)
		for (int q = 0; q < B; q++)
			for (int s = 0; s < C; s++, i++)
				if (wrong < 0 && r[i] != a[p * C + s] - b[q])
					wrong = i;
	ck_assert_int_eq(wrong, -1);
	eval_call_end(&e.call);
	/* Mean of three float inputs, one of them a scalar. */
	static float x[A * B * C], y[C];
	for (int i = 0; i < A * B * C; i++)
		x[i] = (float)(i % 1000) * 0.5f;
	for (int i = 0; i < C; i++)
		y[i] = (float)i;
	float z = 3;
	ir_node *mean = tu_node(
	    g, "Mean",
	    TU_VALUES(
	        initializer(g, IR_FLOAT, x, sizeof x, (int64_t[]){A, B, C}, 3),
	        initializer(g, IR_FLOAT, y, sizeof y, (int64_t[]){C}, 1),
	        initializer(g, IR_FLOAT, &z, sizeof z, NULL, 0)),
	    1);
	evaluate(&e, mean, -1);
	const float *f = output_data(&e, 0, IR_FLOAT, A * B * C);
	for (int i = 0; i < A * B * C; i++)
		if (wrong < 0 &&
		    f[i] != (float)(((double)x[i] + y[i % C] + z) / 3))
			wrong = i;
	ck_assert_int_eq(wrong, -1);
	eval_call_end(&e.call);
	ir_model_free(m);
}
END_TEST

START_TEST(division_by_zero_in_a_late_block_is_refused)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	enum { N = 40000 };
	static int32_t a[N], b[N];
	for (int i = 0; i < N; i++)
		a[i] = i, b[i] = i == N - 1 ? 0 : 1;
	ir_node *div = tu_node(
	    g, "Div",
	    TU_VALUES(initializer(g, IR_INT32, a, sizeof a, (int64_t[]){N}, 1),
	              initializer(g, IR_INT32, b, sizeof b, (int64_t[]){N}, 1)),
	    1);
	evaluation e;
	evaluate(&e, div, -1);
	ck_assert_int_eq(e.code, EVAL_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.call.reason, "division by zero"));
	eval_call_end(&e.call);
	ir_model_free(m);
}
END_TEST

/* ------------------------------------------------------- data movement */

START_TEST(transpose_matches_a_naive_copy)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	enum { A = 5, B = 37, C = 70 };
	static int16_t data[A * B * C];
	for (int i = 0; i < A * B * C; i++)
		data[i] = (int16_t)(i * 7);
	ir_value *x = initializer(g, IR_INT16, data, sizeof data,
	                          (int64_t[]){A, B, C}, 3);
	static const int64_t perms[][3] = {
	    {1, 2, 0}, {2, 1, 0}, {0, 2, 1}, {2, 0, 1}};
	int64_t dims[3] = {A, B, C}, strides[3] = {B * C, C, 1};
	for (int k = 0; k < 4; k++) {
		ir_node *t = tu_node(g, "Transpose", TU_VALUES(x), 1);
		ir_node_set_attr_ints(t, "perm", perms[k], 3);
		evaluation e;
		evaluate(&e, t, -1);
		const int16_t *r = output_data(&e, 0, IR_INT16, A * B * C);
		int64_t od[3] = {dims[perms[k][0]], dims[perms[k][1]],
		                 dims[perms[k][2]]};
		int64_t i = 0;
		for (int64_t p = 0; p < od[0]; p++)
			for (int64_t q = 0; q < od[1]; q++)
				for (int64_t s = 0; s < od[2]; s++, i++) {
					int64_t at = p * strides[perms[k][0]] +
					             q * strides[perms[k][1]] +
					             s * strides[perms[k][2]];
					ck_assert_int_eq(r[i], data[at]);
				}
		eval_call_end(&e.call);
	}
	ir_model_free(m);
}
END_TEST

START_TEST(matmul_broadcasts_batches_and_vectors)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	/* a: [2, 1, 2, 3], b: [3] -> [2, 1, 2] */
	float a[12], b[3] = {1, 10, 100};
	for (int i = 0; i < 12; i++)
		a[i] = (float)i;
	ir_value *va =
	    initializer(g, IR_FLOAT, a, sizeof a, (int64_t[]){2, 1, 2, 3}, 4);
	ir_value *vb = initializer(g, IR_FLOAT, b, sizeof b, (int64_t[]){3}, 1);
	ir_node *mm = tu_node(g, "MatMul", TU_VALUES(va, vb), 1);
	evaluation e;
	evaluate(&e, mm, -1);
	const float *r = output_data(&e, 0, IR_FLOAT, 4);
	for (int i = 0; i < 4; i++)
		ck_assert(r[i] ==
		          a[3 * i] + 10 * a[3 * i + 1] + 100 * a[3 * i + 2]);
	ck_assert_int_eq(e.call.outputs[0]->rank, 3);
	eval_call_end(&e.call);
	ir_model_free(m);
}
END_TEST

/* ------------------------------------------------------ limits, reasons */

START_TEST(size_limit_refuses_before_allocating)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	float one = 1;
	ir_value *x = initializer(g, IR_FLOAT, &one, 4, (int64_t[]){1}, 1);
	/* 2^40 floats: allocating it would fail the test process. */
	ir_value *shape = i64s(g, (int64_t[]){1 << 20, 1 << 20}, 2);
	ir_node *expand = tu_node(g, "Expand", TU_VALUES(x, shape), 1);
	evaluation e;
	evaluate(&e, expand, 4 << 20);
	ck_assert_int_eq(e.code, EVAL_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.call.reason, "size limit"));
	eval_call_end(&e.call);
	ir_model_free(m);
}
END_TEST

/* A DFT is a direct sum: 2^16 samples into 2^16 bins is 2^34 multiply-
 * adds (seconds) from a 256 KB input whose output is within a 4 MB size
 * limit, so the work limit refuses it; 8 samples still fold (bin 0 of
 * 1..8 is 36 + 0i). */
START_TEST(work_limit_refuses_a_long_direct_dft)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	int64_t n = 1 << 16;
	float *samples = calloc((size_t)n, sizeof *samples);
	ck_assert_ptr_nonnull(samples);
	ir_value *x = initializer(g, IR_FLOAT, samples, 4 * (size_t)n,
	                          (int64_t[]){1, n, 1}, 3);
	free(samples);
	evaluation e;
	evaluate(&e, tu_node(g, "DFT", TU_VALUES(x), 1), 4 << 20);
	ck_assert_int_eq(e.code, EVAL_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.call.reason, "multiply-adds"));
	eval_call_end(&e.call);

	float eight[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	ir_value *small = initializer(g, IR_FLOAT, eight, sizeof eight,
	                              (int64_t[]){1, 8, 1}, 3);
	evaluate(&e, tu_node(g, "DFT", TU_VALUES(small), 1), 4 << 20);
	const float *y = output_data(&e, 0, IR_FLOAT, 16);
	ck_assert_float_eq_tol(y[0], 36, 1e-5);
	ck_assert_float_eq_tol(y[1], 0, 1e-5);
	eval_call_end(&e.call);
	ir_model_free(m);
}
END_TEST

START_TEST(unknown_and_random_ops_say_why)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	float one = 1;
	ir_value *x = initializer(g, IR_FLOAT, &one, 4, (int64_t[]){1}, 1);
	evaluation e;
	evaluate(&e, tu_node(g, "NoSuchOp", TU_VALUES(x), 1), -1);
	ck_assert_int_eq(e.code, EVAL_UNSUPPORTED);
	ck_assert_str_eq(e.call.reason,
	                 "unsupported: NoSuchOp-13 has no kernel");
	eval_call_end(&e.call);
	evaluate(&e, tu_node(g, "RandomUniformLike", TU_VALUES(x), 1), -1);
	ck_assert_int_eq(e.code, EVAL_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.call.reason, "random"));
	eval_call_end(&e.call);
	ir_model_free(m);
}
END_TEST

/* Attention-23: Q [1, 2, 1, 2] (two heads) against one key/value head
 * (grouped-query), after a past of one position; scores [1, 0] per head
 * give y = (e * 1 + 1 * 3) / (e + 1); a boolean mask that hides position
 * 0 gives y = 3; present_key is past then K. */
START_TEST(attention_groups_heads_and_takes_the_past)
{
	ir_model *m = tu_model(23);
	ir_graph *g = m->graph;
	float q[] = {1, 0, 1, 0}, k[] = {0, 1}, pk[] = {1, 0};
	float v[] = {3}, pv[] = {1};
	ir_value *vq =
	    initializer(g, IR_FLOAT, q, sizeof q, (int64_t[]){1, 2, 1, 2}, 4);
	ir_value *vk =
	    initializer(g, IR_FLOAT, k, sizeof k, (int64_t[]){1, 1, 1, 2}, 4);
	ir_value *vv =
	    initializer(g, IR_FLOAT, v, sizeof v, (int64_t[]){1, 1, 1, 1}, 4);
	ir_value *vpk =
	    initializer(g, IR_FLOAT, pk, sizeof pk, (int64_t[]){1, 1, 1, 2}, 4);
	ir_value *vpv =
	    initializer(g, IR_FLOAT, pv, sizeof pv, (int64_t[]){1, 1, 1, 1}, 4);
	ir_node *a =
	    tu_node(g, "Attention", TU_VALUES(vq, vk, vv, NULL, vpk, vpv), 3);
	ir_node_set_attr_float(a, "scale", 1.0f);
	evaluation e;
	evaluate(&e, a, -1);
	const float *y = output_data(&e, 0, IR_FLOAT, 2);
	float want = (float)((exp(1.0) + 3) / (exp(1.0) + 1));
	ck_assert_float_eq_tol(y[0], want, 1e-6f);
	ck_assert_float_eq_tol(y[1], want, 1e-6f);
	const float *present = output_data(&e, 1, IR_FLOAT, 4);
	ck_assert(present[0] == 1 && present[1] == 0 && present[2] == 0 &&
	          present[3] == 1);
	eval_call_end(&e.call);
	uint8_t hide_first[] = {0, 1};
	ir_value *mask = initializer(g, IR_BOOL, hide_first, sizeof hide_first,
	                             (int64_t[]){1, 2}, 2);
	ir_node_set_input(a, 3, mask);
	evaluate(&e, a, -1);
	y = output_data(&e, 0, IR_FLOAT, 2);
	ck_assert_float_eq_tol(y[0], 3.0f, 1e-6f);
	eval_call_end(&e.call);
	ir_model_free(m);
}
END_TEST

/* RotaryEmbedding-23 at position 1, whose angles are 90 degrees for the
 * first pair and 0 for the second: rotate-half pairs (x0, x2), (x1, x3);
 * interleaved pairs (x0, x1), (x2, x3). */
START_TEST(rotary_embedding_pairs_halves_or_neighbours)
{
	ir_model *m = tu_model(23);
	ir_graph *g = m->graph;
	float x[] = {1, 2, 3, 4}, cosv[] = {1, 1, 0, 1}, sinv[] = {0, 0, 1, 0};
	int64_t pos[] = {1};
	ir_value *vx =
	    initializer(g, IR_FLOAT, x, sizeof x, (int64_t[]){1, 1, 1, 4}, 4);
	ir_value *vc =
	    initializer(g, IR_FLOAT, cosv, sizeof cosv, (int64_t[]){2, 2}, 2);
	ir_value *vs =
	    initializer(g, IR_FLOAT, sinv, sizeof sinv, (int64_t[]){2, 2}, 2);
	ir_value *vp =
	    initializer(g, IR_INT64, pos, sizeof pos, (int64_t[]){1, 1}, 2);
	ir_node *r =
	    tu_node(g, "RotaryEmbedding", TU_VALUES(vx, vc, vs, vp), 1);
	evaluation e;
	evaluate(&e, r, -1);
	const float *y = output_data(&e, 0, IR_FLOAT, 4);
	ck_assert(y[0] == -3 && y[1] == 2 && y[2] == 1 && y[3] == 4);
	eval_call_end(&e.call);
	ir_node_set_attr_int(r, "interleaved", 1);
	evaluate(&e, r, -1);
	y = output_data(&e, 0, IR_FLOAT, 4);
	ck_assert(y[0] == -2 && y[1] == 1 && y[2] == 3 && y[3] == 4);
	eval_call_end(&e.call);
	ir_model_free(m);
}
END_TEST

static Suite *kernel_suite(void)
{
	Suite *s = suite_create("fold-kernels");
	TCase *formats = tcase_create("formats");
	tcase_add_test(formats, float16_rounds_to_nearest_even);
	tcase_add_test(formats, bfloat16_rounds_to_nearest_even);
	tcase_add_test(formats, huge_doubles_narrow_to_infinity);
	tcase_add_test(formats, floats_format_like_the_reference);
	suite_add_tcase(s, formats);
	TCase *semantics = tcase_create("semantics");
	tcase_add_test(semantics, integer_mod_takes_the_divisor_sign);
	tcase_add_test(semantics, integer_division_by_zero_is_refused);
	tcase_add_test(semantics, slice_with_negative_step_clamps);
	tcase_add_test(semantics, pad_modes);
	tcase_add_test(semantics, where_selects_strings);
	tcase_add_test(semantics,
	               broadcast_arithmetic_in_blocks_matches_a_naive_loop);
	tcase_add_test(semantics, division_by_zero_in_a_late_block_is_refused);
	tcase_add_test(semantics, attention_groups_heads_and_takes_the_past);
	tcase_add_test(semantics, rotary_embedding_pairs_halves_or_neighbours);
	suite_add_tcase(s, semantics);
	TCase *movement = tcase_create("movement");
	tcase_add_test(movement, transpose_matches_a_naive_copy);
	tcase_add_test(movement, matmul_broadcasts_batches_and_vectors);
	suite_add_tcase(s, movement);
	TCase *limits = tcase_create("limits");
	tcase_add_test(limits, size_limit_refuses_before_allocating);
	tcase_add_test(limits, work_limit_refuses_a_long_direct_dft);
	tcase_add_test(limits, unknown_and_random_ops_say_why);
	suite_add_tcase(s, limits);
	return s;
}

int main(void)
{
	return tu_run_suite(kernel_suite());
}
