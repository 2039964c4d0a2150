/*
 * convert.c - element types for the evaluator: sizes, kinds, and the one
 * place that converts between stored elements and the wide types kernels
 * compute in (double, int64_t, uint64_t).
 *
 * float16 and bfloat16 are written once here: both are rounded from double
 * by one routine parameterized by precision and exponent range, so no
 * value is rounded twice (double -> float -> half can differ from
 * double -> half).
 *
 * Every loop switches on the element type once, outside the loop; the
 * per-element conversions are static and inline.
 */
#include <math.h>
#include <string.h>

#include "eval.h"
#include "ir_arena.h"

/* Plain C element types; BOOL is separate since it normalizes to 0/1. */
#define PLAIN_FLOAT_TYPES(X) X(IR_FLOAT, float) X(IR_DOUBLE, double)
#define PLAIN_SIGNED_TYPES(X)                                                  \
	X(IR_INT8, int8_t)                                                     \
	X(IR_INT16, int16_t) X(IR_INT32, int32_t) X(IR_INT64, int64_t)
#define PLAIN_UNSIGNED_TYPES(X)                                                \
	X(IR_UINT8, uint8_t)                                                   \
	X(IR_UINT16, uint16_t) X(IR_UINT32, uint32_t) X(IR_UINT64, uint64_t)
#define PLAIN_TYPES(X)                                                         \
	PLAIN_FLOAT_TYPES(X) PLAIN_SIGNED_TYPES(X) PLAIN_UNSIGNED_TYPES(X)

eval_kind eval_kind_of(int elem_type)
{
	switch (elem_type) {
	case IR_FLOAT:
	case IR_DOUBLE:
	case IR_FLOAT16:
	case IR_BFLOAT16: return EVAL_KIND_FLOAT;
	case IR_INT8:
	case IR_INT16:
	case IR_INT32:
	case IR_INT64: return EVAL_KIND_SIGNED;
	case IR_UINT8:
	case IR_UINT16:
	case IR_UINT32:
	case IR_UINT64:
	case IR_BOOL: return EVAL_KIND_UNSIGNED;
	case IR_STRING: return EVAL_KIND_STRING;
	default: return EVAL_KIND_NONE;
	}
}

size_t eval_elem_size(int elem_type)
{
	if (elem_type == IR_STRING)
		return sizeof(ProtobufCBinaryData);
	if (eval_kind_of(elem_type) == EVAL_KIND_NONE)
		return 0;
	return (size_t)ir_elem_bits(elem_type) / 8;
}

bool eval_is_float(int elem_type)
{
	return eval_kind_of(elem_type) == EVAL_KIND_FLOAT;
}

bool eval_is_integer(int elem_type)
{
	eval_kind k = eval_kind_of(elem_type);
	return (k == EVAL_KIND_SIGNED || k == EVAL_KIND_UNSIGNED) &&
	       elem_type != IR_BOOL;
}

/* ------------------------------------------------ 16-bit float formats */

/* A binary float format narrower than double: `precision` significand
 * bits (with the implicit one), smallest normal exponent `min_exp`,
 * largest exponent `max_exp`, `exp_bits` bits of biased exponent. */
typedef struct small_float {
	int precision, min_exp, max_exp, exp_bits;
} small_float;

static const small_float half_format = {11, -14, 15, 5};
static const small_float bfloat_format = {8, -126, 127, 8};

/* Round x to the format (nearest, ties to even) and encode it. Scaling by
 * powers of two is exact, so nearbyint does the only rounding. */
static inline uint16_t small_float_encode(double x, small_float f)
{
	int mant_bits = f.precision - 1;
	uint16_t sign = signbit(x) ? (uint16_t)(1u << 15) : 0;
	uint16_t exp_all = (uint16_t)(((1u << f.exp_bits) - 1) << mant_bits);
	if (isnan(x))
		return (uint16_t)(sign | exp_all | (1u << (mant_bits - 1)));
	x = fabs(x);
	if (isinf(x))
		return sign | exp_all;
	if (x == 0)
		return sign;
	int e;
	frexp(x, &e); /* x = m * 2^e, m in [0.5, 1) */
	int exponent = e - 1;
	if (exponent < f.min_exp)
		exponent = f.min_exp;
	double quantum = ldexp(1.0, exponent - mant_bits);
	double r = nearbyint(x / quantum) * quantum;
	if (r == 0)
		return sign;
	/* Doubles within a quantum of DBL_MAX round up past it: infinity,
	 * which frexp cannot take apart. */
	if (isinf(r))
		return sign | exp_all;
	frexp(r, &e);
	exponent = e - 1;
	if (exponent > f.max_exp)
		return sign | exp_all;
	if (exponent < f.min_exp) { /* subnormal */
		uint32_t m = (uint32_t)ldexp(r, mant_bits - f.min_exp);
		return (uint16_t)(sign | m);
	}
	uint32_t m =
	    (uint32_t)ldexp(r, mant_bits - exponent) - (1u << mant_bits);
	uint32_t biased = (uint32_t)(exponent + (1 << (f.exp_bits - 1)) - 1);
	return (uint16_t)(sign | (biased << mant_bits) | m);
}

static inline double small_float_decode(uint16_t bits, small_float f)
{
	int mant_bits = f.precision - 1;
	uint32_t exp_mask = (1u << f.exp_bits) - 1;
	uint32_t biased = (bits >> mant_bits) & exp_mask;
	uint32_t m = bits & ((1u << mant_bits) - 1);
	double sign = (bits >> 15) ? -1.0 : 1.0;
	if (biased == exp_mask)
		return m ? NAN : sign * INFINITY;
	if (biased == 0)
		return sign * ldexp((double)m, f.min_exp - mant_bits);
	int exponent = (int)biased - ((1 << (f.exp_bits - 1)) - 1);
	return sign *
	       ldexp((double)(m | (1u << mant_bits)), exponent - mant_bits);
}

/* bfloat16 is the top half of a float32: decoding is a shift. */
static inline double bfloat_decode(uint16_t bits)
{
	uint32_t u = (uint32_t)bits << 16;
	float f;
	memcpy(&f, &u, 4);
	return f;
}

float eval_half_to_float(uint16_t h)
{
	return (float)small_float_decode(h, half_format);
}

uint16_t eval_float_to_half(float f)
{
	return small_float_encode(f, half_format);
}

float eval_bfloat_to_float(uint16_t b)
{
	return (float)bfloat_decode(b);
}

uint16_t eval_float_to_bfloat(float f)
{
	return small_float_encode(f, bfloat_format);
}

/* ----------------------------------------------------- scalar narrowing */

/* Float -> integer truncates toward zero; out-of-range values (undefined
 * in ONNX) saturate at int64 and then wrap like any int64 -> narrow int. */
static inline int64_t double_to_int64(double x)
{
	if (isnan(x))
		return 0;
	if (x >= 9223372036854775807.0)
		return INT64_MAX;
	if (x <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)x;
}

static inline uint64_t double_to_uint64(double x)
{
	if (isnan(x))
		return 0;
	if (x < 0)
		return (uint64_t)double_to_int64(x);
	if (x >= 18446744073709551615.0)
		return UINT64_MAX;
	return (uint64_t)x;
}

/* Narrowing a float to an integer type computes what ONNX Runtime (1.30,
 * x86-64) computes, which is what the x86 truncating conversions give:
 * ONNX leaves NaN and out-of-range values undefined, but a folded value
 * must be the value the runtime would have produced. Measured with ORT
 * for float and double sources (tests/cli/fold_oracle.sh checks
 * each against the oracle):
 *   int32: truncation; NaN and anything outside int32 give INT32_MIN
 *          (cvttsd2si's "integer indefinite").
 *   int8, int16, uint8, uint16: the int32 result's low bits, so NaN,
 *          +-inf and +-1e20 give 0, 300 -> int8 44, -70000 -> int16 -4464.
 *   uint32: below 2^31 (NaN included) the int32 result's bits; from 2^31
 *          on, int32(x - 2^31) with its top bit flipped, so 3e9 is exact
 *          and 1e20 or +inf give 0, -1e20, -inf and NaN 2147483648.
 *   int64: truncation; NaN and anything outside int64 give INT64_MIN.
 *   uint64: like uint32 with int64 and 2^63: NaN and -inf give 2^63,
 *          +inf and 1e20 give 0, -3e9 wraps to 2^64 - 3e9.
 *   bool: x != 0, so NaN is true. */
static inline int32_t truncate_int32(double x)
{
	if (!(x > -2147483649.0 && x < 2147483648.0))
		return INT32_MIN;
	return (int32_t)x;
}

static inline int64_t truncate_int64(double x)
{
	if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0))
		return INT64_MIN;
	return (int64_t)x;
}

static inline uint32_t truncate_uint32(double x)
{
	if (x >= 2147483648.0)
		return (uint32_t)truncate_int32(x - 2147483648.0) ^ 0x80000000u;
	return (uint32_t)truncate_int32(x);
}

static inline uint64_t truncate_uint64(double x)
{
	if (x >= 9223372036854775808.0)
		return (uint64_t)truncate_int64(x - 9223372036854775808.0) ^
		       0x8000000000000000u;
	return (uint64_t)truncate_int64(x);
}

/* --------------------------------------------------------------- widen */

/* Every case below writes all n elements (the default one zeroes): the
 * allocating forms need not zero first, which saves a pass over big
 * weights in --check. */
void eval_doubles_into(double *out, const eval_tensor *t)
{
	int64_t n = t->numel;
	switch (t->elem_type) {
#define X(ET, CT)                                                              \
	case ET: {                                                             \
		const CT *s = t->data;                                         \
		for (int64_t i = 0; i < n; i++)                                \
			out[i] = (double)s[i];                                 \
		break;                                                         \
	}
		PLAIN_TYPES(X)
#undef X
	case IR_BOOL: {
		const uint8_t *s = t->data;
		for (int64_t i = 0; i < n; i++)
			out[i] = s[i] != 0;
		break;
	}
	case IR_FLOAT16: {
		const uint16_t *s = t->data;
		for (int64_t i = 0; i < n; i++)
			out[i] = small_float_decode(s[i], half_format);
		break;
	}
	case IR_BFLOAT16: {
		const uint16_t *s = t->data;
		for (int64_t i = 0; i < n; i++)
			out[i] = bfloat_decode(s[i]);
		break;
	}
	default: memset(out, 0, sizeof *out * (size_t)n); break;
	}
}

/* Room for n wide elements, not zeroed. */
static void *wide_scratch(eval_call *call, int64_t n)
{
	return ir_arena_alloc_uninit(call->scratch, 8 * (size_t)(n ? n : 1));
}

double *eval_doubles(eval_call *call, const eval_tensor *t)
{
	double *out = wide_scratch(call, t->numel);
	eval_doubles_into(out, t);
	return out;
}

/* eval_int64s and eval_uint64s: the same widening into two integer types.
 * Float sources go through double and saturate like Cast. */
#define DEFINE_WIDEN_INTEGER(NAME, INTO, OUT_T, FROM_DOUBLE)                   \
	void INTO(OUT_T *out, const eval_tensor *t)                            \
	{                                                                      \
		int64_t n = t->numel;                                          \
		if (eval_kind_of(t->elem_type) == EVAL_KIND_FLOAT) {           \
			double *d = (double *)out;                             \
			eval_doubles_into(d, t);                               \
			for (int64_t i = 0; i < n; i++)                        \
				out[i] = FROM_DOUBLE(d[i]);                    \
			return;                                                \
		}                                                              \
		switch (t->elem_type) {                                        \
			PLAIN_SIGNED_TYPES(WIDEN_CASE)                         \
			PLAIN_UNSIGNED_TYPES(WIDEN_CASE)                       \
		case IR_BOOL: {                                                \
			const uint8_t *s = t->data;                            \
			for (int64_t i = 0; i < n; i++)                        \
				out[i] = s[i] != 0;                            \
			break;                                                 \
		}                                                              \
		default: memset(out, 0, sizeof *out *(size_t)n); break;        \
		}                                                              \
	}                                                                      \
	OUT_T *NAME(eval_call *call, const eval_tensor *t)                     \
	{                                                                      \
		OUT_T *out = wide_scratch(call, t->numel);                     \
		INTO(out, t);                                                  \
		return out;                                                    \
	}
#define WIDEN_CASE(ET, CT)                                                     \
	case ET: {                                                             \
		const CT *s = t->data;                                         \
		for (int64_t i = 0; i < n; i++)                                \
			out[i] = s[i]; /* converts to the output type */       \
		break;                                                         \
	}
DEFINE_WIDEN_INTEGER(eval_int64s, eval_int64s_into, int64_t, double_to_int64)
DEFINE_WIDEN_INTEGER(eval_uint64s, eval_uint64s_into, uint64_t,
                     double_to_uint64)
#undef WIDEN_CASE
#undef DEFINE_WIDEN_INTEGER

void *eval_widen(eval_call *call, const eval_tensor *t)
{
	switch (eval_kind_of(t->elem_type)) {
	case EVAL_KIND_FLOAT: return eval_doubles(call, t);
	case EVAL_KIND_SIGNED: return eval_int64s(call, t);
	default: return eval_uint64s(call, t);
	}
}

void eval_widen_into(void *wide, const eval_tensor *t)
{
	switch (eval_kind_of(t->elem_type)) {
	case EVAL_KIND_FLOAT: eval_doubles_into(wide, t); break;
	case EVAL_KIND_SIGNED: eval_int64s_into(wide, t); break;
	default: eval_uint64s_into(wide, t); break;
	}
}

/* -------------------------------------------------------------- narrow */

void eval_store_doubles(void *dst, int elem_type, const double *src, int64_t n)
{
	switch (elem_type) {
#define X(ET, CT)                                                              \
	case ET: {                                                             \
		CT *d = dst;                                                   \
		for (int64_t i = 0; i < n; i++)                                \
			d[i] = (CT)src[i];                                     \
		break;                                                         \
	}
		PLAIN_FLOAT_TYPES(X)
#undef X
		/* See truncate_int32 for what each target does with NaN and
		 * out-of-range values. */
#define X(ET, CT, TRUNCATE)                                                    \
	case ET: {                                                             \
		CT *d = dst;                                                   \
		for (int64_t i = 0; i < n; i++)                                \
			d[i] = (CT)TRUNCATE(src[i]);                           \
		break;                                                         \
	}
		X(IR_INT8, int8_t, truncate_int32)
		X(IR_INT16, int16_t, truncate_int32)
		X(IR_INT32, int32_t, truncate_int32)
		X(IR_INT64, int64_t, truncate_int64)
		X(IR_UINT8, uint8_t, truncate_int32)
		X(IR_UINT16, uint16_t, truncate_int32)
		X(IR_UINT32, uint32_t, truncate_uint32)
		X(IR_UINT64, uint64_t, truncate_uint64)
#undef X
	case IR_BOOL: {
		uint8_t *d = dst;
		for (int64_t i = 0; i < n; i++)
			d[i] = src[i] != 0;
		break;
	}
	case IR_FLOAT16: {
		uint16_t *d = dst;
		for (int64_t i = 0; i < n; i++)
			d[i] = small_float_encode(src[i], half_format);
		break;
	}
	case IR_BFLOAT16: {
		uint16_t *d = dst;
		for (int64_t i = 0; i < n; i++)
			d[i] = small_float_encode(src[i], bfloat_format);
		break;
	}
	default: break;
	}
}

/* Integer sources: float targets round once from the integer. */
#define STORE_INTEGERS(NAME, WT)                                               \
	void NAME(void *dst, int elem_type, const WT *src, int64_t n)          \
	{                                                                      \
		switch (elem_type) {                                           \
		case IR_FLOAT: {                                               \
			float *d = dst;                                        \
			for (int64_t i = 0; i < n; i++)                        \
				d[i] = (float)src[i];                          \
			break;                                                 \
		}                                                              \
		case IR_DOUBLE: {                                              \
			double *d = dst;                                       \
			for (int64_t i = 0; i < n; i++)                        \
				d[i] = (double)src[i];                         \
			break;                                                 \
		}                                                              \
		case IR_FLOAT16:                                               \
		case IR_BFLOAT16: {                                            \
			uint16_t *d = dst;                                     \
			small_float f = elem_type == IR_FLOAT16                \
			                    ? half_format                      \
			                    : bfloat_format;                   \
			for (int64_t i = 0; i < n; i++)                        \
				d[i] = small_float_encode((double)src[i], f);  \
			break;                                                 \
		}                                                              \
		case IR_BOOL: {                                                \
			uint8_t *d = dst;                                      \
			for (int64_t i = 0; i < n; i++)                        \
				d[i] = src[i] != 0;                            \
			break;                                                 \
		}                                                              \
			PLAIN_SIGNED_TYPES(STORE_WRAP)                         \
			PLAIN_UNSIGNED_TYPES(STORE_WRAP)                       \
		default: break;                                                \
		}                                                              \
	}
/* Conversion to a narrower integer keeps the low bits (two's
 * complement), like numpy's astype. */
#define STORE_WRAP(ET, CT)                                                     \
	case ET: {                                                             \
		CT *d = dst;                                                   \
		for (int64_t i = 0; i < n; i++)                                \
			d[i] = (CT)(uint64_t)src[i];                           \
		break;                                                         \
	}
STORE_INTEGERS(eval_store_int64s, int64_t)
STORE_INTEGERS(eval_store_uint64s, uint64_t)
#undef STORE_WRAP
#undef STORE_INTEGERS

void eval_narrow(void *dst, int elem_type, const void *wide, int64_t n)
{
	switch (eval_kind_of(elem_type)) {
	case EVAL_KIND_FLOAT:
		eval_store_doubles(dst, elem_type, wide, n);
		break;
	case EVAL_KIND_SIGNED:
		eval_store_int64s(dst, elem_type, wide, n);
		break;
	default: eval_store_uint64s(dst, elem_type, wide, n); break;
	}
}
