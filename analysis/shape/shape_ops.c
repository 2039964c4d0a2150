/*
 * shape_ops.c - inference for ops that rearrange or create shapes:
 * Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Expand, Tile, Shape,
 * Size, ConstantOfShape, Constant, Range, DepthToSpace, SpaceToDepth.
 *
 * Shape-valued inputs (Reshape's target, Expand's shape, Tile's repeats,
 * ...) are read symbolically (value.c), so a target built from
 * Shape/Gather/Concat resolves to dims in the model's symbols. When only
 * the length of such an input is known, the output's rank still is.
 */
#include <math.h>
#include <string.h>

#include "infer.h"
#include "value.h"

/* The rank implied by a 1-D shape input of static length, or -1. */
static int rank_from_length(const infer_ctx *ctx, int index)
{
	shape_type t;
	int64_t n;
	if (infer_input(ctx, index, &t) && t.rank == 1 &&
	    dim_is_const(&t.dims[0], &n) && n <= SHAPE_MAX_RANK)
		return (int)n;
	return -1;
}

void shape_infer_reshape(infer_ctx *ctx)
{
	shape_type in, out;
	if (!infer_input(ctx, 0, &in))
		return;
	const shape_value *target = infer_input_value(ctx, 1);
	if (!target || target->rank != 1) {
		shape_type_rank(&out, in.elem, rank_from_length(ctx, 1));
		infer_output(ctx, 0, &out);
		return;
	}
	bool allowzero =
	    ctx->opset >= op_attribute_added_in("Reshape", "allowzero") &&
	    infer_attr_int(ctx, "allowzero", 0) != 0;
	shape_type_rank(&out, in.elem, target->n);
	if (out.rank < 0)
		return;
	int inferred = -1;
	for (int i = 0; i < target->n; i++) {
		const dim_expr *e = &target->elems[i];
		int64_t c;
		if (!dim_is_const(e, &c)) {
			out.dims[i] = *e;
		} else if (c == 0 && !allowzero) {
			out.dims[i] = i < in.rank ? in.dims[i] : dim_unknown();
		} else if (c == -1 && inferred < 0) {
			inferred = i;
		} else if (c < 0) {
			return; /* invalid target */
		} else {
			out.dims[i] = *e;
		}
	}
	if (inferred >= 0) {
		dim_expr known = dim_const(1);
		for (int i = 0; i < out.rank; i++)
			if (i != inferred)
				known = dim_mul(&known, &out.dims[i]);
		int64_t c;
		dim_expr total = shape_type_numel(&in);
		out.dims[inferred] = dim_is_const(&known, &c) && c == 0
		                         ? dim_unknown()
		                         : dim_div_exact(&total, &known);
	}
	infer_output(ctx, 0, &out);
}

void shape_infer_flatten(infer_ctx *ctx)
{
	shape_type in, out;
	if (!infer_input(ctx, 0, &in))
		return;
	shape_type_rank(&out, in.elem, 2);
	int64_t axis = infer_attr_int(ctx, "axis", 1);
	if (in.rank >= 0) {
		if (axis < 0)
			axis += in.rank;
		if (axis < 0 || axis > in.rank)
			return;
		dim_expr outer = dim_const(1), inner = dim_const(1);
		for (int i = 0; i < in.rank; i++) {
			dim_expr *side = i < axis ? &outer : &inner;
			*side = dim_mul(side, &in.dims[i]);
		}
		out.dims[0] = outer;
		out.dims[1] = inner;
	}
	infer_output(ctx, 0, &out);
}

/* Squeeze/Unsqueeze axes: attribute before opset 13, input since.
 * Returns the count, 0 when absent, -1 when not constant. */
static bool axes_from_input(const infer_ctx *ctx)
{
	return op_attribute_input(ctx->node->op_type, "axes", ctx->opset) >= 0;
}

static int squeeze_axes(const infer_ctx *ctx, int64_t *axes)
{
	if (!axes_from_input(ctx)) {
		int n = infer_attr_ints(ctx, "axes", axes, SHAPE_MAX_RANK);
		return n < 0 ? (infer_has_attr(ctx, "axes") ? -1 : 0) : n;
	}
	if (!infer_input_present(ctx, 1))
		return 0;
	int n;
	return infer_input_ints(ctx, 1, axes, SHAPE_MAX_RANK, &n) ? n : -1;
}

void shape_infer_squeeze(infer_ctx *ctx)
{
	shape_type in, out;
	if (!infer_input(ctx, 0, &in))
		return;
	shape_type_unknown(&out, in.elem);
	int64_t axes[SHAPE_MAX_RANK];
	int n_axes = squeeze_axes(ctx, axes);
	if (in.rank < 0 || n_axes < 0) {
		if (n_axes > 0 && in.rank >= n_axes)
			shape_type_rank(&out, in.elem, in.rank - n_axes);
		infer_output(ctx, 0, &out);
		return;
	}
	bool drop[SHAPE_MAX_RANK] = {false};
	for (int i = 0; i < n_axes; i++) {
		int axis;
		int64_t d;
		if (!shape_axis(axes[i], in.rank, &axis))
			return;
		if (dim_is_const(&in.dims[axis], &d) && d != 1)
			return;
		drop[axis] = true;
	}
	if (n_axes == 0) {
		/* Without axes every dim of size 1 goes: a dim we cannot
		 * prove to be 1 or not 1 makes the rank unknown. */
		for (int i = 0; i < in.rank; i++) {
			int64_t d;
			if (!dim_is_const(&in.dims[i], &d)) {
				infer_output(ctx, 0, &out);
				return;
			}
			drop[i] = d == 1;
		}
	}
	out.rank = 0;
	for (int i = 0; i < in.rank; i++)
		if (!drop[i])
			out.dims[out.rank++] = in.dims[i];
	infer_output(ctx, 0, &out);
}

void shape_infer_unsqueeze(infer_ctx *ctx)
{
	shape_type in, out;
	if (!infer_input(ctx, 0, &in))
		return;
	shape_type_unknown(&out, in.elem);
	int64_t axes[SHAPE_MAX_RANK];
	int n_axes = squeeze_axes(ctx, axes);
	if (n_axes < 0 && axes_from_input(ctx) && in.rank >= 0) {
		int k = rank_from_length(ctx, 1);
		if (k >= 0)
			shape_type_rank(&out, in.elem, in.rank + k);
	}
	if (in.rank < 0 || n_axes <= 0 || in.rank + n_axes > SHAPE_MAX_RANK) {
		infer_output(ctx, 0, &out);
		return;
	}
	int rank = in.rank + n_axes;
	bool inserted[SHAPE_MAX_RANK] = {false};
	for (int i = 0; i < n_axes; i++) {
		int axis;
		if (!shape_axis(axes[i], rank, &axis) || inserted[axis])
			return;
		inserted[axis] = true;
	}
	out.rank = rank;
	for (int i = 0, k = 0; i < rank; i++)
		out.dims[i] = inserted[i] ? dim_const(1) : in.dims[k++];
	infer_output(ctx, 0, &out);
}

void shape_infer_transpose(infer_ctx *ctx)
{
	shape_type in, out;
	if (!infer_input(ctx, 0, &in))
		return;
	shape_type_unknown(&out, in.elem);
	int64_t perm[SHAPE_MAX_RANK];
	int n = infer_attr_ints(ctx, "perm", perm, SHAPE_MAX_RANK);
	if (n < 0 && infer_has_attr(ctx, "perm"))
		return;
	if (in.rank < 0) {
		if (n >= 0)
			shape_type_rank(&out, in.elem, n);
		infer_output(ctx, 0, &out);
		return;
	}
	if (n < 0) {
		n = in.rank;
		for (int i = 0; i < n; i++)
			perm[i] = n - 1 - i;
	}
	if (n != in.rank)
		return;
	bool used[SHAPE_MAX_RANK] = {false};
	out.rank = n;
	for (int i = 0; i < n; i++) {
		int axis;
		if (!shape_axis(perm[i], n, &axis) || used[axis])
			return;
		used[axis] = true;
		out.dims[i] = in.dims[axis];
	}
	infer_output(ctx, 0, &out);
}

/* A shape input's contents as a type (dims = the elements). */
static bool type_from_shape_input(const infer_ctx *ctx, int index, int elem,
                                  shape_type *out)
{
	const shape_value *sv = infer_input_value(ctx, index);
	if (!sv || sv->rank != 1 || sv->n > SHAPE_MAX_RANK) {
		shape_type_rank(out, elem, rank_from_length(ctx, index));
		return false;
	}
	out->elem = elem;
	out->rank = sv->n;
	for (int i = 0; i < sv->n; i++) {
		int64_t c;
		out->dims[i] = dim_is_const(&sv->elems[i], &c) && c < 0
		                   ? dim_unknown()
		                   : sv->elems[i];
	}
	return true;
}

void shape_infer_expand(infer_ctx *ctx)
{
	shape_type in, target;
	if (!infer_input(ctx, 0, &in))
		return;
	bool known = type_from_shape_input(ctx, 1, in.elem, &target);
	if (!known) {
		/* The output's rank is the larger of the two, when both are
		 * known; its dims are not. */
		if (in.rank < 0 || target.rank < 0) {
			shape_type_unknown(&target, in.elem);
		} else {
			int rank =
			    in.rank > target.rank ? in.rank : target.rank;
			shape_type_rank(&target, in.elem, rank);
		}
		infer_output(ctx, 0, &target);
		return;
	}
	if (!shape_broadcast(&in, &target))
		return;
	infer_output(ctx, 0, &in);
}

void shape_infer_tile(infer_ctx *ctx)
{
	shape_type in;
	if (!infer_input(ctx, 0, &in))
		return;
	const shape_value *repeats = infer_input_value(ctx, 1);
	if (in.rank >= 0) {
		if (repeats && repeats->n != in.rank)
			return;
		for (int i = 0; i < in.rank; i++)
			in.dims[i] =
			    repeats ? dim_mul(&in.dims[i], &repeats->elems[i])
			            : dim_unknown();
	}
	infer_output(ctx, 0, &in);
}

void shape_infer_shape(infer_ctx *ctx)
{
	shape_type in, out;
	if (!infer_input(ctx, 0, &in))
		return;
	shape_type_rank(&out, IR_INT64, 1);
	if (in.rank >= 0) {
		int64_t start, end;
		op_shape_range(ctx->node, ctx->opset, in.rank, &start, &end);
		out.dims[0] = dim_const(end > start ? end - start : 0);
	}
	infer_output(ctx, 0, &out);
}

void shape_infer_size(infer_ctx *ctx)
{
	shape_type out;
	shape_type_rank(&out, IR_INT64, 0);
	infer_output(ctx, 0, &out);
}

void shape_infer_constant_of_shape(infer_ctx *ctx)
{
	const ir_attr *value = ir_node_attr(ctx->node, "value");
	int elem = value && value->tensor ? value->tensor->elem_type : IR_FLOAT;
	shape_type out;
	type_from_shape_input(ctx, 0, elem, &out);
	infer_output(ctx, 0, &out);
}

static void set_static(shape_type *t, int elem, int rank, const int64_t *dims)
{
	shape_type_rank(t, elem, rank);
	for (int i = 0; i < t->rank; i++)
		t->dims[i] = dims[i] >= 0 ? dim_const(dims[i]) : dim_unknown();
}

void shape_infer_constant(infer_ctx *ctx)
{
	shape_type out;
	const ir_attr *a;
	const ir_node *node = ctx->node;
	if ((a = ir_node_attr(node, "value")) && a->tensor) {
		set_static(&out, a->tensor->elem_type, a->tensor->rank,
		           a->tensor->dims);
	} else if ((a = ir_node_attr(node, "sparse_value")) &&
	           a->proto->sparse_tensor) {
		const Onnx__SparseTensorProto *sp = a->proto->sparse_tensor;
		int elem = sp->values && sp->values->has_data_type
		               ? sp->values->data_type
		               : IR_UNDEFINED;
		set_static(&out, elem, (int)sp->n_dims, sp->dims);
	} else {
		static const struct {
			const char *name;
			int elem, rank;
		} forms[] = {
		    {"value_float", IR_FLOAT, 0},
		    {"value_floats", IR_FLOAT, 1},
		    {"value_int", IR_INT64, 0},
		    {"value_ints", IR_INT64, 1},
		    {"value_string", IR_STRING, 0},
		    {"value_strings", IR_STRING, 1},
		};
		size_t i = 0;
		for (; i < sizeof forms / sizeof forms[0]; i++)
			if ((a = ir_node_attr(node, forms[i].name)))
				break;
		if (i == sizeof forms / sizeof forms[0])
			return;
		int64_t n = (int64_t)(a->proto->n_floats + a->proto->n_ints +
		                      a->proto->n_strings);
		set_static(&out, forms[i].elem, forms[i].rank, &n);
	}
	infer_output(ctx, 0, &out);
}

/* Range's length max(ceil((limit - start) / delta), 0), computed in the
 * inputs' own precision so float rounding matches a runtime's. */
static bool range_length_const(const infer_ctx *ctx, int elem, int64_t *n)
{
	double v[3];
	for (int i = 0; i < 3; i++) {
		int count;
		if (infer_input_doubles(ctx, i, &v[i], 1, &count) && count == 1)
			continue;
		/* A computed input known exactly: Cast(size) to float in a
		 * window function, an integer from Shape arithmetic. */
		const shape_value *sv = infer_input_value(ctx, i);
		int64_t c;
		if (!sv || sv->n != 1 || !dim_is_const(&sv->elems[0], &c))
			return false;
		v[i] = (double)c;
	}
	double len;
	if (elem == IR_FLOAT)
		len = ceilf(((float)v[1] - (float)v[0]) / (float)v[2]);
	else
		len = ceil((v[1] - v[0]) / v[2]);
	if (!(len == len) || v[2] == 0 || len > 9e18)
		return false;
	*n = len > 0 ? (int64_t)len : 0;
	return true;
}

void shape_infer_range(infer_ctx *ctx)
{
	int elem = infer_input_elem(ctx, 0);
	shape_type out;
	shape_type_rank(&out, elem, 1);
	int64_t n;
	if (range_length_const(ctx, elem, &n)) {
		out.dims[0] = dim_const(n);
	} else {
		/* Integer start and delta constants with a symbolic limit, as
		 * in Range(0, Gather(Shape(x), 1), 1). */
		const shape_value *start = infer_input_value(ctx, 0);
		const shape_value *limit = infer_input_value(ctx, 1);
		const shape_value *delta = infer_input_value(ctx, 2);
		int64_t step;
		if (start && limit && delta && start->n == 1 && limit->n == 1 &&
		    delta->n == 1 && value_is_integer_elem(start->elem_type) &&
		    value_is_integer_elem(limit->elem_type) &&
		    value_is_integer_elem(delta->elem_type) &&
		    dim_is_const(&delta->elems[0], &step) && step > 0) {
			dim_expr span =
			    dim_sub(&limit->elems[0], &start->elems[0]);
			if (dim_is_nonnegative(&span))
				out.dims[0] = dim_ceildiv(&span, step);
		}
	}
	infer_output(ctx, 0, &out);
}

static void rearrange_blocks(infer_ctx *ctx, bool to_space)
{
	shape_type in;
	if (!infer_input(ctx, 0, &in))
		return;
	int64_t b = infer_attr_int(ctx, "blocksize", 0);
	if (in.rank >= 0 && in.rank != 4)
		return;
	if (in.rank == 4) {
		if (b <= 0 || b > INT32_MAX) /* b * b must fit */
			return;
		dim_expr block = dim_const(b), area = dim_const(b * b);
		if (to_space) {
			in.dims[1] = dim_floordiv(&in.dims[1], b * b);
			in.dims[2] = dim_mul(&in.dims[2], &block);
			in.dims[3] = dim_mul(&in.dims[3], &block);
		} else {
			in.dims[1] = dim_mul(&in.dims[1], &area);
			in.dims[2] = dim_floordiv(&in.dims[2], b);
			in.dims[3] = dim_floordiv(&in.dims[3], b);
		}
	}
	infer_output(ctx, 0, &in);
}

void shape_infer_depth_to_space(infer_ctx *ctx)
{
	rearrange_blocks(ctx, true);
}

void shape_infer_space_to_depth(infer_ctx *ctx)
{
	rearrange_blocks(ctx, false);
}
