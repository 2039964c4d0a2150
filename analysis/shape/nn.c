/*
 * nn.c - inference for convolutions, pooling and normalization: Conv,
 * ConvInteger, QLinearConv, DeformConv, ConvTranspose, AveragePool,
 * MaxPool, LpPool, the global pools, MaxRoiPool, RoiAlign, MaxUnpool,
 * Col2Im, BatchNormalization and LayerNormalization.
 *
 * Spatial sizes are computed symbolically where the formula allows it:
 * with explicit pads, out = floor((in + pads - dilated kernel) / stride)
 * + 1; with SAME_* auto padding, ceil(in / stride); with VALID, the
 * unpadded size. Pooling's ceil_mode may drop a last window that would
 * start inside the end padding; where that cannot be decided the dim
 * stays unknown.
 */
#include <string.h>

#include "infer.h"

typedef struct window {
	int n; /* spatial rank */
	int64_t kernel[SHAPE_MAX_RANK];
	int64_t strides[SHAPE_MAX_RANK];
	int64_t dilations[SHAPE_MAX_RANK];
	int64_t pads[2 * SHAPE_MAX_RANK];
	const char *auto_pad;
} window;

/* Read strides, dilations, pads and auto_pad for n spatial dims; false
 * when an attribute has the wrong length. */
static bool read_window(const infer_ctx *ctx, int n, window *w)
{
	w->n = n;
	for (int i = 0; i < n; i++) {
		w->strides[i] = 1;
		w->dilations[i] = 1;
		w->pads[i] = w->pads[i + n] = 0;
	}
	int k;
	if ((k = infer_attr_ints(ctx, "strides", w->strides, n)) >= 0 && k != n)
		return false;
	if ((k = infer_attr_ints(ctx, "dilations", w->dilations, n)) >= 0 &&
	    k != n)
		return false;
	if ((k = infer_attr_ints(ctx, "pads", w->pads, 2 * n)) >= 0 &&
	    k != 2 * n)
		return false;
	for (int i = 0; i < n; i++)
		if (w->strides[i] <= 0 || w->dilations[i] <= 0)
			return false;
	w->auto_pad = infer_attr_string(ctx, "auto_pad", "NOTSET");
	return true;
}

static bool is_same_padding(const window *w)
{
	return !strcmp(w->auto_pad, "SAME_UPPER") ||
	       !strcmp(w->auto_pad, "SAME_LOWER");
}

/* The extent (kernel - 1) * dilation + 1 of window dim i; false for a
 * kernel below 1 or an extent past int64 (attributes are untrusted). */
static bool window_extent(const window *w, int i, int64_t *extent)
{
	int64_t k = w->kernel[i];
	return k >= 1 &&
	       !__builtin_mul_overflow(k - 1, w->dilations[i], extent) &&
	       !__builtin_add_overflow(*extent, 1, extent);
}

/* a + b - c, false when it leaves int64. */
static bool add_sub(int64_t a, int64_t b, int64_t c, int64_t *out)
{
	return !__builtin_add_overflow(a, b, out) &&
	       !__builtin_sub_overflow(*out, c, out);
}

/* Output size of spatial dim i of a convolution or pool. */
static dim_expr window_output(const window *w, int i, const dim_expr *in,
                              bool ceil_mode)
{
	int64_t stride = w->strides[i];
	if (is_same_padding(w))
		return dim_ceildiv(in, stride);
	int64_t pad_begin = 0, pad_end = 0, extent, shift_by;
	if (strcmp(w->auto_pad, "VALID") != 0) {
		pad_begin = w->pads[i];
		pad_end = w->pads[i + w->n];
	}
	if (!window_extent(w, i, &extent) ||
	    !add_sub(pad_begin, pad_end, extent, &shift_by))
		return dim_unknown();
	dim_expr shift = dim_const(shift_by);
	dim_expr span = dim_add(in, &shift);
	dim_expr one = dim_const(1);
	if (!ceil_mode) {
		dim_expr q = dim_floordiv(&span, stride);
		return dim_add(&q, &one);
	}
	dim_expr q = dim_ceildiv(&span, stride);
	dim_expr out = dim_add(&q, &one);
	/* A window that would start in the end padding is dropped. */
	int64_t n, size, last_start, limit;
	if (dim_is_const(&out, &n) && dim_is_const(in, &size)) {
		if (__builtin_mul_overflow(n - 1, stride, &last_start) ||
		    __builtin_add_overflow(size, pad_begin, &limit))
			return dim_unknown();
		if (last_start >= limit)
			n--;
		return dim_const(n);
	}
	if (pad_begin == 0 && pad_end == 0 && extent >= stride)
		return out; /* the last window always starts inside */
	return dim_unknown();
}

void shape_infer_conv(infer_ctx *ctx)
{
	bool quantized = ir_node_is(ctx->node, "QLinearConv");
	int w_index = quantized ? 3 : 1;
	shape_type x, weight, out;
	if (!infer_input(ctx, 0, &x))
		return;
	int elem = x.elem;
	if (ir_node_is(ctx->node, "ConvInteger"))
		elem = IR_INT32;
	else if (quantized)
		elem = infer_input_elem(ctx, 7);
	shape_type_unknown(&out, elem);
	bool have_weight = infer_input(ctx, w_index, &weight);
	int rank = x.rank >= 0 ? x.rank : have_weight ? weight.rank : -1;
	if (rank < 3) {
		infer_output(ctx, 0, &out);
		return;
	}
	shape_type_rank(&out, elem, rank);
	int n = rank - 2;
	window w;
	if (!read_window(ctx, n, &w))
		return;
	int k = infer_attr_ints(ctx, "kernel_shape", w.kernel, n);
	bool kernel_known = k == n;
	if (k < 0 && have_weight && weight.rank == rank) {
		kernel_known = true;
		for (int i = 0; i < n; i++)
			if (!dim_is_const(&weight.dims[i + 2], &w.kernel[i]))
				kernel_known = false;
	}
	if (x.rank == rank)
		out.dims[0] = x.dims[0];
	if (have_weight && weight.rank == rank)
		out.dims[1] = weight.dims[0];
	for (int i = 0; kernel_known && x.rank == rank && i < n; i++)
		out.dims[i + 2] = window_output(&w, i, &x.dims[i + 2], false);
	infer_output(ctx, 0, &out);
}

void shape_infer_conv_transpose(infer_ctx *ctx)
{
	shape_type x, weight, out;
	if (!infer_input(ctx, 0, &x))
		return;
	bool have_weight = infer_input(ctx, 1, &weight);
	int rank = x.rank;
	if (rank < 3) {
		shape_type_unknown(&out, x.elem);
		infer_output(ctx, 0, &out);
		return;
	}
	shape_type_rank(&out, x.elem, rank);
	int n = rank - 2;
	window w;
	if (!read_window(ctx, n, &w))
		return;
	out.dims[0] = x.dims[0];
	int64_t group = infer_attr_int(ctx, "group", 1);
	if (have_weight && weight.rank == rank) {
		dim_expr g = dim_const(group);
		out.dims[1] = dim_mul(&weight.dims[1], &g);
	}
	int64_t output_shape[SHAPE_MAX_RANK], output_padding[SHAPE_MAX_RANK];
	int k = infer_attr_ints(ctx, "output_shape", output_shape, rank);
	if (k == n || k == rank) {
		for (int i = 0; i < n; i++)
			out.dims[i + 2] = dim_const(output_shape[k - n + i]);
		infer_output(ctx, 0, &out);
		return;
	}
	for (int i = 0; i < n; i++)
		output_padding[i] = 0;
	if (infer_attr_ints(ctx, "output_padding", output_padding, n) >= 0 &&
	    infer_attr_ints(ctx, "output_padding", output_padding, n) != n)
		return;
	bool kernel_known =
	    infer_attr_ints(ctx, "kernel_shape", w.kernel, n) == n;
	if (!kernel_known && have_weight && weight.rank == rank) {
		kernel_known = true;
		for (int i = 0; i < n; i++)
			if (!dim_is_const(&weight.dims[i + 2], &w.kernel[i]))
				kernel_known = false;
	}
	for (int i = 0; i < n; i++) {
		dim_expr stride = dim_const(w.strides[i]);
		if (is_same_padding(&w)) {
			out.dims[i + 2] = dim_mul(&x.dims[i + 2], &stride);
			continue;
		}
		if (!kernel_known)
			continue;
		bool valid = !strcmp(w.auto_pad, "VALID");
		int64_t pads = 0, extent, rest_by;
		if ((!valid && __builtin_add_overflow(w.pads[i], w.pads[i + n],
		                                      &pads)) ||
		    !window_extent(&w, i, &extent) ||
		    !add_sub(output_padding[i], extent, pads, &rest_by)) {
			out.dims[i + 2] = dim_unknown();
			continue;
		}
		dim_expr minus_one = dim_const(-1);
		dim_expr grown = dim_add(&x.dims[i + 2], &minus_one);
		grown = dim_mul(&grown, &stride);
		dim_expr rest = dim_const(rest_by);
		out.dims[i + 2] = dim_add(&grown, &rest);
	}
	infer_output(ctx, 0, &out);
}

void shape_infer_pool(infer_ctx *ctx)
{
	shape_type x, out;
	if (!infer_input(ctx, 0, &x))
		return;
	shape_type_unknown(&out, x.elem);
	if (x.rank < 3) {
		infer_output(ctx, 0, &out);
		if (ir_node_is(ctx->node, "MaxPool"))
			infer_output_elem(ctx, 1, IR_INT64);
		return;
	}
	int n = x.rank - 2;
	window w;
	if (!read_window(ctx, n, &w) ||
	    infer_attr_ints(ctx, "kernel_shape", w.kernel, n) != n)
		return;
	bool ceil_mode = infer_attr_int(ctx, "ceil_mode", 0) != 0;
	out = x;
	for (int i = 0; i < n; i++)
		out.dims[i + 2] =
		    window_output(&w, i, &x.dims[i + 2], ceil_mode);
	infer_output(ctx, 0, &out);
	out.elem = IR_INT64;
	infer_output(ctx, 1, &out);
}

void shape_infer_global_pool(infer_ctx *ctx)
{
	shape_type x;
	if (!infer_input(ctx, 0, &x))
		return;
	for (int i = 2; i < x.rank; i++)
		x.dims[i] = dim_const(1);
	infer_output(ctx, 0, &x);
}

void shape_infer_max_roi_pool(infer_ctx *ctx)
{
	shape_type x, rois, out;
	if (!infer_input(ctx, 0, &x) || !infer_input(ctx, 1, &rois))
		return;
	shape_type_rank(&out, x.elem, 4);
	int64_t pooled[2];
	if (infer_attr_ints(ctx, "pooled_shape", pooled, 2) == 2) {
		out.dims[2] = dim_const(pooled[0]);
		out.dims[3] = dim_const(pooled[1]);
	}
	if (rois.rank == 2)
		out.dims[0] = rois.dims[0];
	if (x.rank == 4)
		out.dims[1] = x.dims[1];
	infer_output(ctx, 0, &out);
}

void shape_infer_roi_align(infer_ctx *ctx)
{
	shape_type x, rois, out;
	if (!infer_input(ctx, 0, &x) || !infer_input(ctx, 1, &rois))
		return;
	shape_type_rank(&out, x.elem, 4);
	if (rois.rank == 2)
		out.dims[0] = rois.dims[0];
	if (x.rank == 4)
		out.dims[1] = x.dims[1];
	out.dims[2] = dim_const(infer_attr_int(ctx, "output_height", 1));
	out.dims[3] = dim_const(infer_attr_int(ctx, "output_width", 1));
	infer_output(ctx, 0, &out);
}

void shape_infer_max_unpool(infer_ctx *ctx)
{
	shape_type x, out;
	if (!infer_input(ctx, 0, &x))
		return;
	if (infer_input_present(ctx, 2)) {
		const shape_value *sv = infer_input_value(ctx, 2);
		shape_type_rank(&out, x.elem, x.rank);
		if (sv && sv->n <= SHAPE_MAX_RANK) {
			out.rank = sv->n;
			memcpy(out.dims, sv->elems,
			       sizeof(dim_expr) * (size_t)sv->n);
		}
		infer_output(ctx, 0, &out);
		return;
	}
	if (x.rank < 3) {
		infer_output_elem(ctx, 0, x.elem);
		return;
	}
	int n = x.rank - 2;
	window w;
	if (!read_window(ctx, n, &w) ||
	    infer_attr_ints(ctx, "kernel_shape", w.kernel, n) != n)
		return;
	out = x;
	for (int i = 0; i < n; i++) {
		dim_expr stride = dim_const(w.strides[i]);
		dim_expr minus_one = dim_const(-1);
		dim_expr d = dim_add(&x.dims[i + 2], &minus_one);
		d = dim_mul(&d, &stride);
		int64_t rest_by;
		/* kernel - pad_begin - pad_end */
		if (w.pads[i] == INT64_MIN ||
		    !add_sub(w.kernel[i], -w.pads[i], w.pads[i + n], &rest_by)) {
			out.dims[i + 2] = dim_unknown();
			continue;
		}
		dim_expr rest = dim_const(rest_by);
		out.dims[i + 2] = dim_add(&d, &rest);
	}
	infer_output(ctx, 0, &out);
}

void shape_infer_col2im(infer_ctx *ctx)
{
	shape_type x, out;
	if (!infer_input(ctx, 0, &x))
		return;
	const shape_value *image = infer_input_value(ctx, 1);
	int64_t block[SHAPE_MAX_RANK];
	int n_block;
	shape_type_unknown(&out, x.elem);
	if (image && image->n + 2 <= SHAPE_MAX_RANK) {
		shape_type_rank(&out, x.elem, image->n + 2);
		memcpy(&out.dims[2], image->elems,
		       sizeof(dim_expr) * (size_t)image->n);
		if (x.rank == 3) {
			out.dims[0] = x.dims[0];
			if (infer_input_ints(ctx, 2, block, SHAPE_MAX_RANK,
			                     &n_block)) {
				int64_t area = 1;
				bool fits = true;
				for (int i = 0; i < n_block; i++)
					fits = fits && block[i] > 0 &&
					       !__builtin_mul_overflow(
					           area, block[i], &area);
				if (fits)
					out.dims[1] =
					    dim_floordiv(&x.dims[1], area);
			}
		}
	}
	infer_output(ctx, 0, &out);
}

/* -------------------------------------------------------- normalization */

void shape_infer_batch_norm(infer_ctx *ctx)
{
	shape_infer_same_as_input(ctx, 0, 0);
	/* Training outputs (running or saved statistics) are per channel,
	 * like the mean input. */
	for (int i = 1; i < infer_output_count(ctx); i++)
		shape_infer_same_as_input(ctx, i, 3);
}

void shape_infer_layer_norm(infer_ctx *ctx)
{
	shape_type x;
	if (!infer_input(ctx, 0, &x))
		return;
	infer_output(ctx, 0, &x);
	/* Mean and InvStdDev keep the leading dims and reduce the rest to 1,
	 * in the stash type. */
	x.elem = ir_attr_elem_type(ctx->node, "stash_type", IR_FLOAT);
	int axis;
	if (x.rank >= 0 &&
	    shape_axis(infer_attr_int(ctx, "axis", -1), x.rank, &axis)) {
		for (int i = axis; i < x.rank; i++)
			x.dims[i] = dim_const(1);
	} else {
		x.rank = -1;
	}
	infer_output(ctx, 1, &x);
	infer_output(ctx, 2, &x);
}
