/*
 * reduce.c - inference for reductions: Reduce*, ArgMax/ArgMin and TopK.
 *
 * The reduced axes came from an attribute until opset 13 (ReduceSum) or
 * 18 (every other Reduce*), and from an optional input since (the
 * operator table's op_attribute_input knows which); with the
 * input form, empty axes reduce everything unless noop_with_empty_axes
 * is set. When the axes are not constant, keepdims=1 still fixes the
 * rank, and keepdims=0 fixes it when the axes input has a static length.
 */
#include <string.h>

#include "infer.h"

static bool axes_from_input(const infer_ctx *ctx)
{
	return op_attribute_input(ctx->node->op_type, "axes", ctx->opset) >= 0;
}

void shape_infer_reduce(infer_ctx *ctx)
{
	shape_type in;
	if (!infer_input(ctx, 0, &in))
		return;
	bool keepdims = infer_attr_int(ctx, "keepdims", 1) != 0;
	int64_t axes[SHAPE_MAX_RANK];
	int n_axes = 0;
	bool axes_known = true, noop_when_empty = false;
	if (axes_from_input(ctx)) {
		noop_when_empty =
		    infer_attr_int(ctx, "noop_with_empty_axes", 0) != 0;
		if (infer_input_present(ctx, 1) &&
		    !infer_input_ints(ctx, 1, axes, SHAPE_MAX_RANK, &n_axes))
			axes_known = false;
	} else {
		n_axes = infer_attr_ints(ctx, "axes", axes, SHAPE_MAX_RANK);
		if (n_axes < 0)
			n_axes = infer_has_attr(ctx, "axes") ? -1 : 0;
		if (n_axes < 0)
			return;
	}

	shape_type out;
	shape_type_unknown(&out, in.elem);
	if (in.rank < 0) {
		infer_output(ctx, 0, &out);
		return;
	}
	if (!axes_known) {
		shape_type axes_type;
		if (keepdims) {
			shape_type_rank(&out, in.elem, in.rank);
		} else if (infer_input(ctx, 1, &axes_type) &&
		           axes_type.rank == 1) {
			int64_t k;
			if (dim_is_const(&axes_type.dims[0], &k) && k > 0 &&
			    k <= in.rank)
				shape_type_rank(&out, in.elem,
				                in.rank - (int)k);
		}
		infer_output(ctx, 0, &out);
		return;
	}
	if (n_axes == 0 && noop_when_empty) {
		infer_output(ctx, 0, &in);
		return;
	}
	bool reduced[SHAPE_MAX_RANK] = {false};
	for (int i = 0; i < in.rank; i++)
		reduced[i] = n_axes == 0;
	for (int i = 0; i < n_axes; i++) {
		int axis;
		if (!shape_axis(axes[i], in.rank, &axis))
			return;
		reduced[axis] = true;
	}
	out.rank = 0;
	for (int i = 0; i < in.rank; i++) {
		if (!reduced[i])
			out.dims[out.rank++] = in.dims[i];
		else if (keepdims)
			out.dims[out.rank++] = dim_const(1);
	}
	infer_output(ctx, 0, &out);
}

void shape_infer_arg_reduce(infer_ctx *ctx)
{
	shape_type in, out;
	if (!infer_input(ctx, 0, &in))
		return;
	shape_type_unknown(&out, IR_INT64);
	int axis;
	if (in.rank >= 0 &&
	    shape_axis(infer_attr_int(ctx, "axis", 0), in.rank, &axis)) {
		bool keepdims = infer_attr_int(ctx, "keepdims", 1) != 0;
		out.rank = 0;
		for (int i = 0; i < in.rank; i++) {
			if (i != axis)
				out.dims[out.rank++] = in.dims[i];
			else if (keepdims)
				out.dims[out.rank++] = dim_const(1);
		}
	}
	infer_output(ctx, 0, &out);
}

void shape_infer_top_k(infer_ctx *ctx)
{
	shape_type in;
	if (!infer_input(ctx, 0, &in))
		return;
	int axis;
	if (in.rank >= 0 &&
	    shape_axis(infer_attr_int(ctx, "axis", -1), in.rank, &axis)) {
		dim_expr k = dim_unknown();
		if (op_attribute_input("TopK", "k", ctx->opset) < 0) {
			if (infer_has_attr(ctx, "k"))
				k = dim_const(infer_attr_int(ctx, "k", 0));
		} else {
			const shape_value *sv = infer_input_value(ctx, 1);
			if (sv && sv->n == 1)
				k = sv->elems[0];
		}
		in.dims[axis] = k;
	} else {
		in.rank = -1;
	}
	infer_output(ctx, 0, &in);
	in.elem = IR_INT64;
	infer_output(ctx, 1, &in);
}
