/*
 * signal.c - inference for image resampling and signal processing:
 * Resize, Upsample, GridSample, AffineGrid, ImageDecoder, DFT, STFT, the
 * window generators and MelWeightMatrix.
 *
 * Resize's output comes from sizes when given, else from scales as
 * floor(in * scale). Input layouts changed over opsets: Upsample had
 * scales as an attribute (7) then an input (9); Resize took scales as
 * input 1 (10), then roi, scales and sizes as inputs 1-3 (11), and added
 * axes and keep_aspect_ratio_policy (18).
 */
#include <math.h>
#include <string.h>

#include "infer.h"

static dim_expr scale_dim(const dim_expr *in, double scale)
{
	int64_t d;
	if (dim_is_const(in, &d)) {
		double v = floor((double)d * scale);
		return v >= 0 && v < 9e18 ? dim_const((int64_t)v)
		                          : dim_unknown();
	}
	if (scale >= 1 && scale == floor(scale) && scale < 1e6) {
		dim_expr factor = dim_const((int64_t)scale);
		return dim_mul(in, &factor);
	}
	return dim_unknown();
}

void shape_infer_resize(infer_ctx *ctx)
{
	shape_type x;
	if (!infer_input(ctx, 0, &x))
		return;
	if (x.rank < 0) {
		infer_output(ctx, 0, &x);
		return;
	}
	bool upsample = ir_node_is(ctx->node, "Upsample");
	int scales_index =
	    op_attribute_input(ctx->node->op_type, "scales", ctx->opset);
	int64_t axes[SHAPE_MAX_RANK];
	int n_axes = ctx->opset >= 18 && !upsample
	                 ? infer_attr_ints(ctx, "axes", axes, SHAPE_MAX_RANK)
	                 : -1;
	if (n_axes < 0) {
		n_axes = x.rank;
		for (int i = 0; i < x.rank; i++)
			axes[i] = i;
	}
	int axis_of[SHAPE_MAX_RANK];
	for (int i = 0; i < n_axes; i++)
		if (!shape_axis(axes[i], x.rank, &axis_of[i]))
			return;
	shape_type out = x;
	double scales[SHAPE_MAX_RANK];
	int n;
	const shape_value *sizes =
	    !upsample && ctx->opset >= 11 && infer_input_present(ctx, 3)
	        ? infer_input_value(ctx, 3)
	        : NULL;
	const char *policy =
	    infer_attr_string(ctx, "keep_aspect_ratio_policy", "stretch");
	if (sizes && sizes->n == n_axes &&
	    (ctx->opset < 18 || !strcmp(policy, "stretch"))) {
		for (int i = 0; i < n_axes; i++)
			out.dims[axis_of[i]] = sizes->elems[i];
	} else if (sizes && sizes->n == n_axes) {
		/* One scale for all axes: the largest that fits
		 * (not_larger) or the smallest that covers (not_smaller). */
		bool not_larger = !strcmp(policy, "not_larger");
		double scale = not_larger ? INFINITY : 0;
		int64_t in_dims[SHAPE_MAX_RANK], want[SHAPE_MAX_RANK];
		for (int i = 0; i < n_axes; i++) {
			if (!dim_is_const(&x.dims[axis_of[i]], &in_dims[i]) ||
			    !dim_is_const(&sizes->elems[i], &want[i]) ||
			    in_dims[i] <= 0) {
				shape_type_rank(&out, x.elem, x.rank);
				infer_output(ctx, 0, &out);
				return;
			}
			double s = (double)want[i] / (double)in_dims[i];
			scale = not_larger ? fmin(scale, s) : fmax(scale, s);
		}
		for (int i = 0; i < n_axes; i++) {
			double v = nearbyint(scale * (double)in_dims[i]);
			out.dims[axis_of[i]] = v >= 0 && v < 9e18
			                           ? dim_const((int64_t)v)
			                           : dim_unknown();
		}
	} else if (upsample && scales_index < 0) {
		const ir_attr *a = ir_node_attr(ctx->node, "scales");
		if (!a || a->proto->n_floats != (size_t)x.rank)
			return;
		for (int i = 0; i < x.rank; i++)
			out.dims[i] =
			    scale_dim(&x.dims[i], a->proto->floats[i]);
	} else if (!strcmp(infer_attr_string(
	                       ctx, "coordinate_transformation_mode", ""),
	                   "tf_crop_and_resize")) {
		/* Runtimes differ on whether the roi scales the output size
		 * here; claim nothing. */
		for (int i = 0; i < n_axes; i++)
			out.dims[axis_of[i]] = dim_unknown();
	} else if (scales_index >= 0 &&
	           infer_input_doubles(ctx, scales_index, scales,
	                               SHAPE_MAX_RANK, &n) &&
	           n == n_axes) {
		for (int i = 0; i < n_axes; i++)
			out.dims[axis_of[i]] =
			    scale_dim(&x.dims[axis_of[i]], scales[i]);
	} else {
		for (int i = 0; i < n_axes; i++)
			out.dims[axis_of[i]] = dim_unknown();
	}
	infer_output(ctx, 0, &out);
}

void shape_infer_grid_sample(infer_ctx *ctx)
{
	shape_type x, grid, out;
	if (!infer_input(ctx, 0, &x) || !infer_input(ctx, 1, &grid))
		return;
	shape_type_unknown(&out, x.elem);
	if (grid.rank >= 3) {
		shape_type_rank(&out, x.elem, grid.rank);
		out.dims[0] = grid.dims[0];
		if (x.rank >= 2)
			out.dims[1] = x.dims[1];
		for (int i = 1; i < grid.rank - 1; i++)
			out.dims[i + 1] = grid.dims[i];
	}
	infer_output(ctx, 0, &out);
}

void shape_infer_affine_grid(infer_ctx *ctx)
{
	shape_type theta, out;
	if (!infer_input(ctx, 0, &theta))
		return;
	const shape_value *size = infer_input_value(ctx, 1);
	shape_type_unknown(&out, theta.elem);
	if (size && (size->n == 4 || size->n == 5)) {
		int spatial = size->n - 2;
		shape_type_rank(&out, theta.elem, spatial + 2);
		out.dims[0] = size->elems[0];
		for (int i = 0; i < spatial; i++)
			out.dims[i + 1] = size->elems[i + 2];
		out.dims[spatial + 1] = dim_const(spatial);
	}
	infer_output(ctx, 0, &out);
}

void shape_infer_image_decoder(infer_ctx *ctx)
{
	shape_type out;
	const char *format = infer_attr_string(ctx, "pixel_format", "RGB");
	shape_type_rank(&out, IR_UINT8, 3);
	out.dims[2] = dim_const(!strcmp(format, "Grayscale") ? 1 : 3);
	infer_output(ctx, 0, &out);
}

/* ------------------------------------------------------------- signals */

/* A scalar input as an expression (a window size, a DFT length). */
static dim_expr scalar_input(const infer_ctx *ctx, int index)
{
	const shape_value *sv = infer_input_value(ctx, index);
	return sv && sv->n == 1 ? sv->elems[0] : dim_unknown();
}

void shape_infer_dft(infer_ctx *ctx)
{
	shape_type x;
	if (!infer_input(ctx, 0, &x))
		return;
	if (x.rank < 2) {
		infer_output_elem(ctx, 0, x.elem);
		return;
	}
	int64_t axis_attr = ctx->opset >= 20 ? -2 : 1;
	if (ctx->opset >= 20 && infer_input_present(ctx, 2)) {
		int64_t a;
		int n;
		if (!infer_input_ints(ctx, 2, &a, 1, &n) || n != 1) {
			shape_type_rank(&x, x.elem, x.rank);
			infer_output(ctx, 0, &x);
			return;
		}
		axis_attr = a;
	} else if (ctx->opset < 20) {
		axis_attr = infer_attr_int(ctx, "axis", 1);
	}
	/* The last dim holds (real) or (real, imaginary) and is not a
	 * signal axis. */
	int axis;
	if (!shape_axis(axis_attr, x.rank, &axis) || axis > x.rank - 2)
		return;
	dim_expr length = x.dims[axis];
	if (infer_input_present(ctx, 1))
		length = scalar_input(ctx, 1);
	if (infer_attr_int(ctx, "onesided", 0)) {
		dim_expr half = dim_floordiv(&length, 2);
		dim_expr one = dim_const(1);
		length = dim_add(&half, &one);
	}
	x.dims[axis] = length;
	x.dims[x.rank - 1] = dim_const(2);
	infer_output(ctx, 0, &x);
}

void shape_infer_stft(infer_ctx *ctx)
{
	shape_type signal, window, out;
	if (!infer_input(ctx, 0, &signal))
		return;
	shape_type_rank(&out, signal.elem, 4);
	dim_expr frame_length = dim_unknown();
	if (infer_input_present(ctx, 3))
		frame_length = scalar_input(ctx, 3);
	else if (infer_input(ctx, 2, &window) && window.rank == 1)
		frame_length = window.dims[0];
	dim_expr step = scalar_input(ctx, 1);
	int64_t stride;
	if (signal.rank == 3) {
		out.dims[0] = signal.dims[0];
		if (dim_is_const(&step, &stride) && stride > 0) {
			dim_expr span = dim_sub(&signal.dims[1], &frame_length);
			dim_expr frames = dim_floordiv(&span, stride);
			dim_expr one = dim_const(1);
			out.dims[1] = dim_add(&frames, &one);
		}
	}
	if (infer_attr_int(ctx, "onesided", 1)) {
		dim_expr half = dim_floordiv(&frame_length, 2);
		dim_expr one = dim_const(1);
		out.dims[2] = dim_add(&half, &one);
	} else {
		out.dims[2] = frame_length;
	}
	out.dims[3] = dim_const(2);
	infer_output(ctx, 0, &out);
}

void shape_infer_window(infer_ctx *ctx)
{
	shape_type out;
	shape_type_rank(
	    &out, ir_attr_elem_type(ctx->node, "output_datatype", IR_FLOAT), 1);
	out.dims[0] = scalar_input(ctx, 0);
	infer_output(ctx, 0, &out);
}

void shape_infer_mel_weight_matrix(infer_ctx *ctx)
{
	shape_type out;
	shape_type_rank(
	    &out, ir_attr_elem_type(ctx->node, "output_datatype", IR_FLOAT), 2);
	dim_expr dft = scalar_input(ctx, 1);
	dim_expr half = dim_floordiv(&dft, 2);
	dim_expr one = dim_const(1);
	out.dims[0] = dim_add(&half, &one);
	out.dims[1] = scalar_input(ctx, 0);
	infer_output(ctx, 0, &out);
}
