/*
 * unary.c - math one element at a time: unary math and activations,
 * Abs/Neg/Sign/Relu on every numeric type, Shrink, Clip.
 *
 * Each kernel widens its input (double for float types, int64_t or
 * uint64_t for integers), computes once per wide type, and narrows into
 * the output type: sqrt of a float32 in double, rounded once, is the
 * correctly rounded float32 result. The float-only ops are the
 * FLOAT_UNARY rows of the operator table (analysis/ops.def), each
 * expanded here into its own kernel; loops contain no function pointer
 * calls and no op lookups.
 */
#include <math.h>
#include <string.h>

#include "eval.h"
#include "ops.h"

/* ---------------------------------------------------------------- unary */

/* What every float unary kernel shares: the checks, the widened input,
 * the output and the attributes alpha, beta and gamma. */
typedef struct float_unary {
	const eval_tensor *in;
	void *out;
	double *v; /* the input, widened; overwritten with the result */
	double alpha, beta, gamma;
} float_unary;

static int float_unary_begin(eval_call *c, float_unary *u, float alpha,
                             float beta, float gamma)
{
	const eval_tensor *t = &c->in[0];
	if (!eval_has_input(c, 0) || !eval_is_float(t->elem_type))
		return eval_unsupported(c, "on %s",
		                        eval_has_input(c, 0)
		                            ? ir_elem_name(t->elem_type)
		                            : "an absent input");
	u->in = t;
	u->alpha = eval_attr_float(c, "alpha", alpha);
	u->beta = eval_attr_float(c, "beta", beta);
	u->gamma = eval_attr_float(c, "gamma", gamma);
	u->out = eval_output_like(c, 0, t, t->elem_type);
	if (!u->out)
		return EVAL_UNSUPPORTED;
	u->v = eval_doubles(c, t);
	return EVAL_OK;
}

static int float_unary_end(float_unary *u)
{
	eval_store_doubles(u->out, u->in->elem_type, u->v, u->in->numel);
	return EVAL_OK;
}

/* One kernel per FLOAT_UNARY row of the operator table, its expression
 * inlined in the loop. */
#define OP(name, domain, infer, flags)
#define FLOAT_UNARY(name, flags, alpha_default, beta_default, gamma_default,   \
                    expression)                                                \
	int eval_unary_##name(eval_call *c)                                    \
	{                                                                      \
		float_unary u;                                                 \
		int code = float_unary_begin(c, &u, alpha_default,             \
		                             beta_default, gamma_default);     \
		if (code != EVAL_OK)                                           \
			return code;                                           \
		const double alpha = u.alpha, beta = u.beta, gamma = u.gamma;  \
		(void)alpha;                                                   \
		(void)beta;                                                    \
		(void)gamma;                                                   \
		for (int64_t i = 0; i < u.in->numel; i++) {                    \
			double x = u.v[i];                                     \
			u.v[i] = (expression);                                 \
		}                                                              \
		return float_unary_end(&u);                                    \
	}
#include "ops.def"
#undef OP

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Gelu has two formulas, chosen by its approximate attribute. */
int eval_gelu(eval_call *c)
{
	const char *approx = eval_attr_string(c, "approximate", "none");
	bool tanh_form = !strcmp(approx, "tanh");
	if (!tanh_form && strcmp(approx, "none"))
		return eval_unsupported(c, "approximate='%s'", approx);
	float_unary u;
	int code = float_unary_begin(c, &u, 1, 0, 1);
	if (code != EVAL_OK)
		return code;
	for (int64_t i = 0; i < u.in->numel; i++) {
		double x = u.v[i];
		u.v[i] = tanh_form
		             ? 0.5 * x *
		                   (1.0 + tanh(sqrt(2.0 / M_PI) *
		                               (x + 0.044715 * x * x * x)))
		             : 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
	}
	return float_unary_end(&u);
}

/* Unary ops that are also defined on integers, computed exactly. */
enum signed_unary { ABS, NEG, SIGN, RELU };

static int signed_unary(eval_call *c, enum signed_unary op)
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
	int64_t n = t->numel;
	void *w = eval_widen(c, t);
	switch (kind) {
	case EVAL_KIND_FLOAT: {
		double *v = w;
		for (int64_t i = 0; i < n; i++) {
			double x = v[i];
			v[i] = op == ABS    ? (x < 0 ? -x : x)
			       : op == NEG  ? 0.0 - x
			       : op == SIGN ? (x > 0 ? 1 : (x < 0 ? -1 : x))
			                    : (x > 0 ? x : 0);
		}
		break;
	}
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
	eval_narrow(out, t->elem_type, w, n);
	return EVAL_OK;
}

int eval_abs(eval_call *c)
{
	return signed_unary(c, ABS);
}
int eval_neg(eval_call *c)
{
	return signed_unary(c, NEG);
}
int eval_sign(eval_call *c)
{
	return signed_unary(c, SIGN);
}
int eval_relu(eval_call *c)
{
	return signed_unary(c, RELU);
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
