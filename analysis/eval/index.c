/*
 * index.c - ops driven by index tensors: Gather, GatherElements,
 * GatherND, Scatter, ScatterElements, ScatterND, Compress, NonZero,
 * ReverseSequence, DepthToSpace, SpaceToDepth.
 *
 * Data moves as element bytes (any type, strings too); only the scatter
 * reductions (add, mul, max, min) compute, in the data's wide type.
 * Every index is checked against its dim before use: an index out of
 * range makes the node invalid (EVAL_ERROR), never a wild read.
 */
#include <string.h>

#include "eval.h"

/* Indices as int64 with negatives counted from the end of a dim of size
 * `dim`; false with a reason if one is out of range. */
static bool normalize_index(eval_call *c, int64_t *index, int64_t dim)
{
	int64_t i = *index < 0 ? *index + dim : *index;
	if (i < 0 || i >= dim) {
		eval_error(c, "index %lld is out of range for a dim of %lld",
		           (long long)*index, (long long)dim);
		return false;
	}
	*index = i;
	return true;
}

static const int64_t *indices_of(eval_call *c, int k)
{
	if (!eval_has_input(c, k) || !eval_is_integer(c->in[k].elem_type)) {
		eval_error(c, "input %d must hold integer indices", k);
		return NULL;
	}
	/* A private copy: normalization writes into it. */
	return eval_int64s(c, &c->in[k]);
}

/* ---------------------------------------------------------------- Gather */

int eval_gather(eval_call *c)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *data = &c->in[0], *ind = &c->in[1];
	int64_t *idx = (int64_t *)indices_of(c, 1);
	int axis;
	if (!idx ||
	    !eval_axis(c, eval_attr_int(c, "axis", 0), data->rank, &axis))
		return EVAL_ERROR;
	int rank = data->rank - 1 + ind->rank;
	if (rank > EVAL_MAX_RANK)
		return eval_unsupported(c, "output rank %d", rank);
	int64_t dims[EVAL_MAX_RANK];
	int r = 0;
	for (int i = 0; i < axis; i++)
		dims[r++] = data->dims[i];
	for (int i = 0; i < ind->rank; i++)
		dims[r++] = ind->dims[i];
	for (int i = axis + 1; i < data->rank; i++)
		dims[r++] = data->dims[i];
	for (int64_t i = 0; i < ind->numel; i++)
		if (!normalize_index(c, &idx[i], data->dims[axis]))
			return EVAL_ERROR;
	char *out = eval_output_filled(c, 0, data->elem_type, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	size_t es = data->elem_size;
	int64_t outer = eval_numel(data->dims, axis);
	int64_t inner =
	    eval_numel(data->dims + axis + 1, data->rank - axis - 1);
	size_t chunk = (size_t)inner * es;
	const char *src = data->data;
	for (int64_t o = 0; o < outer; o++)
		for (int64_t i = 0; i < ind->numel; i++)
			memcpy(out + ((size_t)(o * ind->numel + i)) * chunk,
			       src + ((size_t)(o * data->dims[axis] + idx[i])) *
			                 chunk,
			       chunk);
	return EVAL_OK;
}

/* Offsets into data for GatherElements/ScatterElements: position p of
 * the index tensor, with coordinate `axis` replaced by idx[p]. */
static int64_t *element_offsets(eval_call *c, const eval_tensor *data,
                                const eval_tensor *ind, int64_t *idx, int axis)
{
	if (ind->rank != data->rank) {
		eval_error(c, "indices and data differ in rank");
		return NULL;
	}
	int64_t strides[EVAL_MAX_RANK];
	eval_strides(data->dims, data->rank, strides);
	int64_t *offsets = eval_alloc(c, sizeof *offsets * (size_t)ind->numel);
	int64_t pos[EVAL_MAX_RANK] = {0};
	for (int64_t p = 0; p < ind->numel; p++) {
		if (!normalize_index(c, &idx[p], data->dims[axis]))
			return NULL;
		int64_t off = 0;
		for (int i = 0; i < data->rank; i++) {
			int64_t coord = i == axis ? idx[p] : pos[i];
			if (coord >= data->dims[i]) {
				eval_error(c, "indices are larger than data");
				return NULL;
			}
			off += coord * strides[i];
		}
		offsets[p] = off;
		for (int i = ind->rank - 1; i >= 0; i--) {
			if (++pos[i] < ind->dims[i])
				break;
			pos[i] = 0;
		}
	}
	return offsets;
}

int eval_gather_elements(eval_call *c)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *data = &c->in[0], *ind = &c->in[1];
	int64_t *idx = (int64_t *)indices_of(c, 1);
	int axis;
	if (!idx ||
	    !eval_axis(c, eval_attr_int(c, "axis", 0), data->rank, &axis))
		return EVAL_ERROR;
	const int64_t *offsets = element_offsets(c, data, ind, idx, axis);
	if (!offsets)
		return EVAL_ERROR;
	void *out = eval_output_like(c, 0, ind, data->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	eval_gather_bytes(out, data->data, offsets, ind->numel,
	                  data->elem_size);
	return EVAL_OK;
}

/* Slice offsets for GatherND/ScatterND: the last index dim addresses the
 * leading dims of data after batch_dims; returns one offset (in elements
 * of data) per index tuple, and the slice size. */
static int64_t *nd_offsets(eval_call *c, const eval_tensor *data,
                           const eval_tensor *ind, int64_t *idx, int batch,
                           int64_t *tuples, int64_t *slice)
{
	if (ind->rank < 1 || batch < 0 || batch >= ind->rank ||
	    batch >= data->rank) {
		eval_error(c, "indices of rank %d with batch_dims %d",
		           ind->rank, batch);
		return NULL;
	}
	int64_t k = ind->dims[ind->rank - 1];
	if (k < 1 || k > data->rank - batch) { /* batch + k could overflow */
		eval_error(c, "index tuples of %lld for data of rank %d",
		           (long long)k, data->rank);
		return NULL;
	}
	for (int i = 0; i < batch; i++)
		if (ind->dims[i] != data->dims[i]) {
			eval_error(c, "batch dims differ");
			return NULL;
		}
	int64_t strides[EVAL_MAX_RANK];
	eval_strides(data->dims, data->rank, strides);
	int64_t batches = eval_numel(data->dims, batch);
	*tuples = eval_numel(ind->dims, ind->rank - 1);
	int64_t per_batch = batches ? *tuples / batches : 0;
	*slice =
	    eval_numel(data->dims + batch + k, data->rank - batch - (int)k);
	int64_t *offsets = eval_alloc(c, sizeof *offsets * (size_t)(*tuples));
	for (int64_t t = 0; t < *tuples; t++) {
		int64_t b = per_batch ? t / per_batch : 0;
		int64_t off = b * (batch ? strides[batch - 1] : 0);
		for (int64_t j = 0; j < k; j++) {
			int64_t *v = &idx[t * k + j];
			if (!normalize_index(c, v, data->dims[batch + j]))
				return NULL;
			off += *v * strides[batch + j];
		}
		offsets[t] = off;
	}
	return offsets;
}

int eval_gather_nd(eval_call *c)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *data = &c->in[0], *ind = &c->in[1];
	int64_t *idx = (int64_t *)indices_of(c, 1);
	if (!idx)
		return EVAL_ERROR;
	/* untrusted attribute: range-check before narrowing to int */
	int64_t batch_dims = eval_attr_int(c, "batch_dims", 0);
	if (batch_dims < 0 || batch_dims >= ind->rank)
		return eval_error(c, "indices of rank %d with batch_dims %lld",
		                  ind->rank, (long long)batch_dims);
	int batch = (int)batch_dims;
	int64_t tuples, slice;
	const int64_t *offsets =
	    nd_offsets(c, data, ind, idx, batch, &tuples, &slice);
	if (!offsets)
		return EVAL_ERROR;
	int64_t k = ind->dims[ind->rank - 1];
	int64_t dims[EVAL_MAX_RANK];
	int rank = 0;
	for (int i = 0; i < ind->rank - 1; i++)
		dims[rank++] = ind->dims[i];
	for (int i = batch + (int)k; i < data->rank; i++) {
		if (rank >= EVAL_MAX_RANK)
			return eval_unsupported(c, "output rank");
		dims[rank++] = data->dims[i];
	}
	char *out = eval_output_filled(c, 0, data->elem_type, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	size_t es = data->elem_size;
	for (int64_t t = 0; t < tuples; t++)
		memcpy(out + (size_t)(t * slice) * es,
		       (const char *)data->data + (size_t)offsets[t] * es,
		       (size_t)slice * es);
	return EVAL_OK;
}

/* ---------------------------------------------------------------- Scatter */

enum { SCATTER_NONE, SCATTER_ADD, SCATTER_MUL, SCATTER_MAX, SCATTER_MIN };

static int scatter_reduction(eval_call *c)
{
	const char *r = eval_attr_string(c, "reduction", "none");
	return !strcmp(r, "none")  ? SCATTER_NONE
	       : !strcmp(r, "add") ? SCATTER_ADD
	       : !strcmp(r, "mul") ? SCATTER_MUL
	       : !strcmp(r, "max") ? SCATTER_MAX
	       : !strcmp(r, "min") ? SCATTER_MIN
	                           : -1;
}

/* out[offsets[p] + j] (op)= updates[p * run + j] for every p, j. */
static int scatter_into(eval_call *c, const eval_tensor *data,
                        const eval_tensor *updates, const int64_t *offsets,
                        int64_t n, int64_t run, int reduction)
{
	if (updates->elem_type != data->elem_type)
		return eval_error(c, "updates differ in type from data");
	char *out = eval_output_like(c, 0, data, data->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	size_t es = data->elem_size;
	if (reduction == SCATTER_NONE) {
		memcpy(out, data->data, (size_t)data->numel * es);
		for (int64_t p = 0; p < n; p++)
			memcpy(out + (size_t)offsets[p] * es,
			       (const char *)updates->data +
			           (size_t)(p * run) * es,
			       (size_t)run * es);
		return EVAL_OK;
	}
	eval_kind kind = eval_kind_of(data->elem_type);
	if (kind == EVAL_KIND_NONE || kind == EVAL_KIND_STRING ||
	    data->elem_type == IR_BOOL)
		return eval_unsupported(c, "reduction on %s",
		                        ir_elem_name(data->elem_type));
	void *acc = eval_widen(c, data);
	const void *upd = eval_widen(c, updates);
	/* Add and mul are done in U: integers wrap around (in uint64, as
	 * arith.c does) instead of overflowing a signed int64. */
#define SCATTER_REDUCE(T, U)                                                   \
	{                                                                      \
		T *a = acc;                                                    \
		const T *u = upd;                                              \
		for (int64_t p = 0; p < n; p++)                                \
			for (int64_t j = 0; j < run; j++) {                    \
				T *x = &a[offsets[p] + j], y = u[p * run + j]; \
				switch (reduction) {                           \
				case SCATTER_ADD: *x = (T)((U)*x + y); break;  \
				case SCATTER_MUL: *x = (T)((U)*x * y); break;  \
				case SCATTER_MAX: *x = y > *x ? y : *x; break; \
				case SCATTER_MIN: *x = y < *x ? y : *x; break; \
				}                                              \
			}                                                      \
	}
	if (kind == EVAL_KIND_FLOAT)
		SCATTER_REDUCE(double, double)
	else if (kind == EVAL_KIND_SIGNED)
		SCATTER_REDUCE(int64_t, uint64_t)
	else
		SCATTER_REDUCE(uint64_t, uint64_t)
#undef SCATTER_REDUCE
	eval_narrow(out, data->elem_type, acc, data->numel);
	return EVAL_OK;
}

int eval_scatter_elements(eval_call *c)
{
	for (int k = 0; k < 3; k++)
		if (!eval_has_input(c, k))
			return eval_error(c, "input %d is absent", k);
	const eval_tensor *data = &c->in[0], *ind = &c->in[1];
	const eval_tensor *updates = &c->in[2];
	int reduction = scatter_reduction(c);
	if (reduction < 0)
		return eval_unsupported(c, "with an unknown reduction");
	int64_t *idx = (int64_t *)indices_of(c, 1);
	int axis;
	if (!idx ||
	    !eval_axis(c, eval_attr_int(c, "axis", 0), data->rank, &axis))
		return EVAL_ERROR;
	if (updates->numel != ind->numel)
		return eval_error(c, "updates and indices differ in shape");
	const int64_t *offsets = element_offsets(c, data, ind, idx, axis);
	if (!offsets)
		return EVAL_ERROR;
	return scatter_into(c, data, updates, offsets, ind->numel, 1,
	                    reduction);
}

int eval_scatter_nd(eval_call *c)
{
	for (int k = 0; k < 3; k++)
		if (!eval_has_input(c, k))
			return eval_error(c, "input %d is absent", k);
	const eval_tensor *data = &c->in[0], *ind = &c->in[1];
	int reduction = scatter_reduction(c);
	if (reduction < 0)
		return eval_unsupported(c, "with an unknown reduction");
	int64_t *idx = (int64_t *)indices_of(c, 1);
	if (!idx)
		return EVAL_ERROR;
	int64_t tuples, slice;
	const int64_t *offsets =
	    nd_offsets(c, data, ind, idx, 0, &tuples, &slice);
	if (!offsets)
		return EVAL_ERROR;
	if (c->in[2].numel != tuples * slice)
		return eval_error(c, "updates have the wrong size");
	return scatter_into(c, data, &c->in[2], offsets, tuples, slice,
	                    reduction);
}

/* ------------------------------------------------------------- Compress */

int eval_compress(eval_call *c)
{
	if (!eval_has_input(c, 0) || !eval_has_input(c, 1) ||
	    c->in[1].elem_type != IR_BOOL || c->in[1].rank != 1)
		return eval_error(c, "needs an input and a 1-D bool condition");
	const eval_tensor *x = &c->in[0], *cond = &c->in[1];
	const uint8_t *keep = cond->data;
	bool flat = !eval_has_attr(c, "axis");
	int axis = 0;
	if (!flat && !eval_axis(c, eval_attr_int(c, "axis", 0), x->rank, &axis))
		return EVAL_ERROR;
	int64_t len = flat ? x->numel : x->dims[axis];
	int64_t outer = flat ? 1 : eval_numel(x->dims, axis);
	int64_t inner =
	    flat ? 1 : eval_numel(x->dims + axis + 1, x->rank - axis - 1);
	if (cond->numel > len)
		return eval_error(c, "condition is longer than the axis");
	int64_t kept = 0;
	for (int64_t i = 0; i < cond->numel; i++)
		kept += keep[i] != 0;
	int64_t dims[EVAL_MAX_RANK];
	int rank = flat ? 1 : x->rank;
	if (flat)
		dims[0] = kept;
	else {
		memcpy(dims, x->dims, sizeof dims);
		dims[axis] = kept;
	}
	char *out = eval_output(c, 0, x->elem_type, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	size_t chunk = (size_t)inner * x->elem_size;
	const char *src = x->data;
	for (int64_t o = 0; o < outer; o++)
		for (int64_t i = 0; i < cond->numel; i++)
			if (keep[i]) {
				memcpy(out, src + (size_t)(o * len + i) * chunk,
				       chunk);
				out += chunk;
			}
	return EVAL_OK;
}

int eval_nonzero(eval_call *c)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *x = &c->in[0];
	eval_kind kind = eval_kind_of(x->elem_type);
	if (kind == EVAL_KIND_NONE || kind == EVAL_KIND_STRING)
		return eval_unsupported(c, "on %s", ir_elem_name(x->elem_type));
	const double *v = eval_doubles(c, x);
	int64_t count = 0;
	for (int64_t i = 0; i < x->numel; i++)
		count += v[i] != 0;
	int rank = x->rank ? x->rank : 1;
	int64_t dims[2] = {x->rank, count};
	int64_t *out = eval_output(c, 0, IR_INT64, 2, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t pos[EVAL_MAX_RANK] = {0}, k = 0;
	for (int64_t i = 0; i < x->numel; i++) {
		if (v[i] != 0) {
			for (int d = 0; d < x->rank; d++)
				out[d * count + k] = pos[d];
			k++;
		}
		for (int d = x->rank - 1; d >= 0; d--) {
			if (++pos[d] < x->dims[d])
				break;
			pos[d] = 0;
		}
	}
	(void)rank;
	return EVAL_OK;
}

/* ------------------------------------------------------ ReverseSequence */

int eval_reverse_sequence(eval_call *c)
{
	if (!eval_has_input(c, 0) || c->in[0].rank < 2)
		return eval_error(c, "needs an input of rank >= 2");
	const eval_tensor *x = &c->in[0];
	const int64_t *lens;
	int64_t n;
	if (!eval_input_ints(c, 1, &lens, &n))
		return EVAL_ERROR;
	int time_axis, batch_axis;
	if (!eval_axis(c, eval_attr_int(c, "time_axis", 0), x->rank,
	               &time_axis) ||
	    !eval_axis(c, eval_attr_int(c, "batch_axis", 1), x->rank,
	               &batch_axis))
		return EVAL_ERROR;
	if (time_axis == batch_axis || n != x->dims[batch_axis])
		return eval_error(c, "has inconsistent axes or lengths");
	for (int64_t b = 0; b < n; b++)
		if (lens[b] < 0 || lens[b] > x->dims[time_axis])
			return eval_error(c, "sequence length out of range");
	char *out = eval_output_like(c, 0, x, x->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t strides[EVAL_MAX_RANK], pos[EVAL_MAX_RANK] = {0};
	eval_strides(x->dims, x->rank, strides);
	size_t es = x->elem_size;
	for (int64_t i = 0; i < x->numel; i++) {
		int64_t t = pos[time_axis], len = lens[pos[batch_axis]];
		int64_t src = i;
		if (t < len)
			src = i + (len - 1 - 2 * t) * strides[time_axis];
		memcpy(out + (size_t)i * es,
		       (const char *)x->data + (size_t)src * es, es);
		for (int d = x->rank - 1; d >= 0; d--) {
			if (++pos[d] < x->dims[d])
				break;
			pos[d] = 0;
		}
	}
	return EVAL_OK;
}

/* ------------------------------------------ DepthToSpace, SpaceToDepth */

/* Both are a reshape to 6-D, a transpose and a reshape back; `to_space`
 * picks the direction, crd the DepthToSpace channel order. */
static int block_rearrange(eval_call *c, bool to_space)
{
	if (!eval_has_input(c, 0) || c->in[0].rank != 4)
		return eval_error(c, "needs a 4-D input");
	const eval_tensor *x = &c->in[0];
	int64_t b = eval_attr_int(c, "blocksize", 0);
	if (b <= 0)
		return eval_error(c, "blocksize must be positive");
	const char *mode = eval_attr_string(c, "mode", "DCR");
	bool crd = to_space && !strcmp(mode, "CRD");
	if (to_space && !crd && strcmp(mode, "DCR"))
		return eval_unsupported(c, "mode '%s'", mode);
	int64_t n = x->dims[0], ch = x->dims[1], h = x->dims[2], w = x->dims[3];
	int64_t dims[4], bb;
	/* untrusted attribute: the block products could overflow */
	if (__builtin_mul_overflow(b, b, &bb))
		return eval_unsupported(c, "blocksize %lld", (long long)b);
	if (to_space) {
		if (ch % bb)
			return eval_error(c, "channels not divisible");
		dims[0] = n;
		dims[1] = ch / bb;
		if (__builtin_mul_overflow(h, b, &dims[2]) ||
		    __builtin_mul_overflow(w, b, &dims[3]))
			return eval_unsupported(c, "blocksize %lld",
			                        (long long)b);
	} else {
		if (h % b || w % b)
			return eval_error(c, "spatial dims not divisible");
		dims[0] = n;
		if (__builtin_mul_overflow(ch, bb, &dims[1]))
			return eval_unsupported(c, "blocksize %lld",
			                        (long long)b);
		dims[2] = h / b;
		dims[3] = w / b;
	}
	char *out = eval_output(c, 0, x->elem_type, 4, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	size_t es = x->elem_size;
	/* Walk the space-side tensor [n, C, H*b, W*b] and find the depth-side
	 * element [n, C*b*b, H, W] it pairs with. */
	int64_t sc = to_space ? dims[1] : ch, sh = to_space ? h : dims[2];
	int64_t sw = to_space ? w : dims[3];
	int64_t depth_c = sc * b * b;
	for (int64_t in = 0; in < n; in++)
		for (int64_t cc = 0; cc < sc; cc++)
			for (int64_t y = 0; y < sh * b; y++)
				for (int64_t xx = 0; xx < sw * b; xx++) {
					int64_t by = y % b, bx = xx % b;
					int64_t d =
					    crd ? (cc * b + by) * b + bx
					        : (by * b + bx) * sc + cc;
					int64_t space =
					    ((in * sc + cc) * sh * b + y) * sw *
					        b +
					    xx;
					int64_t depth =
					    ((in * depth_c + d) * sh + y / b) *
					        sw +
					    xx / b;
					int64_t from = to_space ? depth : space;
					int64_t to = to_space ? space : depth;
					memcpy(out + (size_t)to * es,
					       (const char *)x->data +
					           (size_t)from * es,
					       es);
				}
	return EVAL_OK;
}

int eval_depth_to_space(eval_call *c)
{
	return block_rearrange(c, true);
}

int eval_space_to_depth(eval_call *c)
{
	return block_rearrange(c, false);
}
