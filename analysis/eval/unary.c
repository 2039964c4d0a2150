/*
 * unary.c - math one element at a time: unary math and activations,
 * Abs/Neg/Sign/Relu on every numeric type, Shrink, Clip.
 *
 * Each kernel widens its input (double for float types, int64_t or
 * uint64_t for integers), computes once per wide type, and narrows into
 * the output type: sqrt of a float32 in double, rounded once, is the
 * correctly rounded float32 result. The op is looked up once per call;
 * loops contain no function pointer calls.
 */
#include <math.h>
#include <string.h>

#include "eval.h"
#include "ops.h"

/* ---------------------------------------------------------------- unary */

/* Float-only unary ops: name, then the expression in x (a double) with
 * attributes alpha, beta, gamma already read. */
#define FLOAT_UNARY_OPS(X)                                                     \
	X(Acos, acos(x))                                                       \
	X(Acosh, acosh(x))                                                     \
	X(Asin, asin(x))                                                       \
	X(Asinh, asinh(x))                                                     \
	X(Atan, atan(x))                                                       \
	X(Atanh, atanh(x))                                                     \
	X(Ceil, ceil(x))                                                       \
	X(Cos, cos(x))                                                         \
	X(Cosh, cosh(x))                                                       \
	X(Erf, erf(x))                                                         \
	X(Exp, exp(x))                                                         \
	X(Floor, floor(x))                                                     \
	X(Log, log(x))                                                         \
	X(Reciprocal, 1.0 / x)                                                 \
	X(Round, nearbyint(x))                                                 \
	X(Sigmoid, x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)))   \
	X(Sin, sin(x))                                                         \
	X(Sinh, sinh(x))                                                       \
	X(Softplus, x > 30 ? x : log1p(exp(x)))                                \
	X(Softsign, x / (1.0 + fabs(x)))                                       \
	X(Sqrt, sqrt(x))                                                       \
	X(Tan, tan(x))                                                         \
	X(Tanh, tanh(x))                                                       \
	X(Elu, x < 0 ? alpha * (exp(x) - 1.0) : x)                             \
	X(Celu, x < 0 ? alpha * (exp(x / alpha) - 1.0) : x)                    \
	X(Selu, x <= 0 ? gamma * (alpha * exp(x) - alpha) : gamma * x)         \
	X(LeakyRelu, x < 0 ? alpha * x : x)                                    \
	X(ThresholdedRelu, x > alpha ? x : 0.0)                                \
	X(HardSigmoid, fmax(0.0, fmin(1.0, alpha *x + beta)))                  \
	X(HardSwish, x *fmax(0.0, fmin(1.0, x / 6.0 + 0.5)))                   \
	X(Mish, x *tanh(x > 30 ? x : log1p(exp(x))))                           \
	X(GeluErf, 0.5 * x * (1.0 + erf(x / sqrt(2.0))))                       \
	X(GeluTanh,                                                            \
	  0.5 * x *                                                            \
	      (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x))))

enum float_unary {
#define X(name, expr) UNARY_##name,
	FLOAT_UNARY_OPS(X)
#undef X
	    UNARY_COUNT
};

static const char *const float_unary_names[] = {
#define X(name, expr) #name,
    FLOAT_UNARY_OPS(X)
#undef X
};

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Default alpha/beta/gamma per op, as the operator specs give them. */
static void unary_defaults(int op, float *alpha, float *beta, float *gamma)
{
	*alpha = 1.0f;
	*beta = 0.0f;
	*gamma = 1.0f;
	switch (op) {
	case UNARY_Selu:
		*alpha = 1.67326319217681884765625f;
		*gamma = 1.05070102214813232421875f;
		break;
	case UNARY_LeakyRelu: *alpha = 0.01f; break;
	case UNARY_HardSigmoid:
		*alpha = 0.2f;
		*beta = 0.5f;
		break;
	default: break;
	}
}

int eval_float_unary(eval_call *c)
{
	const char *name = c->node->op_type;
	int op = -1;
	if (!strcmp(name, "Gelu")) {
		const char *approx = eval_attr_string(c, "approximate", "none");
		if (!strcmp(approx, "none"))
			op = UNARY_GeluErf;
		else if (!strcmp(approx, "tanh"))
			op = UNARY_GeluTanh;
		else
			return eval_unsupported(c, "approximate='%s'", approx);
	}
	for (int i = 0; op < 0 && i < UNARY_COUNT; i++)
		if (!strcmp(float_unary_names[i], name))
			op = i;
	if (op < 0)
		return eval_unsupported(c, "is not a float unary op");
	const eval_tensor *t = &c->in[0];
	if (!eval_has_input(c, 0) || !eval_is_float(t->elem_type))
		return eval_unsupported(c, "on %s",
		                        eval_has_input(c, 0)
		                            ? ir_elem_name(t->elem_type)
		                            : "an absent input");
	float alpha, beta, gamma;
	unary_defaults(op, &alpha, &beta, &gamma);
	alpha = eval_attr_float(c, "alpha", alpha);
	beta = eval_attr_float(c, "beta", beta);
	gamma = eval_attr_float(c, "gamma", gamma);
	void *out = eval_output_like(c, 0, t, t->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	double *v = eval_doubles(c, t);
	int64_t n = t->numel;
	switch (op) {
#define X(name, expr)                                                          \
	case UNARY_##name:                                                     \
		for (int64_t i = 0; i < n; i++) {                              \
			double x = v[i];                                       \
			v[i] = (expr);                                         \
		}                                                              \
		break;
		FLOAT_UNARY_OPS(X)
#undef X
	}
	(void)alpha;
	(void)beta;
	(void)gamma;
	eval_store_doubles(out, t->elem_type, v, n);
	return EVAL_OK;
}

/* Unary ops that are also defined on integers, computed exactly. */
int eval_signed_unary(eval_call *c)
{
	const char *name = c->node->op_type;
	const eval_tensor *t = &c->in[0];
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	eval_kind kind = eval_kind_of(t->elem_type);
	if (kind != EVAL_KIND_FLOAT && kind != EVAL_KIND_SIGNED &&
	    kind != EVAL_KIND_UNSIGNED)
		return eval_unsupported(c, "on %s", ir_elem_name(t->elem_type));
	enum { ABS, NEG, SIGN, RELU } op;
	if (!strcmp(name, "Abs"))
		op = ABS;
	else if (!strcmp(name, "Neg"))
		op = NEG;
	else if (!strcmp(name, "Sign"))
		op = SIGN;
	else if (!strcmp(name, "Relu"))
		op = RELU;
	else
		return eval_unsupported(c, "is not a signed unary op");
	void *out = eval_output_like(c, 0, t, t->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t n = t->numel;
	void *w = eval_widen(c, t);
#define SIGNED_UNARY(T)                                                        \
	{                                                                      \
		T *v = w;                                                      \
		for (int64_t i = 0; i < n; i++) {                              \
			T x = v[i];                                            \
			switch (op) {                                          \
			case ABS: v[i] = x < 0 ? -x : x; break;                \
			case NEG: v[i] = (T)0 - x; break;                      \
			case SIGN: v[i] = x > 0 ? 1 : (x < 0 ? -1 : x); break; \
			case RELU: v[i] = x > 0 ? x : 0; break;                \
			}                                                      \
		}                                                              \
	}
	switch (kind) {
	case EVAL_KIND_FLOAT: SIGNED_UNARY(double) break;
	case EVAL_KIND_SIGNED: {
		/* Negation wraps at INT64_MIN instead of overflowing. */
		int64_t *v = w;
		for (int64_t i = 0; i < n; i++) {
			int64_t x = v[i];
			int64_t neg = (int64_t)((uint64_t)0 - (uint64_t)x);
			v[i] = op == ABS    ? (x < 0 ? neg : x)
			       : op == NEG  ? neg
			       : op == SIGN ? (x > 0) - (x < 0)
			                    : (x > 0 ? x : 0);
		}
		break;
	}
	default: {
		/* Unsigned: Abs and Relu keep x, Sign is 0 or 1, Neg wraps. */
		uint64_t *v = w;
		for (int64_t i = 0; i < n; i++)
			v[i] = op == NEG    ? (uint64_t)0 - v[i]
			       : op == SIGN ? (v[i] != 0)
			                    : v[i];
		break;
	}
	}
#undef SIGNED_UNARY
	eval_narrow(out, t->elem_type, w, n);
	return EVAL_OK;
}

/* Shrink is defined on every numeric type. */
int eval_shrink(eval_call *c)
{
	const eval_tensor *t = &c->in[0];
	if (!eval_has_input(c, 0) ||
	    eval_kind_of(t->elem_type) == EVAL_KIND_STRING)
		return eval_error(c, "needs a numeric input");
	double bias = eval_attr_float(c, "bias", 0.0f);
	double lambd = eval_attr_float(c, "lambd", 0.5f);
	void *out = eval_output_like(c, 0, t, t->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	double *v = eval_doubles(c, t);
	for (int64_t i = 0; i < t->numel; i++) {
		double x = v[i];
		v[i] = x < -lambd ? x + bias : (x > lambd ? x - bias : 0.0);
	}
	eval_store_doubles(out, t->elem_type, v, t->numel);
	return EVAL_OK;
}

/* ----------------------------------------------------------------- Clip */

int eval_clip(eval_call *c)
{
	const eval_tensor *t = &c->in[0];
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	eval_kind kind = eval_kind_of(t->elem_type);
	if (kind != EVAL_KIND_FLOAT && kind != EVAL_KIND_SIGNED &&
	    kind != EVAL_KIND_UNSIGNED)
		return eval_unsupported(c, "on %s", ir_elem_name(t->elem_type));
	void *out = eval_output_like(c, 0, t, t->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	/* Bounds in the input's own wide type, so integers stay exact. */
	void *w = eval_widen(c, t);
	const void *lo = NULL, *hi = NULL;
	double attr_lo, attr_hi;
	if (op_attribute_input("Clip", "min", c->opset) < 0) {
		attr_lo = eval_attr_float(c, "min", -INFINITY);
		attr_hi = eval_attr_float(c, "max", INFINITY);
		if (eval_has_attr(c, "min"))
			lo = &attr_lo;
		if (eval_has_attr(c, "max"))
			hi = &attr_hi;
		if (kind != EVAL_KIND_FLOAT)
			return eval_error(c, "attribute bounds on integers");
	} else {
		for (int k = 1; k <= 2; k++) {
			if (!eval_has_input(c, k))
				continue;
			if (c->in[k].numel != 1 ||
			    c->in[k].elem_type != t->elem_type)
				return eval_error(c,
				                  "bound %d must be a "
				                  "scalar of the input type",
				                  k);
			const void *b = eval_widen(c, &c->in[k]);
			if (k == 1)
				lo = b;
			else
				hi = b;
		}
	}
	int64_t n = t->numel;
#define CLIP(T)                                                                \
	{                                                                      \
		T *v = w;                                                      \
		for (int64_t i = 0; i < n; i++) {                              \
			T x = v[i];                                            \
			if (lo && x < *(const T *)lo)                          \
				x = *(const T *)lo;                            \
			if (hi && x > *(const T *)hi)                          \
				x = *(const T *)hi;                            \
			v[i] = x;                                              \
		}                                                              \
	}
	switch (kind) {
	case EVAL_KIND_FLOAT: CLIP(double) break;
	case EVAL_KIND_SIGNED: CLIP(int64_t) break;
	default: CLIP(uint64_t) break;
	}
#undef CLIP
	eval_narrow(out, t->elem_type, w, n);
	return EVAL_OK;
}
