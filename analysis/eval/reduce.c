/*
 * reduce.c - ops that combine elements along axes: the Reduce* family,
 * ArgMax/ArgMin, CumSum, Softmax, LogSoftmax, Hardmax.
 *
 * Which opset took the axes from an input is the operator table's fact
 * (op_versions.def). A reduction maps each input element to its output slot
 * with the same offsets that broadcasting uses (the output, in keepdims form,
 * is "broadcast" over the input), then accumulates in one pass over the input.
 * Floats accumulate in double; integer Sum, Prod, Max and Min are exact in 64
 * bits; the other reductions of integers go through double and truncate, like
 * the reference.
 */
#include <math.h>
#include <string.h>

#include "eval.h"
#include "ops.h"

enum reduce_op {
	RED_SUM,
	RED_MEAN,
	RED_MAX,
	RED_MIN,
	RED_PROD,
	RED_L1,
	RED_L2,
	RED_LOG_SUM,
	RED_LOG_SUM_EXP,
	RED_SUM_SQUARE,
};

/* Which axes to reduce. False with a reason on bad axes; *identity when
 * the op is a no-op (empty axes with noop_with_empty_axes). */
static bool reduce_axes(eval_call *c, const eval_tensor *x, bool *reduced,
                        bool *identity)
{
	const int64_t *axes = NULL;
	int64_t n = -1;
	*identity = false;
	bool axes_input =
	    op_attribute_input(c->node->op_type, "axes", c->opset) >= 0;
	if (!axes_input) {
		n = eval_attr_ints(c, "axes", &axes);
	} else if (eval_has_input(c, 1)) {
		if (!eval_input_ints(c, 1, &axes, &n))
			return false;
	}
	if (n <= 0) {
		bool noop =
		    axes_input && eval_attr_int(c, "noop_with_empty_axes", 0);
		*identity = noop;
		for (int i = 0; i < x->rank; i++)
			reduced[i] = !noop;
		return true;
	}
	for (int i = 0; i < x->rank; i++)
		reduced[i] = false;
	for (int64_t k = 0; k < n; k++) {
		int a;
		if (!eval_axis(c, axes[k], x->rank, &a))
			return false;
		reduced[a] = true;
	}
	return true;
}

static int reduce(eval_call *c, enum reduce_op op)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *x = &c->in[0];
	eval_kind kind = eval_kind_of(x->elem_type);
	if (kind == EVAL_KIND_NONE || kind == EVAL_KIND_STRING)
		return eval_unsupported(c, "on %s", ir_elem_name(x->elem_type));
	bool reduced[EVAL_MAX_RANK], identity;
	if (!reduce_axes(c, x, reduced, &identity))
		return EVAL_ERROR;
	bool keepdims = eval_attr_int(c, "keepdims", 1) != 0;
	/* The output in keepdims form, and as it is stored. */
	eval_tensor kept = *x;
	int64_t dims[EVAL_MAX_RANK], count = 1;
	int rank = 0;
	for (int i = 0; i < x->rank; i++) {
		if (identity || !reduced[i]) {
			dims[rank++] = x->dims[i];
			continue;
		}
		count *= x->dims[i];
		kept.dims[i] = 1;
		if (keepdims)
			dims[rank++] = 1;
	}
	kept.numel = eval_numel(kept.dims, kept.rank);
	if (identity) {
		memcpy(kept.dims, x->dims, sizeof kept.dims);
		kept.numel = x->numel;
		count = 1;
	}
	if (count == 0 && (kind != EVAL_KIND_FLOAT || op == RED_MAX ||
	                   op == RED_MIN || op == RED_LOG_SUM_EXP))
		return eval_unsupported(c, "over an empty axis");
	void *out = eval_output(c, 0, x->elem_type, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t n_out = kept.numel;
	const int64_t *slot =
	    eval_broadcast_offsets(c, &kept, x->rank, x->dims);
	bool exact = kind != EVAL_KIND_FLOAT &&
	             (op == RED_SUM || op == RED_PROD || op == RED_MAX ||
	              op == RED_MIN || op == RED_SUM_SQUARE || op == RED_L1);
	if (exact) {
		/* Integers: exact, wrapping in 64 bits. Unsigned values
		 * share the bits; only Max and Min need to know the sign. */
		bool is_signed = kind == EVAL_KIND_SIGNED;
		uint64_t *acc = eval_alloc(c, 8 * (size_t)n_out);
		const uint64_t *v = eval_widen(c, x);
		bool *seen = eval_alloc(c, (size_t)n_out);
		for (int64_t i = 0; i < n_out; i++)
			acc[i] = op == RED_PROD ? 1 : 0;
		for (int64_t i = 0; i < x->numel; i++) {
			uint64_t *a = &acc[slot[i]], u = v[i];
			bool neg = is_signed && (int64_t)u < 0;
			switch (op) {
			case RED_SUM: *a += u; break;
			case RED_PROD: *a *= u; break;
			case RED_SUM_SQUARE: *a += u * u; break;
			case RED_L1: *a += neg ? (uint64_t)0 - u : u; break;
			case RED_MAX:
			case RED_MIN: {
				bool less = is_signed ? (int64_t)u < (int64_t)*a
				                      : u < *a;
				bool greater = is_signed
				                   ? (int64_t)u > (int64_t)*a
				                   : u > *a;
				if (!seen[slot[i]] ||
				    (op == RED_MAX ? greater : less))
					*a = u;
				seen[slot[i]] = true;
				break;
			}
			default: break;
			}
		}
		eval_narrow(out, x->elem_type, acc, n_out);
		return EVAL_OK;
	}
	double *acc = eval_alloc(c, 8 * (size_t)n_out);
	double *peak = NULL;
	const double *v = eval_doubles(c, x);
	double start = op == RED_PROD  ? 1
	               : op == RED_MAX ? -INFINITY
	               : op == RED_MIN ? INFINITY
	                               : 0;
	for (int64_t i = 0; i < n_out; i++)
		acc[i] = start;
	if (op == RED_LOG_SUM_EXP) {
		/* Subtract each slot's maximum first, so exp cannot
		 * overflow. */
		peak = eval_alloc(c, 8 * (size_t)n_out);
		for (int64_t i = 0; i < n_out; i++)
			peak[i] = -INFINITY;
		for (int64_t i = 0; i < x->numel; i++)
			if (v[i] > peak[slot[i]])
				peak[slot[i]] = v[i];
		for (int64_t i = 0; i < n_out; i++)
			if (isinf(peak[i]))
				peak[i] = 0;
	}
	for (int64_t i = 0; i < x->numel; i++) {
		double *a = &acc[slot[i]], e = v[i];
		switch (op) {
		case RED_SUM:
		case RED_MEAN:
		case RED_LOG_SUM: *a += e; break;
		case RED_PROD: *a *= e; break;
		case RED_MAX: *a = (isnan(e) || e > *a) ? e : *a; break;
		case RED_MIN: *a = (isnan(e) || e < *a) ? e : *a; break;
		case RED_L1: *a += fabs(e); break;
		case RED_L2:
		case RED_SUM_SQUARE: *a += e * e; break;
		case RED_LOG_SUM_EXP: *a += exp(e - peak[slot[i]]); break;
		}
	}
	for (int64_t i = 0; i < n_out; i++) {
		switch (op) {
		case RED_MEAN: acc[i] /= (double)count; break;
		case RED_L2: acc[i] = sqrt(acc[i]); break;
		case RED_LOG_SUM: acc[i] = log(acc[i]); break;
		case RED_LOG_SUM_EXP: acc[i] = log(acc[i]) + peak[i]; break;
		default: break;
		}
	}
	eval_store_doubles(out, x->elem_type, acc, n_out);
	return EVAL_OK;
}

int eval_reduce_sum(eval_call *c)
{
	return reduce(c, RED_SUM);
}
int eval_reduce_mean(eval_call *c)
{
	return reduce(c, RED_MEAN);
}
int eval_reduce_max(eval_call *c)
{
	return reduce(c, RED_MAX);
}
int eval_reduce_min(eval_call *c)
{
	return reduce(c, RED_MIN);
}
int eval_reduce_prod(eval_call *c)
{
	return reduce(c, RED_PROD);
}
int eval_reduce_l1(eval_call *c)
{
	return reduce(c, RED_L1);
}
int eval_reduce_l2(eval_call *c)
{
	return reduce(c, RED_L2);
}
int eval_reduce_log_sum(eval_call *c)
{
	return reduce(c, RED_LOG_SUM);
}
int eval_reduce_log_sum_exp(eval_call *c)
{
	return reduce(c, RED_LOG_SUM_EXP);
}
int eval_reduce_sum_square(eval_call *c)
{
	return reduce(c, RED_SUM_SQUARE);
}

/* --------------------------------------------------------- ArgMax/Min */

static int arg_extreme(eval_call *c, bool is_max)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *x = &c->in[0];
	eval_kind kind = eval_kind_of(x->elem_type);
	if (kind == EVAL_KIND_NONE || kind == EVAL_KIND_STRING)
		return eval_unsupported(c, "on %s", ir_elem_name(x->elem_type));
	int axis;
	if (!eval_axis(c, eval_attr_int(c, "axis", 0), x->rank, &axis))
		return EVAL_ERROR;
	bool keepdims = eval_attr_int(c, "keepdims", 1) != 0;
	bool last =
	    c->opset >= 12 && eval_attr_int(c, "select_last_index", 0) != 0;
	int64_t len = x->dims[axis];
	if (len == 0)
		return eval_error(c, "over an empty axis");
	int64_t dims[EVAL_MAX_RANK];
	int rank = 0;
	for (int i = 0; i < x->rank; i++)
		if (i != axis || keepdims)
			dims[rank++] = i == axis ? 1 : x->dims[i];
	int64_t *out = eval_output(c, 0, IR_INT64, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t outer = eval_numel(x->dims, axis);
	int64_t inner = eval_numel(x->dims + axis + 1, x->rank - axis - 1);
	/* Every integer of up to 53 bits is exact in double; wider ones
	 * compare in their own kind. */
	const double *d = kind == EVAL_KIND_FLOAT ? eval_doubles(c, x) : NULL;
	const int64_t *s = kind == EVAL_KIND_SIGNED ? eval_int64s(c, x) : NULL;
	const uint64_t *u =
	    kind == EVAL_KIND_UNSIGNED ? eval_uint64s(c, x) : NULL;
	for (int64_t o = 0; o < outer; o++)
		for (int64_t r = 0; r < inner; r++) {
			int64_t base = o * len * inner + r, best = 0;
			for (int64_t k = 1; k < len; k++) {
				int64_t i = base + k * inner;
				int64_t b = base + best * inner;
				int cmp = d   ? (d[i] > d[b]) - (d[i] < d[b])
				          : s ? (s[i] > s[b]) - (s[i] < s[b])
				              : (u[i] > u[b]) - (u[i] < u[b]);
				if (!is_max)
					cmp = -cmp;
				if (cmp > 0 || (cmp == 0 && last))
					best = k;
			}
			out[o * inner + r] = best;
		}
	return EVAL_OK;
}

int eval_arg_max(eval_call *c)
{
	return arg_extreme(c, true);
}
int eval_arg_min(eval_call *c)
{
	return arg_extreme(c, false);
}

/* -------------------------------------------------------------- CumSum */

int eval_cumsum(eval_call *c)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *x = &c->in[0];
	eval_kind kind = eval_kind_of(x->elem_type);
	if (kind == EVAL_KIND_NONE || kind == EVAL_KIND_STRING ||
	    x->elem_type == IR_BOOL)
		return eval_unsupported(c, "on %s", ir_elem_name(x->elem_type));
	const int64_t *axis_value;
	int64_t n;
	int axis;
	if (!eval_input_ints(c, 1, &axis_value, &n) || n != 1)
		return eval_error(c, "axis must be one integer");
	if (!eval_axis(c, axis_value[0], x->rank, &axis))
		return EVAL_ERROR;
	bool exclusive = eval_attr_int(c, "exclusive", 0) != 0;
	bool reverse = eval_attr_int(c, "reverse", 0) != 0;
	void *out = eval_output_like(c, 0, x, x->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t len = x->dims[axis];
	int64_t outer = eval_numel(x->dims, axis);
	int64_t inner = eval_numel(x->dims + axis + 1, x->rank - axis - 1);
	void *w = eval_widen(c, x);
	void *result = eval_alloc(c, 8 * (size_t)x->numel);
#define CUMSUM(T)                                                              \
	{                                                                      \
		const T *v = w;                                                \
		T *y = result;                                                 \
		for (int64_t o = 0; o < outer; o++)                            \
			for (int64_t r = 0; r < inner; r++) {                  \
				T sum = 0;                                     \
				for (int64_t j = 0; j < len; j++) {            \
					int64_t k = reverse ? len - 1 - j : j; \
					int64_t i = (o * len + k) * inner + r; \
					if (exclusive) {                       \
						y[i] = sum;                    \
						sum += v[i];                   \
					} else {                               \
						sum += v[i];                   \
						y[i] = sum;                    \
					}                                      \
				}                                              \
			}                                                      \
	}
	if (kind == EVAL_KIND_FLOAT)
		CUMSUM(double)
	else
		CUMSUM(uint64_t) /* wraps like the narrow type would */
#undef CUMSUM
	eval_narrow(out, x->elem_type, result, x->numel);
	return EVAL_OK;
}

/* ------------------------------------------- Softmax, LogSoftmax, Hardmax */

int eval_softmax(eval_call *c)
{
	const char *name = c->node->op_type;
	int op = !strcmp(name, "Softmax")      ? 0
	         : !strcmp(name, "LogSoftmax") ? 1
	                                       : 2;
	if (!eval_has_input(c, 0) || !eval_is_float(c->in[0].elem_type))
		return eval_error(c, "needs a float input");
	const eval_tensor *x = &c->in[0];
	bool legacy = c->opset < 13;
	int axis;
	if (!eval_axis(c, eval_attr_int(c, "axis", legacy ? 1 : -1),
	               x->rank ? x->rank : 1, &axis))
		return EVAL_ERROR;
	/* Before opset 13 the input is seen as 2-D, split at axis. */
	int64_t outer = eval_numel(x->dims, axis < x->rank ? axis : x->rank);
	int64_t len = legacy ? eval_numel(x->dims + axis, x->rank - axis)
	                     : (x->rank ? x->dims[axis] : 1);
	int64_t inner =
	    legacy ? 1 : eval_numel(x->dims + axis + 1, x->rank - axis - 1);
	void *out = eval_output_like(c, 0, x, x->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	double *v = eval_doubles(c, x);
	for (int64_t o = 0; o < outer; o++)
		for (int64_t r = 0; r < inner; r++) {
			double *row = v + o * len * inner + r;
			double peak = -INFINITY, sum = 0;
			int64_t best = 0;
			for (int64_t k = 0; k < len; k++)
				if (row[k * inner] > peak) {
					peak = row[k * inner];
					best = k;
				}
			if (op == 2) {
				for (int64_t k = 0; k < len; k++)
					row[k * inner] = k == best;
				continue;
			}
			for (int64_t k = 0; k < len; k++)
				sum += exp(row[k * inner] - peak);
			for (int64_t k = 0; k < len; k++) {
				double e = row[k * inner] - peak;
				row[k * inner] =
				    op == 0 ? exp(e) / sum : e - log(sum);
			}
		}
	eval_store_doubles(out, x->elem_type, v, x->numel);
	return EVAL_OK;
}
