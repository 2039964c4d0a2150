/*
 * cast.c - type conversion: Cast, CastLike, QuantizeLinear,
 * DequantizeLinear, DynamicQuantizeLinear.
 *
 * Numeric casts widen in the source's kind and narrow into the target
 * (convert.c holds the rounding rules). Numbers become strings in their
 * shortest form that reads back as the same value, laid out like the
 * ONNX reference (numpy): "0.5", "1.0", "1e-05", "1.5e+16", "inf", "nan".
 * Strings become numbers only when the whole string parses.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

/* ---------------------------------------------------- number -> string */

/* The shortest "%.*e" rendering of x that narrows back to the same bits
 * of `type`; returns the digit count and leaves the text in buf. */
static int shortest_digits(double x, int type, const void *bits, char *buf,
                           size_t size)
{
	size_t es = eval_elem_size(type);
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, size, "%.*e", p - 1, x);
		double back = strtod(buf, NULL);
		unsigned char narrowed[8];
		eval_store_doubles(narrowed, type, &back, 1);
		if (!memcmp(narrowed, bits, es))
			return p;
	}
	return 17;
}

/* Lay out the digits of an "%e" rendering the way numpy prints floats:
 * positional for 1e-4 <= |x| < 1e16, scientific otherwise. */
static void format_float(double x, int type, const void *bits, char *out,
                         size_t size)
{
	if (isnan(x)) {
		snprintf(out, size, "nan");
		return;
	}
	if (isinf(x)) {
		snprintf(out, size, x < 0 ? "-inf" : "inf");
		return;
	}
	char e[64];
	int p = shortest_digits(x, type, bits, e, sizeof e);
	const char *s = e;
	bool negative = *s == '-';
	if (negative)
		s++;
	char digits[32];
	int n = 0;
	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && n < p)
			digits[n++] = *s;
	digits[n] = 0;
	int exponent = *s == 'e' ? atoi(s + 1) : 0;
	/* Drop trailing zeros of the significand ("1.000e+00" -> "1"). */
	while (n > 1 && digits[n - 1] == '0')
		digits[--n] = 0;
	double magnitude = fabs(x);
	int k = 0;
	if (negative)
		out[k++] = '-';
	if (magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e16)) {
		if (magnitude == 0)
			exponent = 0;
		if (exponent < 0) {
			k += snprintf(out + k, size - (size_t)k, "0.");
			for (int i = 0; i < -exponent - 1; i++)
				out[k++] = '0';
			snprintf(out + k, size - (size_t)k, "%s", digits);
			return;
		}
		for (int i = 0; i <= exponent; i++)
			out[k++] = i < n ? digits[i] : '0';
		out[k++] = '.';
		if (exponent + 1 >= n)
			out[k++] = '0';
		for (int i = exponent + 1; i < n; i++)
			out[k++] = digits[i];
		out[k] = 0;
		return;
	}
	out[k++] = digits[0];
	if (n > 1) {
		out[k++] = '.';
		for (int i = 1; i < n; i++)
			out[k++] = digits[i];
	}
	snprintf(out + k, size - (size_t)k, "e%c%02d", exponent < 0 ? '-' : '+',
	         exponent < 0 ? -exponent : exponent);
}

static int cast_to_string(eval_call *c, const eval_tensor *t)
{
	ProtobufCBinaryData *out = eval_output_like(c, 0, t, IR_STRING);
	if (!out)
		return EVAL_UNSUPPORTED;
	eval_kind kind = eval_kind_of(t->elem_type);
	if (t->elem_type == IR_BOOL)
		return eval_unsupported(c, "bool to string");
	const void *wide = eval_widen(c, t);
	size_t es = t->elem_size;
	for (int64_t i = 0; i < t->numel; i++) {
		char text[64];
		if (kind == EVAL_KIND_FLOAT)
			format_float(((const double *)wide)[i], t->elem_type,
			             (const char *)t->data + (size_t)i * es,
			             text, sizeof text);
		else if (kind == EVAL_KIND_SIGNED)
			snprintf(text, sizeof text, "%lld",
			         (long long)((const int64_t *)wide)[i]);
		else
			snprintf(
			    text, sizeof text, "%llu",
			    (unsigned long long)((const uint64_t *)wide)[i]);
		size_t len = strlen(text);
		out[i].len = len;
		out[i].data = eval_alloc(c, len + 1);
		memcpy(out[i].data, text, len);
	}
	return EVAL_OK;
}

/* ---------------------------------------------------- string -> number */

static int cast_from_string(eval_call *c, const eval_tensor *t, int to)
{
	eval_kind kind = eval_kind_of(to);
	if (kind == EVAL_KIND_NONE || to == IR_BOOL)
		return eval_unsupported(c, "string to %s", ir_elem_name(to));
	void *out = eval_output_like(c, 0, t, to);
	if (!out)
		return EVAL_UNSUPPORTED;
	const ProtobufCBinaryData *s = t->data;
	void *wide = eval_alloc(c, 8 * (size_t)t->numel);
	for (int64_t i = 0; i < t->numel; i++) {
		char text[128];
		if (s[i].len >= sizeof text)
			return eval_unsupported(c, "string of %zu bytes",
			                        s[i].len);
		memcpy(text, s[i].data, s[i].len);
		text[s[i].len] = 0;
		char *end;
		errno = 0;
		if (kind == EVAL_KIND_FLOAT)
			((double *)wide)[i] = strtod(text, &end);
		else if (kind == EVAL_KIND_SIGNED)
			((int64_t *)wide)[i] = strtoll(text, &end, 10);
		else
			((uint64_t *)wide)[i] = strtoull(text, &end, 10);
		if (end == text || *end || errno)
			return eval_unsupported(c, "string '%s' as %s", text,
			                        ir_elem_name(to));
	}
	eval_narrow(out, to, wide, t->numel);
	return EVAL_OK;
}

/* ------------------------------------------------------------ Cast(Like) */

static int cast_to(eval_call *c, int to)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *t = &c->in[0];
	eval_kind from_kind = eval_kind_of(t->elem_type);
	eval_kind to_kind = eval_kind_of(to);
	if (to_kind == EVAL_KIND_NONE)
		return eval_unsupported(c, "to %s", ir_elem_name(to));
	if (from_kind == EVAL_KIND_STRING && to_kind == EVAL_KIND_STRING) {
		ProtobufCBinaryData *out = eval_output_like(c, 0, t, to);
		if (!out)
			return EVAL_UNSUPPORTED;
		memcpy(out, t->data, (size_t)t->numel * sizeof *out);
		return EVAL_OK;
	}
	if (to_kind == EVAL_KIND_STRING)
		return cast_to_string(c, t);
	if (from_kind == EVAL_KIND_STRING)
		return cast_from_string(c, t, to);
	void *out = eval_output_like(c, 0, t, to);
	if (!out)
		return EVAL_UNSUPPORTED;
	switch (from_kind) {
	case EVAL_KIND_FLOAT:
		eval_store_doubles(out, to, eval_doubles(c, t), t->numel);
		break;
	case EVAL_KIND_SIGNED:
		eval_store_int64s(out, to, eval_int64s(c, t), t->numel);
		break;
	default:
		eval_store_uint64s(out, to, eval_uint64s(c, t), t->numel);
		break;
	}
	return EVAL_OK;
}

int eval_cast(eval_call *c)
{
	if (!eval_has_attr(c, "to"))
		return eval_error(c, "has no 'to'");
	if (c->opset < 6)
		return eval_unsupported(c, "with a string 'to'");
	return cast_to(c, ir_attr_elem_type(c->node, "to", 0));
}

int eval_cast_like(eval_call *c)
{
	if (!eval_has_input(c, 1))
		return eval_error(c, "input 1 is absent");
	return cast_to(c, c->in[1].elem_type);
}

/* ------------------------------------------------------- quantization */

/* The range of a quantized type; false for types we do not quantize to. */
static bool quant_range(int type, double *lo, double *hi)
{
	switch (type) {
	case IR_UINT8:
		*lo = 0;
		*hi = 255;
		return true;
	case IR_INT8:
		*lo = -128;
		*hi = 127;
		return true;
	case IR_UINT16:
		*lo = 0;
		*hi = 65535;
		return true;
	case IR_INT16:
		*lo = -32768;
		*hi = 32767;
		return true;
	case IR_INT32:
		*lo = -2147483648.0;
		*hi = 2147483647.0;
		return true;
	default: return false;
	}
}

/* Per-tensor or per-axis parameters: index of the parameter for flat
 * element i, given the input's dims. */
typedef struct quant_axis {
	int64_t count; /* parameters: 1 or dims[axis] */
	int64_t inner; /* elements after the axis */
} quant_axis;

static bool quant_layout(eval_call *c, const eval_tensor *x,
                         const eval_tensor *scale, quant_axis *q)
{
	q->count = scale->numel;
	q->inner = 1;
	if (scale->rank == 0 || scale->numel == 1) {
		q->count = 1;
		return true;
	}
	if (scale->rank != 1) {
		eval_unsupported(c, "blocked quantization");
		return false;
	}
	int axis;
	if (!eval_axis(c, eval_attr_int(c, "axis", 1), x->rank, &axis))
		return false;
	if (x->dims[axis] != scale->numel) {
		eval_error(c, "scale has %lld entries for axis of %lld",
		           (long long)scale->numel, (long long)x->dims[axis]);
		return false;
	}
	q->inner = eval_numel(x->dims + axis + 1, x->rank - axis - 1);
	return true;
}

static inline int64_t quant_index(const quant_axis *q, int64_t i)
{
	return q->count == 1 ? 0 : (i / q->inner) % q->count;
}

int eval_quantize_linear(eval_call *c)
{
	if (!eval_has_input(c, 0) || !eval_has_input(c, 1))
		return eval_error(c, "needs x and y_scale");
	const eval_tensor *x = &c->in[0], *scale = &c->in[1];
	const eval_tensor *zp = eval_has_input(c, 2) ? &c->in[2] : NULL;
	int type = zp ? zp->elem_type : IR_UINT8;
	if (c->opset >= 21 && eval_has_attr(c, "output_dtype") && !zp)
		type = ir_attr_elem_type(c->node, "output_dtype", IR_UINT8);
	double lo, hi;
	if (!quant_range(type, &lo, &hi))
		return eval_unsupported(c, "to %s", ir_elem_name(type));
	quant_axis q;
	if (!quant_layout(c, x, scale, &q))
		return EVAL_ERROR;
	if (zp && zp->numel != scale->numel)
		return eval_error(c, "zero point and scale differ in size");
	void *out = eval_output_like(c, 0, x, type);
	if (!out)
		return EVAL_UNSUPPORTED;
	double *v = eval_doubles(c, x);
	const double *s = eval_doubles(c, scale);
	const double *z = zp ? eval_doubles(c, zp) : NULL;
	bool float_math = x->elem_type == IR_FLOAT;
	for (int64_t i = 0; i < x->numel; i++) {
		int64_t k = quant_index(&q, i);
		/* The division happens in the input's precision. */
		double scaled = float_math ? (double)((float)v[i] / (float)s[k])
		                           : v[i] / s[k];
		double r = nearbyint(scaled) + (z ? z[k] : 0);
		v[i] = r < lo ? lo : (r > hi ? hi : r);
	}
	eval_store_doubles(out, type, v, x->numel);
	return EVAL_OK;
}

int eval_dequantize_linear(eval_call *c)
{
	if (!eval_has_input(c, 0) || !eval_has_input(c, 1))
		return eval_error(c, "needs x and x_scale");
	const eval_tensor *x = &c->in[0], *scale = &c->in[1];
	const eval_tensor *zp = eval_has_input(c, 2) ? &c->in[2] : NULL;
	if (!eval_is_integer(x->elem_type))
		return eval_unsupported(c, "from %s",
		                        ir_elem_name(x->elem_type));
	quant_axis q;
	if (!quant_layout(c, x, scale, &q))
		return EVAL_ERROR;
	if (zp && (zp->numel != scale->numel || zp->elem_type != x->elem_type))
		return eval_error(c, "zero point does not match");
	int type = scale->elem_type;
	void *out = eval_output_like(c, 0, x, type);
	if (!out)
		return EVAL_UNSUPPORTED;
	double *v = eval_doubles(c, x);
	const double *s = eval_doubles(c, scale);
	const double *z = zp ? eval_doubles(c, zp) : NULL;
	for (int64_t i = 0; i < x->numel; i++) {
		int64_t k = quant_index(&q, i);
		double d = v[i] - (z ? z[k] : 0);
		v[i] = type == IR_FLOAT ? (double)((float)d * (float)s[k])
		                        : d * s[k];
	}
	eval_store_doubles(out, type, v, x->numel);
	return EVAL_OK;
}

/* uint8 quantization whose range covers the data and zero, computed in
 * float32 like the reference. */
int eval_dynamic_quantize_linear(eval_call *c)
{
	if (!eval_has_input(c, 0) || c->in[0].elem_type != IR_FLOAT)
		return eval_unsupported(c, "on a non-float input");
	const eval_tensor *x = &c->in[0];
	const double *v = eval_doubles(c, x);
	float lo = 0, hi = 0;
	for (int64_t i = 0; i < x->numel; i++) {
		/* An infinite range makes v / scale NaN, which has no
		 * uint8. */
		if (!isfinite(v[i]))
			return eval_unsupported(c, "with NaN or infinite "
			                           "input");
		if ((float)v[i] < lo)
			lo = (float)v[i];
		if ((float)v[i] > hi)
			hi = (float)v[i];
	}
	float scale = (hi - lo) / 255.0f;
	float zero_point = 0;
	if (scale != 0) {
		float zp = nearbyintf(0.0f - lo / scale);
		zero_point = zp < 0 ? 0 : (zp > 255 ? 255 : zp);
	}
	uint8_t *y = eval_output_like(c, 0, x, IR_UINT8);
	float *y_scale = eval_output(c, 1, IR_FLOAT, 0, NULL);
	uint8_t *y_zp = eval_output(c, 2, IR_UINT8, 0, NULL);
	if (!y || !y_scale || !y_zp)
		return EVAL_UNSUPPORTED;
	for (int64_t i = 0; i < x->numel; i++) {
		float q = scale != 0 ? nearbyintf((float)v[i] / scale) : 0;
		q += zero_point;
		y[i] = (uint8_t)(q < 0 ? 0 : (q > 255 ? 255 : q));
	}
	*y_scale = scale;
	*y_zp = (uint8_t)zero_point;
	return EVAL_OK;
}
