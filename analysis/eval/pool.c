/*
 * pool.c - pooling: MaxPool (with Indices), AveragePool, LpPool, their
 * Global* forms, and MaxUnpool.
 *
 * Windows come from spatial.c. Padding never contributes a value: Max
 * and Lp skip it, and AveragePool divides by the taps inside the input
 * (count_include_pad=0) or inside the padded input (=1).
 */
#include <math.h>
#include <string.h>

#include "spatial.h"

enum pool_kind { POOL_MAX, POOL_AVERAGE, POOL_LP };

static bool pool_input(eval_call *c)
{
	if (!eval_has_input(c, 0) || c->in[0].rank < 3) {
		eval_error(c, "needs an input of rank >= 3");
		return false;
	}
	eval_kind kind = eval_kind_of(c->in[0].elem_type);
	if (kind != EVAL_KIND_FLOAT && c->in[0].elem_type != IR_INT8 &&
	    c->in[0].elem_type != IR_UINT8) {
		eval_unsupported(c, "on %s", ir_elem_name(c->in[0].elem_type));
		return false;
	}
	return true;
}

/* Taps of output position `pos` that lie in [lo, hi) of every dim,
 * where lo/hi are -pad_begin/in+pad_end (padded) or 0/in. */
static int64_t window_count(const spatial *s, int64_t pos, bool padded)
{
	int64_t count = 1;
	for (int i = s->n - 1; i >= 0; i--) {
		int64_t o = pos % s->out[i], inside = 0;
		pos /= s->out[i];
		int64_t lo = padded ? -s->pad_begin[i] : 0;
		int64_t hi = padded ? s->in[i] + s->pad_end[i] : s->in[i];
		for (int64_t k = 0; k < s->kernel[i]; k++) {
			int64_t at = o * s->stride[i] - s->pad_begin[i] +
			             k * s->dilation[i];
			inside += at >= lo && at < hi;
		}
		count *= inside;
	}
	return count;
}

static int pool(eval_call *c, enum pool_kind kind)
{
	if (!pool_input(c))
		return c->failure;
	const eval_tensor *x = &c->in[0];
	spatial s;
	if (!spatial_setup(c, x, NULL, true, &s))
		return c->failure;
	bool include_pad = eval_attr_int(c, "count_include_pad", 0) != 0;
	double p = (double)eval_attr_int(c, "p", 2);
	bool storage_order = eval_attr_int(c, "storage_order", 0) != 0;
	bool want_indices = kind == POOL_MAX && eval_wants_output(c, 1);
	if (want_indices && storage_order && s.n != 2)
		return eval_unsupported(c, "column-major indices in %d-D", s.n);
	int64_t dims[EVAL_MAX_RANK];
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	memcpy(dims + 2, s.out, sizeof(int64_t) * (size_t)s.n);
	void *out = eval_output(c, 0, x->elem_type, x->rank, dims);
	int64_t *indices =
	    want_indices ? eval_output(c, 1, IR_INT64, x->rank, dims) : NULL;
	if (!out || (want_indices && !indices))
		return EVAL_UNSUPPORTED;
	int64_t planes = x->dims[0] * x->dims[1];
	int64_t outs = spatial_out_count(&s), taps = spatial_kernel_count(&s);
	int64_t in_plane = eval_numel(s.in, s.n);
	const int64_t *table = spatial_tap_table(c, &s);
	if (!table)
		return c->failure;
	const double *v = eval_doubles(c, x);
	double *y = eval_alloc(c, 8 * (size_t)(planes * outs));
	int64_t *divisor = NULL;
	if (kind == POOL_AVERAGE) {
		divisor = eval_alloc(c, 8 * (size_t)outs);
		for (int64_t q = 0; q < outs; q++)
			divisor[q] = window_count(&s, q, include_pad);
	}
	for (int64_t pl = 0; pl < planes; pl++) {
		const double *plane = v + pl * in_plane;
		for (int64_t q = 0; q < outs; q++) {
			double acc = kind == POOL_MAX ? -INFINITY : 0;
			int64_t best = -1;
			for (int64_t t = 0; t < taps; t++) {
				int64_t at = table[t * outs + q];
				if (at < 0)
					continue;
				double e = plane[at];
				if (kind == POOL_MAX) {
					if (best < 0 || e > acc) {
						acc = e;
						best = at;
					}
				} else if (kind == POOL_LP) {
					acc += pow(fabs(e), p);
				} else {
					acc += e;
				}
			}
			if (kind == POOL_AVERAGE)
				acc =
				    divisor[q] ? acc / (double)divisor[q] : NAN;
			else if (kind == POOL_LP)
				acc = pow(acc, 1.0 / p);
			y[pl * outs + q] = acc;
			if (!indices)
				continue;
			int64_t flat = best;
			if (storage_order && best >= 0)
				flat =
				    (best % s.in[1]) * s.in[0] + best / s.in[1];
			indices[pl * outs + q] = pl * in_plane + flat;
		}
	}
	eval_store_doubles(out, x->elem_type, y, planes * outs);
	return EVAL_OK;
}

int eval_max_pool(eval_call *c)
{
	return pool(c, POOL_MAX);
}

int eval_average_pool(eval_call *c)
{
	return pool(c, POOL_AVERAGE);
}

int eval_lp_pool(eval_call *c)
{
	return pool(c, POOL_LP);
}

/* Global pools: one window covering every spatial dim. */
int eval_global_pool(eval_call *c)
{
	if (!pool_input(c))
		return c->failure;
	const char *name = c->node->op_type;
	enum pool_kind kind = !strcmp(name, "GlobalMaxPool") ? POOL_MAX
	                      : !strcmp(name, "GlobalAveragePool")
	                          ? POOL_AVERAGE
	                          : POOL_LP;
	const eval_tensor *x = &c->in[0];
	double p = (double)eval_attr_int(c, "p", 2);
	int64_t dims[EVAL_MAX_RANK];
	for (int i = 0; i < x->rank; i++)
		dims[i] = i < 2 ? x->dims[i] : 1;
	void *out = eval_output(c, 0, x->elem_type, x->rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t planes = x->dims[0] * x->dims[1];
	int64_t size = eval_numel(x->dims + 2, x->rank - 2);
	const double *v = eval_doubles(c, x);
	double *y = eval_alloc(c, 8 * (size_t)planes);
	for (int64_t pl = 0; pl < planes; pl++) {
		const double *plane = v + pl * size;
		double acc = kind == POOL_MAX ? -INFINITY : 0;
		for (int64_t i = 0; i < size; i++)
			acc = kind == POOL_MAX
			          ? (plane[i] > acc ? plane[i] : acc)
			      : kind == POOL_LP ? acc + pow(fabs(plane[i]), p)
			                        : acc + plane[i];
		if (kind == POOL_AVERAGE)
			acc /= (double)size;
		else if (kind == POOL_LP)
			acc = pow(acc, 1.0 / p);
		y[pl] = acc;
	}
	eval_store_doubles(out, x->elem_type, y, planes);
	return EVAL_OK;
}

/* ------------------------------------------------------------ MaxUnpool */

int eval_max_unpool(eval_call *c)
{
	if (!eval_has_input(c, 0) || !eval_has_input(c, 1) ||
	    c->in[0].rank < 3 || c->in[1].numel != c->in[0].numel)
		return eval_error(c, "needs X and indices of one shape");
	const eval_tensor *x = &c->in[0];
	spatial s;
	if (!spatial_setup(c, x, NULL, false, &s))
		return c->failure;
	int64_t dims[EVAL_MAX_RANK];
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	/* The stride is bounded by spatial_setup but the input dim is not,
	 * so the product is checked; the rest stays within range. */
	for (int i = 0; i < s.n; i++) {
		int64_t grown;
		if (__builtin_mul_overflow(s.in[i] - 1, s.stride[i], &grown) ||
		    grown > INT64_MAX / 2)
			return eval_unsupported(c, "output dim %d overflows",
			                        2 + i);
		dims[2 + i] =
		    grown + s.kernel[i] - s.pad_begin[i] - s.pad_end[i];
	}
	if (eval_has_input(c, 2)) {
		const int64_t *shape;
		int64_t n;
		if (!eval_input_ints(c, 2, &shape, &n) || n != x->rank)
			return eval_error(c,
			                  "output_shape must have rank %d "
			                  "entries",
			                  x->rank);
		/* Runtimes disagree on where indices of the default shape
		 * land in a different one. */
		if (memcmp(dims, shape, sizeof(int64_t) * (size_t)n))
			return eval_unsupported(c, "with an output_shape other "
			                           "than the default (the "
			                           "reference and ONNX Runtime "
			                           "disagree)");
	}
	char *out = eval_output(c, 0, x->elem_type, x->rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t total = eval_numel(dims, x->rank);
	const int64_t *idx;
	int64_t n;
	if (!eval_input_ints(c, 1, &idx, &n))
		return EVAL_ERROR;
	size_t es = x->elem_size;
	for (int64_t i = 0; i < n; i++) {
		if (idx[i] < 0 || idx[i] >= total)
			return eval_error(c, "index %lld is out of range",
			                  (long long)idx[i]);
		memcpy(out + (size_t)idx[i] * es,
		       (const char *)x->data + (size_t)i * es, es);
	}
	return EVAL_OK;
}
