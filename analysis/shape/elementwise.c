/*
 * elementwise.c - inference for ops that keep or broadcast their inputs'
 * shapes: unary maps, binary and variadic arithmetic with numpy
 * broadcasting, comparisons, Where, casts, quantization and the random
 * generators.
 *
 * Broadcasting follows ONNX's multidirectional rule, right-aligned. A dim
 * that is 1 on one side takes the other side's dim; equal symbols stay;
 * two different symbols, or an unknown against anything but a static
 * dim > 1, give an unknown dim. Known dims that differ and are not 1 mean
 * the node is invalid, and then only the element type is reported.
 */
#include <string.h>

#include "infer.h"

void shape_infer_none(infer_ctx *ctx)
{
	(void)ctx;
}

void shape_infer_unary(infer_ctx *ctx)
{
	shape_infer_same_as_input(ctx, 0, 0);
}

void shape_infer_predicate(infer_ctx *ctx)
{
	shape_type t;
	if (!infer_input(ctx, 0, &t))
		return;
	t.elem = IR_BOOL;
	infer_output(ctx, 0, &t);
}

/* Broadcast every present input into one type; false when an input is not
 * a tensor or the shapes are incompatible (then *out has only an element
 * type to offer). */
static bool broadcast_inputs(infer_ctx *ctx, int first, shape_type *out)
{
	bool any = false;
	bool compatible = true;
	for (int i = first; i < ctx->node->n_inputs; i++) {
		shape_type t;
		if (!infer_input_present(ctx, i))
			continue;
		if (!infer_input(ctx, i, &t))
			return false;
		if (!any) {
			*out = t;
			any = true;
		} else if (compatible && !shape_broadcast(out, &t)) {
			compatible = false;
		}
	}
	if (any && !compatible)
		out->rank = -1;
	return any && compatible;
}

static int first_known_elem(infer_ctx *ctx, int first)
{
	for (int i = first; i < ctx->node->n_inputs; i++) {
		int elem = infer_input_elem(ctx, i);
		if (elem != IR_UNDEFINED)
			return elem;
	}
	return IR_UNDEFINED;
}

void shape_infer_broadcast(infer_ctx *ctx)
{
	shape_type t;
	bool ok = broadcast_inputs(ctx, 0, &t);
	if (ctx->node->n_inputs == 0 || !infer_input_present(ctx, 0))
		return;
	/* Pow's exponent may have another type; every other op here takes
	 * one type T for all inputs, so any input tells it. */
	int elem = infer_input_elem(ctx, 0);
	if (elem == IR_UNDEFINED && !ir_node_is(ctx->node, "Pow"))
		elem = first_known_elem(ctx, 0);
	if (!ok)
		shape_type_unknown(&t, elem);
	t.elem = elem;
	infer_output(ctx, 0, &t);
}

void shape_infer_compare(infer_ctx *ctx)
{
	shape_type t;
	if (!broadcast_inputs(ctx, 0, &t))
		shape_type_unknown(&t, IR_BOOL);
	t.elem = IR_BOOL;
	infer_output(ctx, 0, &t);
}

void shape_infer_where(infer_ctx *ctx)
{
	shape_type t;
	bool ok = broadcast_inputs(ctx, 0, &t);
	int elem = infer_input_elem(ctx, 1);
	if (elem == IR_UNDEFINED)
		elem = infer_input_elem(ctx, 2);
	if (!ok)
		shape_type_unknown(&t, elem);
	t.elem = elem;
	infer_output(ctx, 0, &t);
}

void shape_infer_cast(infer_ctx *ctx)
{
	shape_type t;
	if (!infer_input(ctx, 0, &t) || !infer_has_attr(ctx, "to"))
		return;
	t.elem = ir_attr_elem_type(ctx->node, "to", IR_UNDEFINED);
	infer_output(ctx, 0, &t);
}

void shape_infer_cast_like(infer_ctx *ctx)
{
	shape_type t;
	if (!infer_input(ctx, 0, &t))
		return;
	t.elem = infer_input_elem(ctx, 1);
	infer_output(ctx, 0, &t);
}

void shape_infer_dropout(infer_ctx *ctx)
{
	shape_type t;
	if (!infer_input(ctx, 0, &t))
		return;
	infer_output(ctx, 0, &t);
	/* The mask was of the input's type until opset 10, bool since. */
	if (ctx->opset >= 10)
		t.elem = IR_BOOL;
	infer_output(ctx, 1, &t);
}

void shape_infer_eye_like(infer_ctx *ctx)
{
	shape_type t;
	if (!infer_input(ctx, 0, &t))
		return;
	t.elem = ir_attr_elem_type(ctx->node, "dtype", t.elem);
	infer_output(ctx, 0, &t);
}

/* --------------------------------------------------------- quantization */

void shape_infer_quantize(infer_ctx *ctx)
{
	shape_type t;
	if (!infer_input(ctx, 0, &t))
		return;
	/* The zero point's type, else output_dtype (opset 21), else uint8. */
	int elem;
	if (infer_input_present(ctx, 2)) {
		elem = infer_input_elem(ctx, 2);
	} else {
		elem = ctx->opset >= 21
		           ? ir_attr_elem_type(ctx->node, "output_dtype", 0)
		           : IR_UNDEFINED;
		if (elem == IR_UNDEFINED)
			elem = IR_UINT8;
	}
	t.elem = elem;
	infer_output(ctx, 0, &t);
}

void shape_infer_dequantize(infer_ctx *ctx)
{
	shape_type t;
	if (!infer_input(ctx, 0, &t))
		return;
	/* float until opset 19; then the scale's type, unless opset 23's
	 * output_dtype names another. */
	int elem = IR_FLOAT;
	if (ctx->opset >= 19)
		elem = infer_input_elem(ctx, 1);
	if (ctx->opset >= 23 && infer_attr_int(ctx, "output_dtype", 0))
		elem = ir_attr_elem_type(ctx->node, "output_dtype", 0);
	t.elem = elem;
	infer_output(ctx, 0, &t);
}

void shape_infer_dynamic_quantize(infer_ctx *ctx)
{
	shape_type t;
	if (!infer_input(ctx, 0, &t))
		return;
	t.elem = IR_UINT8;
	infer_output(ctx, 0, &t);
	shape_type scalar;
	shape_type_rank(&scalar, IR_FLOAT, 0);
	infer_output(ctx, 1, &scalar);
	scalar.elem = IR_UINT8;
	infer_output(ctx, 2, &scalar);
}

/* --------------------------------------------------------------- random */

void shape_infer_random_like(infer_ctx *ctx)
{
	shape_type t;
	if (!infer_input(ctx, 0, &t))
		return;
	t.elem = ir_attr_elem_type(ctx->node, "dtype", t.elem);
	infer_output(ctx, 0, &t);
}

void shape_infer_random(infer_ctx *ctx)
{
	int64_t dims[SHAPE_MAX_RANK];
	int rank = infer_attr_ints(ctx, "shape", dims, SHAPE_MAX_RANK);
	shape_type t;
	shape_type_unknown(&t, ir_attr_elem_type(ctx->node, "dtype", IR_FLOAT));
	if (rank >= 0) {
		t.rank = rank;
		for (int i = 0; i < rank; i++)
			t.dims[i] =
			    dims[i] >= 0 ? dim_const(dims[i]) : dim_unknown();
	}
	infer_output(ctx, 0, &t);
}

void shape_infer_multinomial(infer_ctx *ctx)
{
	shape_type in, t;
	shape_type_rank(&t, ir_attr_elem_type(ctx->node, "dtype", IR_INT32), 2);
	if (infer_input(ctx, 0, &in) && in.rank == 2)
		t.dims[0] = in.dims[0];
	t.dims[1] = dim_const(infer_attr_int(ctx, "sample_size", 1));
	infer_output(ctx, 0, &t);
}
