/*
 * region.c - ops that copy a region of their input, cut, repeated or
 * bordered: Slice, Expand, Tile, Pad.
 *
 * All four are one primitive, axis_gather: each output axis has a table
 * of input offsets (start + i*step for Slice, 0 for a broadcast axis,
 * (i mod d) for Tile, mirrored or clamped indices for Pad's border
 * modes), and the copy walks the output once with a tight loop over the
 * last axis. Elements move as bytes, so every type, strings included,
 * shares the code.
 */
#include <string.h>

#include "eval.h"
#include "ops.h"

/* dst (a box of `dims` inside an array with strides dst_strides) gets
 * src[base + sum_k maps[k][i_k]]. */
static void axis_gather(void *dst, const int64_t *dst_strides, const void *src,
                        size_t elem_size, int rank, const int64_t *dims,
                        int64_t *const *maps)
{
	int64_t total = eval_numel(dims, rank);
	if (total == 0)
		return;
	if (rank == 0) {
		memcpy(dst, src, elem_size);
		return;
	}
	int64_t index[EVAL_MAX_RANK] = {0};
	int64_t in_base = 0, out_base = 0;
	for (int i = 0; i < rank - 1; i++)
		in_base += maps[i][0];
	int last = rank - 1;
	int64_t inner = dims[last];
	const int64_t *map = maps[last];
	int64_t out_step = dst_strides[last];
	for (int64_t done = 0; done < total; done += inner) {
		switch (elem_size) {
#define ROW(T)                                                                 \
	{                                                                      \
		T *d = (T *)dst + out_base;                                    \
		const T *s = (const T *)src + in_base;                         \
		for (int64_t j = 0; j < inner; j++)                            \
			d[j * out_step] = s[map[j]];                           \
		break;                                                         \
	}
		case 1: ROW(uint8_t)
		case 2: ROW(uint16_t)
		case 4: ROW(uint32_t)
		case 8: ROW(uint64_t)
		default: ROW(ProtobufCBinaryData)
#undef ROW
		}
		for (int i = last - 1; i >= 0; i--) {
			in_base -= maps[i][index[i]];
			out_base -= dst_strides[i] * index[i];
			if (++index[i] < dims[i]) {
				in_base += maps[i][index[i]];
				out_base += dst_strides[i] * index[i];
				break;
			}
			index[i] = 0;
			in_base += maps[i][0];
		}
	}
}

/* Offsets start*stride, (start+step)*stride, ... for one axis. */
static int64_t *linear_map(eval_call *c, int64_t n, int64_t start, int64_t step,
                           int64_t stride)
{
	int64_t *m = eval_alloc(c, sizeof *m * (size_t)n);
	for (int64_t i = 0; i < n; i++)
		m[i] = (start + i * step) * stride;
	return m;
}

static bool need_input(eval_call *c, int index)
{
	if (eval_has_input(c, index))
		return true;
	eval_error(c, "input %d is absent", index);
	return false;
}

/* ----------------------------------------------- Slice, Expand, Tile */

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

int eval_slice(eval_call *c)
{
	if (!need_input(c, 0))
		return EVAL_ERROR;
	const eval_tensor *t = &c->in[0];
	int rank = t->rank;
	const int64_t *starts, *ends, *axes = NULL, *steps = NULL;
	int64_t n, n_ends, n_axes = -1, n_steps = -1;
	if (op_attribute_input("Slice", "starts", c->opset) < 0) {
		n = eval_attr_ints(c, "starts", &starts);
		n_ends = eval_attr_ints(c, "ends", &ends);
		n_axes = eval_attr_ints(c, "axes", &axes);
	} else {
		if (!eval_input_ints(c, 1, &starts, &n) ||
		    !eval_input_ints(c, 2, &ends, &n_ends))
			return EVAL_ERROR;
		if (eval_has_input(c, 3) &&
		    !eval_input_ints(c, 3, &axes, &n_axes))
			return EVAL_ERROR;
		if (eval_has_input(c, 4) &&
		    !eval_input_ints(c, 4, &steps, &n_steps))
			return EVAL_ERROR;
	}
	if (n < 0 || n != n_ends || (n_axes >= 0 && n_axes != n) ||
	    (n_steps >= 0 && n_steps != n))
		return eval_error(c, "has mismatched starts/ends/axes/steps");
	int64_t start[EVAL_MAX_RANK], step[EVAL_MAX_RANK], dims[EVAL_MAX_RANK];
	bool seen[EVAL_MAX_RANK] = {false};
	for (int i = 0; i < rank; i++) {
		start[i] = 0;
		step[i] = 1;
		dims[i] = t->dims[i];
	}
	for (int64_t k = 0; k < n; k++) {
		int a;
		if (!eval_axis(c, axes ? axes[k] : k, rank, &a))
			return EVAL_ERROR;
		if (seen[a])
			return eval_error(c, "repeats axis %d", a);
		seen[a] = true;
		int64_t d = t->dims[a], s = starts[k], e = ends[k];
		int64_t st = steps ? steps[k] : 1;
		if (st == 0)
			return eval_error(c, "has step 0");
		if (s < 0)
			s += d;
		if (e < 0 && e > INT64_MIN / 2)
			e += d;
		/* Positive steps clamp into [0, d], negative into
		 * [-1, d-1]: the spec's rule. */
		if (st > 0) {
			s = clamp(s, 0, d);
			e = clamp(e, 0, d);
		} else {
			s = clamp(s, 0, d - 1);
			e = clamp(e, -1, d - 1);
		}
		if (st == INT64_MIN)
			return eval_unsupported(c, "with step INT64_MIN");
		int64_t len = st > 0 ? (e > s ? 1 + (e - s - 1) / st : 0)
		                     : (s > e ? 1 + (s - e - 1) / -st : 0);
		if (d == 0)
			len = 0;
		start[a] = s;
		step[a] = st;
		dims[a] = len > 0 ? len : 0;
	}
	void *out = eval_output_filled(c, 0, t->elem_type, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	if (eval_numel(dims, rank) == 0)
		return EVAL_OK; /* empty: no maps sized by huge dims */
	int64_t in_strides[EVAL_MAX_RANK], out_strides[EVAL_MAX_RANK];
	int64_t *maps[EVAL_MAX_RANK];
	eval_strides(t->dims, rank, in_strides);
	eval_strides(dims, rank, out_strides);
	for (int i = 0; i < rank; i++)
		maps[i] =
		    linear_map(c, dims[i], start[i], step[i], in_strides[i]);
	axis_gather(out, out_strides, t->data, t->elem_size, rank, dims, maps);
	return EVAL_OK;
}

int eval_expand(eval_call *c)
{
	if (!need_input(c, 0))
		return EVAL_ERROR;
	const eval_tensor *t = &c->in[0];
	const int64_t *shape;
	int64_t n;
	if (!eval_input_ints(c, 1, &shape, &n))
		return EVAL_ERROR;
	if (n > EVAL_MAX_RANK)
		return eval_unsupported(c, "to rank %lld", (long long)n);
	eval_tensor target = {.present = true, .rank = (int)n};
	for (int i = 0; i < n; i++) {
		if (shape[i] < 0)
			return eval_error(c, "to a negative dim");
		target.dims[i] = shape[i];
	}
	const eval_tensor *both[2] = {t, &target};
	int rank;
	int64_t dims[EVAL_MAX_RANK];
	if (!eval_broadcast_shape(c, both, 2, &rank, dims))
		return EVAL_ERROR;
	void *out = eval_output_filled(c, 0, t->elem_type, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	if (eval_numel(dims, rank) == 0)
		return EVAL_OK; /* empty: no maps sized by huge dims */
	int64_t in_strides[EVAL_MAX_RANK], out_strides[EVAL_MAX_RANK];
	int64_t *maps[EVAL_MAX_RANK];
	eval_strides(t->dims, t->rank, in_strides);
	eval_strides(dims, rank, out_strides);
	for (int i = 0; i < rank; i++) {
		int j = i - (rank - t->rank);
		bool spread = j < 0 || t->dims[j] == 1;
		maps[i] = linear_map(c, dims[i], 0, spread ? 0 : 1,
		                     spread ? 0 : in_strides[j]);
	}
	axis_gather(out, out_strides, t->data, t->elem_size, rank, dims, maps);
	return EVAL_OK;
}

int eval_tile(eval_call *c)
{
	if (!need_input(c, 0))
		return EVAL_ERROR;
	const eval_tensor *t = &c->in[0];
	const int64_t *repeats;
	int64_t n;
	if (!eval_input_ints(c, 1, &repeats, &n))
		return EVAL_ERROR;
	if (n != t->rank)
		return eval_error(c, "has %lld repeats for rank %d",
		                  (long long)n, t->rank);
	int64_t dims[EVAL_MAX_RANK], in_strides[EVAL_MAX_RANK];
	int64_t out_strides[EVAL_MAX_RANK], *maps[EVAL_MAX_RANK];
	for (int i = 0; i < t->rank; i++) {
		if (repeats[i] < 0)
			return eval_error(c, "has a negative repeat");
		/* untrusted repeats: eval_output checks the size only after */
		if (__builtin_mul_overflow(t->dims[i], repeats[i], &dims[i]))
			return eval_unsupported(c, "tiled dim %d overflows", i);
	}
	void *out = eval_output_filled(c, 0, t->elem_type, t->rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	if (eval_numel(dims, t->rank) == 0)
		return EVAL_OK; /* empty: no maps sized by huge dims */
	eval_strides(t->dims, t->rank, in_strides);
	eval_strides(dims, t->rank, out_strides);
	for (int i = 0; i < t->rank; i++) {
		maps[i] = eval_alloc(c, sizeof(int64_t) * (size_t)(dims[i]));
		for (int64_t j = 0; j < dims[i]; j++)
			maps[i][j] = (j % t->dims[i]) * in_strides[i];
	}
	axis_gather(out, out_strides, t->data, t->elem_size, t->rank, dims,
	            maps);
	return EVAL_OK;
}

/* ------------------------------------------------------------------ Pad */

/* Where output index i of an axis reads from, for the border modes; -1
 * (constant mode) means the pad value. */
static int64_t pad_source(int64_t i, int64_t before, int64_t d, int mode)
{
	int64_t j = i - before;
	if (j >= 0 && j < d)
		return j;
	switch (mode) {
	case 1: /* reflect: mirror without repeating the edge */
		if (d == 1)
			return 0;
		{
			int64_t period = 2 * (d - 1);
			j %= period;
			if (j < 0)
				j += period;
			return j < d ? j : period - j;
		}
	case 2: return j < 0 ? 0 : d - 1; /* edge */
	case 3: return ((j % d) + d) % d; /* wrap */
	default: return -1;
	}
}

int eval_pad(eval_call *c)
{
	if (!need_input(c, 0))
		return EVAL_ERROR;
	const eval_tensor *t = &c->in[0];
	int rank = t->rank;
	const char *mode_name = eval_attr_string(c, "mode", "constant");
	int mode = !strcmp(mode_name, "constant")                 ? 0
	           : !strcmp(mode_name, "reflect")                ? 1
	           : !strcmp(mode_name, "edge")                   ? 2
	           : !strcmp(mode_name, "wrap") && c->opset >= 19 ? 3
	                                                          : -1;
	if (mode < 0)
		return eval_unsupported(c, "mode '%s'", mode_name);
	const int64_t *pads, *axes = NULL;
	int64_t n_pads, n_axes = -1;
	double attr_value = 0;
	const void *value = NULL; /* one element of t's type */
	if (op_attribute_input("Pad", "pads", c->opset) < 0) {
		const char *name = c->opset < 2 ? "paddings" : "pads";
		n_pads = eval_attr_ints(c, name, &pads);
		attr_value = eval_attr_float(c, "value", 0.0f);
		if (eval_kind_of(t->elem_type) != EVAL_KIND_FLOAT)
			return eval_unsupported(c, "attribute value on %s",
			                        ir_elem_name(t->elem_type));
	} else {
		if (!eval_input_ints(c, 1, &pads, &n_pads))
			return EVAL_ERROR;
		if (eval_has_input(c, 2)) {
			if (c->in[2].elem_type != t->elem_type ||
			    c->in[2].numel != 1)
				return eval_error(c, "constant_value must be "
				                     "one element of the input "
				                     "type");
			value = c->in[2].data;
		}
		if (eval_has_input(c, 3) &&
		    !eval_input_ints(c, 3, &axes, &n_axes))
			return EVAL_ERROR;
	}
	int n_axes_used = n_axes >= 0 ? (int)n_axes : rank;
	if (n_pads != 2 * n_axes_used)
		return eval_error(c, "has %lld pads for %d axes",
		                  (long long)n_pads, n_axes_used);
	int64_t before[EVAL_MAX_RANK] = {0}, after[EVAL_MAX_RANK] = {0};
	for (int k = 0; k < n_axes_used; k++) {
		int a = k;
		if (axes && !eval_axis(c, axes[k], rank, &a))
			return EVAL_ERROR;
		before[a] = pads[k];
		after[a] = pads[k + n_axes_used];
	}
	int64_t dims[EVAL_MAX_RANK], in_strides[EVAL_MAX_RANK];
	int64_t out_strides[EVAL_MAX_RANK], *maps[EVAL_MAX_RANK];
	for (int i = 0; i < rank; i++) {
		/* untrusted pads: the sums could overflow */
		if (__builtin_add_overflow(t->dims[i], before[i], &dims[i]) ||
		    __builtin_add_overflow(dims[i], after[i], &dims[i]))
			return eval_unsupported(c, "pads overflow axis %d", i);
		if (dims[i] < 0)
			return eval_error(c, "crops axis %d below zero", i);
		/* so that output index i reads from i - before[i] without
		 * overflow */
		if (before[i] < dims[i] - INT64_MAX)
			return eval_unsupported(c, "pads overflow axis %d", i);
		if (mode && t->dims[i] == 0 && dims[i] > 0)
			return eval_error(c, "pads an empty axis by %s",
			                  mode_name);
		if (mode == 1 &&
		    (before[i] >= t->dims[i] || after[i] >= t->dims[i]))
			return eval_unsupported(c, "reflect pad wider than "
			                           "the axis");
	}
	char *out = eval_output_filled(c, 0, t->elem_type, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	size_t es = t->elem_size;
	int64_t numel = eval_numel(dims, rank);
	if (numel == 0)
		return EVAL_OK; /* empty: no maps sized by huge dims */
	if (mode == 0) {
		/* Fill with the pad value, then copy the kept box in. */
		void *fill = eval_alloc(c, es);
		if (value)
			memcpy(fill, value, es);
		else
			eval_store_doubles(fill, t->elem_type, &attr_value, 1);
		for (int64_t i = 0; i < numel; i++)
			memcpy(out + (size_t)i * es, fill, es);
	}
	eval_strides(t->dims, rank, in_strides);
	eval_strides(dims, rank, out_strides);
	int64_t box[EVAL_MAX_RANK], out_offset = 0;
	for (int i = 0; i < rank; i++) {
		int64_t first = 0, count = dims[i];
		if (mode == 0) {
			/* Output indices that read the input; first is
			 * clamped, as a huge before (leaving no box) would
			 * overflow first * out_strides[i]. */
			first = clamp(before[i], 0, dims[i]);
			int64_t last = before[i] + t->dims[i];
			if (last > dims[i])
				last = dims[i];
			count = last > first ? last - first : 0;
		}
		box[i] = count;
		out_offset += first * out_strides[i];
		maps[i] = eval_alloc(c, sizeof(int64_t) * (size_t)count);
		for (int64_t j = 0; j < count; j++)
			maps[i][j] =
			    pad_source(first + j, before[i], t->dims[i], mode) *
			    in_strides[i];
	}
	axis_gather(out + (size_t)out_offset * es, out_strides, t->data, es,
	            rank, box, maps);
	return EVAL_OK;
}

/* -------------------------------------------------------- CenterCropPad */

/* Crop each listed axis to its centred window (start rounded down) or pad
 * it with zeros around the input (the odd pixel on the right). */
int eval_center_crop_pad(eval_call *c)
{
	if (!need_input(c, 0))
		return EVAL_ERROR;
	const eval_tensor *t = &c->in[0];
	const int64_t *shape, *axes = NULL;
	int64_t n;
	if (!eval_input_ints(c, 1, &shape, &n))
		return EVAL_ERROR;
	int n_axes = eval_attr_ints(c, "axes", &axes);
	if ((n_axes >= 0 && n_axes != n) || (n_axes < 0 && n != t->rank))
		return eval_error(c, "shape has %lld entries for the axes",
		                  (long long)n);
	int64_t dims[EVAL_MAX_RANK], shift[EVAL_MAX_RANK] = {0};
	memcpy(dims, t->dims, sizeof dims);
	for (int64_t k = 0; k < n; k++) {
		int a = (int)k;
		if (axes && !eval_axis(c, axes[k], t->rank, &a))
			return EVAL_ERROR;
		if (shape[k] < 0)
			return eval_error(c, "negative target dim");
		dims[a] = shape[k];
		/* Output index i reads input index i + shift. */
		shift[a] = t->dims[a] >= shape[k]
		               ? (t->dims[a] - shape[k]) / 2
		               : -((shape[k] - t->dims[a]) / 2);
	}
	char *out = eval_output(c, 0, t->elem_type, t->rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t in_strides[EVAL_MAX_RANK], out_strides[EVAL_MAX_RANK];
	int64_t box[EVAL_MAX_RANK], *maps[EVAL_MAX_RANK], offset = 0;
	eval_strides(t->dims, t->rank, in_strides);
	eval_strides(dims, t->rank, out_strides);
	for (int i = 0; i < t->rank; i++) {
		/* Output indices whose source lies inside the input. */
		int64_t first = shift[i] < 0 ? -shift[i] : 0;
		int64_t last = t->dims[i] - shift[i];
		if (last > dims[i])
			last = dims[i];
		box[i] = last > first ? last - first : 0;
		offset += first * out_strides[i];
		maps[i] =
		    linear_map(c, box[i], first + shift[i], 1, in_strides[i]);
	}
	axis_gather(out + (size_t)offset * t->elem_size, out_strides, t->data,
	            t->elem_size, t->rank, box, maps);
	return EVAL_OK;
}
