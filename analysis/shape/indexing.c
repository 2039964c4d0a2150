/*
 * indexing.c - inference for ops that select, split or join parts of
 * tensors: Gather, GatherElements, GatherND, Slice, Split, Concat, Pad,
 * Compress, OneHot, NonZero, Unique, CenterCropPad.
 *
 * Slice on a symbolic dim is only resolved when the answer does not
 * depend on the dim's value at run time (the whole axis), or when the
 * clamp can be written exactly: a step-1 slice whose bounds are sizes
 * with end >= start has length min(end, dim) - min(start, dim) (so
 * position_ids[:, :seq] of a 512 buffer is min(seq,512)). Any other clamp
 * could be wrong for some sizes, so that dim stays unknown.
 */
#include <string.h>

#include "infer.h"

void shape_infer_gather(infer_ctx *ctx)
{
	shape_type data, indices, out;
	if (!infer_input(ctx, 0, &data) || !infer_input(ctx, 1, &indices))
		return;
	shape_type_unknown(&out, data.elem);
	int axis;
	if (data.rank >= 0 && indices.rank >= 0 &&
	    data.rank - 1 + indices.rank <= SHAPE_MAX_RANK &&
	    shape_axis(infer_attr_int(ctx, "axis", 0), data.rank, &axis)) {
		out.rank = 0;
		for (int i = 0; i < axis; i++)
			out.dims[out.rank++] = data.dims[i];
		for (int i = 0; i < indices.rank; i++)
			out.dims[out.rank++] = indices.dims[i];
		for (int i = axis + 1; i < data.rank; i++)
			out.dims[out.rank++] = data.dims[i];
	}
	infer_output(ctx, 0, &out);
}

void shape_infer_gather_elements(infer_ctx *ctx)
{
	shape_type data, indices;
	if (!infer_input(ctx, 0, &data) || !infer_input(ctx, 1, &indices))
		return;
	indices.elem = data.elem;
	infer_output(ctx, 0, &indices);
}

void shape_infer_gather_nd(infer_ctx *ctx)
{
	shape_type data, indices, out;
	if (!infer_input(ctx, 0, &data) || !infer_input(ctx, 1, &indices))
		return;
	shape_type_unknown(&out, data.elem);
	int64_t batch = infer_attr_int(ctx, "batch_dims", 0), k;
	if (data.rank >= 0 && indices.rank >= 1 &&
	    dim_is_const(&indices.dims[indices.rank - 1], &k) && batch >= 0 &&
	    k >= 0 && batch <= data.rank && k <= data.rank - batch &&
	    indices.rank - 1 + (data.rank - batch - k) <= SHAPE_MAX_RANK) {
		out.rank = 0;
		for (int i = 0; i < indices.rank - 1; i++)
			out.dims[out.rank++] = indices.dims[i];
		for (int64_t i = batch + k; i < data.rank; i++)
			out.dims[out.rank++] = data.dims[i];
	}
	infer_output(ctx, 0, &out);
}

/* --------------------------------------------------------------- Slice */

/* Huge ends mean "to the end of the axis" in exported models. */
#define SLICE_UNBOUNDED ((int64_t)0x7fffffff)

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static dim_expr slice_length(const dim_expr *dim, int64_t start, int64_t end,
                             int64_t step)
{
	int64_t d;
	if (!dim_is_const(dim, &d)) {
		bool whole = step == 1 && start == 0 && end >= SLICE_UNBOUNDED;
		bool whole_reversed = step == -1 && start >= SLICE_UNBOUNDED &&
		                      end <= -SLICE_UNBOUNDED;
		return whole || whole_reversed ? *dim : dim_unknown();
	}
	if (d <= 0) /* empty whatever the step: the clamps below need d >= 1 */
		return dim_const(0);
	if (start < 0)
		start += d;
	if (end < 0)
		end += d;
	int64_t span;
	if (step > 0) {
		start = clamp64(start, 0, d);
		end = clamp64(end, 0, d);
		span = end - start;
	} else {
		start = clamp64(start, 0, d - 1);
		end = clamp64(end, -1, d - 1);
		span = start - end;
	}
	/* ceil(span / |step|) as (span - 1) / |step| + 1: adding the step
	 * to the span first overflows for steps near INT64_MAX, and -step
	 * for INT64_MIN (steps are untrusted; the callers refuse 0). */
	uint64_t magnitude = step > 0 ? (uint64_t)step : 0 - (uint64_t)step;
	int64_t n = span > 0 ? (int64_t)((uint64_t)(span - 1) / magnitude) + 1 : 0;
	return dim_const(n);
}

/* The length of a step-1 slice [start, end) of `dim` where the bounds are
 * sizes (never negative) known as expressions: min(end, dim) -
 * min(start, dim), when end >= start is provable (else the clamp to 0
 * could apply). Ends at or past SLICE_UNBOUNDED mean the whole axis. */
static dim_expr slice_length_symbolic(ir_model *model, const dim_expr *dim,
                                      const dim_expr *start,
                                      const dim_expr *end)
{
	int64_t e;
	dim_expr stop = *end;
	if (dim_is_const(end, &e) && e >= SLICE_UNBOUNDED)
		stop = *dim;
	dim_expr span = dim_sub(&stop, start);
	if (!dim_is_nonnegative(start) || !dim_is_nonnegative(&stop) ||
	    !dim_is_nonnegative(&span))
		return dim_unknown();
	dim_expr hi = dim_min(model, &stop, dim);
	dim_expr lo = dim_min(model, start, dim);
	return dim_sub(&hi, &lo);
}

/* Slice with starts/ends that are symbolic shape values (x[:, :seq]) and
 * constant (or absent) axes and steps; false when it does not apply. */
static bool infer_slice_symbolic(infer_ctx *ctx, shape_type *in)
{
	const shape_value *starts = infer_input_value(ctx, 1);
	const shape_value *ends = infer_input_value(ctx, 2);
	int64_t axes[SHAPE_MAX_RANK], steps[SHAPE_MAX_RANK];
	int na = -1, nst = -1;
	if (!starts || !ends || starts->n != ends->n || starts->n > in->rank ||
	    (infer_input_present(ctx, 3) &&
	     !infer_input_ints(ctx, 3, axes, SHAPE_MAX_RANK, &na)) ||
	    (infer_input_present(ctx, 4) &&
	     !infer_input_ints(ctx, 4, steps, SHAPE_MAX_RANK, &nst)) ||
	    (na >= 0 && na != starts->n) || (nst >= 0 && nst != starts->n))
		return false;
	bool seen[SHAPE_MAX_RANK] = {false};
	shape_type out = *in;
	for (int i = 0; i < starts->n; i++) {
		int axis;
		int64_t step = nst >= 0 ? steps[i] : 1;
		if (!shape_axis(na >= 0 ? axes[i] : i, in->rank, &axis) ||
		    seen[axis] || step == 0)
			return false;
		seen[axis] = true;
		int64_t s, e;
		if (dim_is_const(&starts->elems[i], &s) &&
		    dim_is_const(&ends->elems[i], &e))
			out.dims[axis] =
			    slice_length(&in->dims[axis], s, e, step);
		else if (step == 1)
			out.dims[axis] = slice_length_symbolic(
			    ctx->analysis->model, &in->dims[axis],
			    &starts->elems[i], &ends->elems[i]);
		else
			out.dims[axis] = dim_unknown();
	}
	*in = out;
	return true;
}

void shape_infer_slice(infer_ctx *ctx)
{
	shape_type in;
	if (!infer_input(ctx, 0, &in))
		return;
	if (in.rank < 0) {
		infer_output(ctx, 0, &in);
		return;
	}
	int64_t starts[SHAPE_MAX_RANK], ends[SHAPE_MAX_RANK];
	int64_t axes[SHAPE_MAX_RANK], steps[SHAPE_MAX_RANK];
	int ns = -1, ne = -1, na = -1, nst = -1;
	bool known = true;
	if (op_attribute_input("Slice", "starts", ctx->opset) < 0) {
		ns = infer_attr_ints(ctx, "starts", starts, SHAPE_MAX_RANK);
		ne = infer_attr_ints(ctx, "ends", ends, SHAPE_MAX_RANK);
		na = infer_attr_ints(ctx, "axes", axes, SHAPE_MAX_RANK);
		known = ns >= 0 && ne >= 0;
	} else {
		known = infer_input_ints(ctx, 1, starts, SHAPE_MAX_RANK, &ns) &&
		        infer_input_ints(ctx, 2, ends, SHAPE_MAX_RANK, &ne);
		if (infer_input_present(ctx, 3) &&
		    !infer_input_ints(ctx, 3, axes, SHAPE_MAX_RANK, &na))
			known = false, na = -2;
		if (infer_input_present(ctx, 4) &&
		    !infer_input_ints(ctx, 4, steps, SHAPE_MAX_RANK, &nst))
			known = false;
	}
	if (!known && op_attribute_input("Slice", "starts", ctx->opset) >= 0 &&
	    infer_slice_symbolic(ctx, &in)) {
		infer_output(ctx, 0, &in);
		return;
	}
	if (!known) {
		/* Only the sliced axes change; without constant axes any
		 * axis may. */
		bool sliced[SHAPE_MAX_RANK] = {false};
		for (int i = 0; i < in.rank; i++)
			sliced[i] = na < 0;
		for (int i = 0; i < na; i++) {
			int axis;
			if (shape_axis(axes[i], in.rank, &axis))
				sliced[axis] = true;
		}
		for (int i = 0; i < in.rank; i++)
			if (sliced[i])
				in.dims[i] = dim_unknown();
		infer_output(ctx, 0, &in);
		return;
	}
	if (ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
		return;
	bool seen[SHAPE_MAX_RANK] = {false};
	for (int i = 0; i < ns; i++) {
		int axis;
		int64_t step = nst >= 0 ? steps[i] : 1;
		if (!shape_axis(na >= 0 ? axes[i] : i, in.rank, &axis) ||
		    seen[axis] || step == 0)
			return;
		seen[axis] = true;
		in.dims[axis] =
		    slice_length(&in.dims[axis], starts[i], ends[i], step);
	}
	infer_output(ctx, 0, &in);
}

/* --------------------------------------------------------------- Split */

void shape_infer_split(infer_ctx *ctx)
{
	shape_type in;
	if (!infer_input(ctx, 0, &in))
		return;
	int n_out = infer_output_count(ctx);
	int axis;
	if (in.rank < 0 ||
	    !shape_axis(infer_attr_int(ctx, "axis", 0), in.rank, &axis)) {
		for (int i = 0; i < n_out; i++)
			infer_output_elem(ctx, i, in.elem);
		return;
	}
	int64_t sizes[64];
	int n_sizes = -1;
	bool sizes_given = false;
	if (op_attribute_input("Split", "split", ctx->opset) < 0) {
		n_sizes = infer_attr_ints(ctx, "split", sizes, 64);
		sizes_given = infer_has_attr(ctx, "split");
	} else if (infer_input_present(ctx, 1)) {
		sizes_given = true;
		if (!infer_input_ints(ctx, 1, sizes, 64, &n_sizes))
			n_sizes = -1;
	}
	dim_expr whole = in.dims[axis];
	for (int i = 0; i < n_out; i++) {
		shape_type out = in;
		dim_expr *d = &out.dims[axis];
		if (sizes_given) {
			*d = n_sizes == n_out ? dim_const(sizes[i])
			                      : dim_unknown();
		} else if (ctx->opset < 18) {
			/* Equal parts; the spec requires an exact split. */
			*d = dim_floordiv(&whole, n_out);
		} else {
			/* Opset 18: parts of ceil(d/n), the last one shorter.
			 */
			int64_t total;
			dim_expr part = dim_ceildiv(&whole, n_out);
			int64_t chunk;
			if (i < n_out - 1)
				*d = part;
			else if (dim_is_const(&whole, &total) &&
			         dim_is_const(&part, &chunk))
				*d = dim_const(total - chunk * (n_out - 1));
			else
				*d = dim_unknown();
		}
		infer_output(ctx, i, &out);
	}
}

/* -------------------------------------------------------------- Concat */

void shape_infer_concat(infer_ctx *ctx)
{
	shape_type out;
	shape_type_unknown(&out, IR_UNDEFINED);
	int rank = -1;
	for (int i = 0; i < ctx->node->n_inputs; i++) {
		shape_type t;
		if (!infer_input(ctx, i, &t))
			return;
		if (out.elem == IR_UNDEFINED)
			out.elem = t.elem;
		if (t.rank >= 0) {
			if (rank >= 0 && rank != t.rank)
				return;
			rank = t.rank;
		}
	}
	int axis;
	if (rank < 0 ||
	    !shape_axis(infer_attr_int(ctx, "axis", 0), rank, &axis)) {
		infer_output(ctx, 0, &out);
		return;
	}
	out.rank = rank;
	for (int k = 0; k < rank; k++)
		out.dims[k] = k == axis ? dim_const(0) : dim_unknown();
	for (int i = 0; i < ctx->node->n_inputs; i++) {
		shape_type t;
		infer_input(ctx, i, &t);
		for (int k = 0; k < rank; k++) {
			const dim_expr *d = t.rank >= 0 ? &t.dims[k] : NULL;
			if (k == axis) {
				out.dims[k] = d ? dim_add(&out.dims[k], d)
				                : dim_unknown();
				continue;
			}
			/* Every input has the same size here at run time, so
			 * any input's dim is right; a static one is best, and
			 * two different static ones make the node invalid. */
			int64_t c, was;
			bool is_static = d && dim_is_const(d, &c);
			if (is_static && dim_is_const(&out.dims[k], &was) &&
			    was != c)
				return;
			if (d && d->known && (!out.dims[k].known || is_static))
				out.dims[k] = *d;
		}
	}
	infer_output(ctx, 0, &out);
}

/* ----------------------------------------------------------------- Pad */

void shape_infer_pad(infer_ctx *ctx)
{
	shape_type in;
	if (!infer_input(ctx, 0, &in))
		return;
	if (in.rank < 0) {
		infer_output(ctx, 0, &in);
		return;
	}
	int64_t pads[2 * SHAPE_MAX_RANK], axes[SHAPE_MAX_RANK];
	int n_pads = -1, n_axes = in.rank;
	for (int i = 0; i < in.rank; i++)
		axes[i] = i;
	bool axes_known = true;
	if (op_attribute_input("Pad", "pads", ctx->opset) < 0) {
		n_pads = infer_attr_ints(ctx, "pads", pads, 2 * SHAPE_MAX_RANK);
	} else {
		if (!infer_input_ints(ctx, 1, pads, 2 * SHAPE_MAX_RANK,
		                      &n_pads))
			n_pads = -1;
		if (ctx->opset >= 18 && infer_input_present(ctx, 3) &&
		    !infer_input_ints(ctx, 3, axes, SHAPE_MAX_RANK, &n_axes))
			axes_known = false;
	}
	if (!axes_known) {
		shape_type_rank(&in, in.elem, in.rank);
		infer_output(ctx, 0, &in);
		return;
	}
	bool padded[SHAPE_MAX_RANK] = {false};
	int axis_of[SHAPE_MAX_RANK];
	for (int i = 0; i < n_axes; i++) {
		if (!shape_axis(axes[i], in.rank, &axis_of[i]))
			return;
		padded[axis_of[i]] = true;
	}
	if (n_pads < 0) {
		for (int i = 0; i < in.rank; i++)
			if (padded[i])
				in.dims[i] = dim_unknown();
		infer_output(ctx, 0, &in);
		return;
	}
	if (n_pads != 2 * n_axes)
		return;
	for (int i = 0; i < n_axes; i++) {
		/* Pads are model data: absurd ones leave the dim unknown. */
		int64_t total;
		if (__builtin_add_overflow(pads[i], pads[i + n_axes], &total)) {
			in.dims[axis_of[i]] = dim_unknown();
			continue;
		}
		dim_expr grow = dim_const(total);
		dim_expr *d = &in.dims[axis_of[i]];
		*d = dim_add(d, &grow);
	}
	infer_output(ctx, 0, &in);
}

/* ------------------------------------------------ data-dependent sizes */

/* Whether element i of a constant tensor is nonzero (negative zero is
 * zero). */
static bool element_nonzero(const uint8_t *p, int elem_type, size_t bytes,
                            int64_t i)
{
	const uint8_t *e = p + (size_t)i * bytes;
	uint64_t bits = 0;
	memcpy(&bits, e, bytes);
	switch (elem_type) {
	case IR_FLOAT: bits &= 0x7fffffffu; break;
	case IR_DOUBLE: bits &= 0x7fffffffffffffffull; break;
	case IR_FLOAT16:
	case IR_BFLOAT16: bits &= 0x7fffu; break;
	}
	return bits != 0;
}

/* Nonzero elements among the first `limit` of a constant input, or -1. */
static int64_t count_nonzero(const infer_ctx *ctx, int index, int64_t limit)
{
	const ir_tensor *t = infer_input_tensor(ctx, index);
	const void *data;
	size_t size;
	int bits = t ? ir_elem_bits(t->elem_type) : 0;
	if (!t || bits < 8 || bits > 64 || t->elem_type == IR_COMPLEX64 ||
	    !ir_tensor_raw(ctx->analysis->model, t, &data, &size))
		return -1;
	int64_t numel = ir_tensor_numel(t), count = 0;
	if (limit >= 0 && limit < numel)
		numel = limit;
	for (int64_t i = 0; i < numel; i++)
		count +=
		    element_nonzero(data, t->elem_type, (size_t)bits / 8, i);
	return count;
}

void shape_infer_compress(infer_ctx *ctx)
{
	shape_type in, out;
	if (!infer_input(ctx, 0, &in))
		return;
	shape_type_unknown(&out, in.elem);
	int axis = -1;
	if (infer_has_attr(ctx, "axis")) {
		if (in.rank < 0 || !shape_axis(infer_attr_int(ctx, "axis", 0),
		                               in.rank, &axis)) {
			infer_output(ctx, 0, &out);
			return;
		}
		out = in;
	} else {
		shape_type_rank(&out, in.elem, 1);
	}
	dim_expr extent = axis >= 0 ? in.dims[axis] : shape_type_numel(&in);
	int64_t limit;
	if (!dim_is_const(&extent, &limit))
		limit = -1;
	int64_t kept = count_nonzero(ctx, 1, limit);
	out.dims[axis >= 0 ? axis : 0] =
	    kept >= 0 ? dim_const(kept) : dim_unknown();
	infer_output(ctx, 0, &out);
}

void shape_infer_non_zero(infer_ctx *ctx)
{
	shape_type in, out;
	if (!infer_input(ctx, 0, &in))
		return;
	shape_type_rank(&out, IR_INT64, 2);
	if (in.rank >= 0)
		out.dims[0] = dim_const(in.rank);
	int64_t count = count_nonzero(ctx, 0, -1);
	if (count >= 0)
		out.dims[1] = dim_const(count);
	infer_output(ctx, 0, &out);
}

void shape_infer_one_hot(infer_ctx *ctx)
{
	shape_type indices, out;
	if (!infer_input(ctx, 0, &indices))
		return;
	shape_type_unknown(&out, infer_input_elem(ctx, 2));
	int axis;
	if (indices.rank >= 0 && indices.rank < SHAPE_MAX_RANK &&
	    shape_axis(infer_attr_int(ctx, "axis", -1), indices.rank + 1,
	               &axis)) {
		dim_expr depth = dim_unknown();
		const shape_value *sv = infer_input_value(ctx, 1);
		double d;
		int n;
		if (sv && sv->n == 1)
			depth = sv->elems[0];
		else if (infer_input_doubles(ctx, 1, &d, 1, &n) && n == 1 &&
		         d >= 0 && d < 9e18)
			depth = dim_const((int64_t)d);
		out.rank = indices.rank + 1;
		for (int i = 0, k = 0; i < out.rank; i++)
			out.dims[i] = i == axis ? depth : indices.dims[k++];
	}
	infer_output(ctx, 0, &out);
}

void shape_infer_unique(infer_ctx *ctx)
{
	shape_type in, y, list;
	if (!infer_input(ctx, 0, &in))
		return;
	shape_type_rank(&list, IR_INT64, 1);
	shape_type_rank(&y, in.elem, 1);
	dim_expr inverse_length = shape_type_numel(&in);
	if (infer_has_attr(ctx, "axis")) {
		int axis;
		if (in.rank < 0 || !shape_axis(infer_attr_int(ctx, "axis", 0),
		                               in.rank, &axis)) {
			shape_type_unknown(&y, in.elem);
			inverse_length = dim_unknown();
		} else {
			y = in;
			y.dims[axis] = dim_unknown();
			inverse_length = in.dims[axis];
		}
	}
	infer_output(ctx, 0, &y);
	infer_output(ctx, 1, &list);
	shape_type inverse = list;
	inverse.dims[0] = inverse_length;
	infer_output(ctx, 2, &inverse);
	infer_output(ctx, 3, &list);
}

void shape_infer_center_crop_pad(infer_ctx *ctx)
{
	shape_type in;
	if (!infer_input(ctx, 0, &in))
		return;
	if (in.rank < 0) {
		infer_output(ctx, 0, &in);
		return;
	}
	int64_t axes[SHAPE_MAX_RANK];
	int n_axes = infer_attr_ints(ctx, "axes", axes, SHAPE_MAX_RANK);
	if (n_axes < 0) {
		n_axes = in.rank;
		for (int i = 0; i < in.rank; i++)
			axes[i] = i;
	}
	const shape_value *sizes = infer_input_value(ctx, 1);
	for (int i = 0; i < n_axes; i++) {
		int axis;
		if (!shape_axis(axes[i], in.rank, &axis))
			return;
		in.dims[axis] = sizes && sizes->n == n_axes ? sizes->elems[i]
		                                            : dim_unknown();
	}
	infer_output(ctx, 0, &in);
}
