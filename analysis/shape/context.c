/*
 * context.c - how inference functions read their node (inputs, constant
 * contents, attributes) and report outputs, plus the shape helpers every
 * family shares (broadcasting, axes, element counts).
 */
#include <string.h>

#include "infer.h"

/* --------------------------------------------------------- shape types */

void shape_type_unknown(shape_type *t, int elem)
{
	t->elem = elem;
	t->rank = -1;
}

void shape_type_rank(shape_type *t, int elem, int rank)
{
	t->elem = elem;
	t->rank = rank >= 0 && rank <= SHAPE_MAX_RANK ? rank : -1;
	for (int i = 0; i < t->rank; i++)
		t->dims[i] = dim_unknown();
}

bool shape_type_from_ir(const ir_type *type, shape_type *out)
{
	if (!type->is_tensor)
		return false;
	out->elem = type->elem_type;
	out->rank = type->rank <= SHAPE_MAX_RANK ? type->rank : -1;
	for (int i = 0; i < out->rank; i++)
		out->dims[i] = dim_from_ir(&type->dims[i]);
	return true;
}

dim_expr shape_type_numel(const shape_type *t)
{
	if (t->rank < 0)
		return dim_unknown();
	dim_expr n = dim_const(1);
	for (int i = 0; i < t->rank; i++)
		n = dim_mul(&n, &t->dims[i]);
	return n;
}

static dim_expr broadcast_dim(const dim_expr *a, const dim_expr *b,
                              bool *compatible)
{
	int64_t x, y;
	bool a_const = dim_is_const(a, &x), b_const = dim_is_const(b, &y);
	if (a_const && b_const) {
		if (x == y || y == 1)
			return *a;
		if (x == 1)
			return *b;
		*compatible = false;
		return dim_unknown();
	}
	if (a_const)
		return x == 1 ? *b : *a;
	if (b_const)
		return y == 1 ? *a : *b;
	if (dim_equal(a, b))
		return *a;
	/* x against min(x, c), c >= 1: equal while x <= c; for x > c
	 * neither is 1 and they differ, which no valid run has. */
	if ((dim_is_min_with_const(b, a, &y) && y >= 1))
		return *a;
	if ((dim_is_min_with_const(a, b, &x) && x >= 1))
		return *b;
	return dim_unknown();
}

bool shape_broadcast(shape_type *a, const shape_type *b)
{
	if (a->rank < 0 || b->rank < 0) {
		a->rank = -1;
		return true;
	}
	int rank = a->rank > b->rank ? a->rank : b->rank;
	shape_type out;
	out.elem = a->elem;
	out.rank = rank;
	bool compatible = true;
	for (int i = 0; i < rank; i++) {
		int ia = i - (rank - a->rank), ib = i - (rank - b->rank);
		dim_expr one = dim_const(1);
		const dim_expr *da = ia >= 0 ? &a->dims[ia] : &one;
		const dim_expr *db = ib >= 0 ? &b->dims[ib] : &one;
		out.dims[i] = broadcast_dim(da, db, &compatible);
	}
	if (!compatible)
		return false;
	*a = out;
	return true;
}

bool shape_axis(int64_t axis, int rank, int *out)
{
	if (rank < 0 || axis < -(int64_t)rank || axis >= rank)
		return false;
	*out = (int)(axis < 0 ? axis + rank : axis);
	return true;
}

/* -------------------------------------------------------------- inputs */

static ir_value *input_value(const infer_ctx *ctx, int index)
{
	if (index < 0 || index >= ctx->node->n_inputs)
		return NULL;
	return ctx->node->inputs[index];
}

bool infer_input_present(const infer_ctx *ctx, int index)
{
	return input_value(ctx, index) != NULL;
}

bool infer_input(const infer_ctx *ctx, int index, shape_type *out)
{
	ir_value *v = input_value(ctx, index);
	return v && shape_type_from_ir(&v->type, out);
}

int infer_input_elem(const infer_ctx *ctx, int index)
{
	ir_value *v = input_value(ctx, index);
	return v && v->type.is_tensor ? v->type.elem_type : IR_UNDEFINED;
}

const Onnx__TypeProto *infer_input_proto(const infer_ctx *ctx, int index)
{
	ir_value *v = input_value(ctx, index);
	return v && !v->type.is_tensor ? v->type.proto : NULL;
}

const shape_value *infer_input_value(const infer_ctx *ctx, int index)
{
	ir_value *v = input_value(ctx, index);
	return v ? shape_analysis_value(ctx->analysis, v) : NULL;
}

bool infer_input_ints(const infer_ctx *ctx, int index, int64_t *out, int max,
                      int *n)
{
	const shape_value *sv = infer_input_value(ctx, index);
	if (!sv || sv->n > max)
		return false;
	for (int i = 0; i < sv->n; i++)
		if (!dim_is_const(&sv->elems[i], &out[i]))
			return false;
	*n = sv->n;
	return true;
}

const ir_tensor *infer_input_tensor(const infer_ctx *ctx, int index)
{
	ir_value *v = input_value(ctx, index);
	if (!v)
		return NULL;
	if (ir_value_is_constant(v))
		return v->tensor;
	if (v->producer && ir_node_is(v->producer, "Constant")) {
		const ir_attr *a = ir_node_attr(v->producer, "value");
		return a ? a->tensor : NULL;
	}
	return NULL;
}

static double half_to_double(uint16_t h, bool bfloat)
{
	uint32_t bits;
	if (bfloat) {
		bits = (uint32_t)h << 16;
	} else {
		uint32_t sign = (uint32_t)(h >> 15) << 31;
		int exp = (h >> 10) & 0x1f;
		uint32_t mant = h & 0x3ff;
		if (exp == 0x1f) {
			bits = sign | 0x7f800000u | (mant << 13);
		} else if (exp == 0) {
			/* zero or subnormal: value = mant * 2^-24 */
			float f = (float)mant / 16777216.0f;
			return sign ? -(double)f : (double)f;
		} else {
			bits = sign | ((uint32_t)(exp - 15 + 127) << 23) |
			       (mant << 13);
		}
	}
	float f;
	memcpy(&f, &bits, sizeof f);
	return f;
}

bool infer_input_doubles(const infer_ctx *ctx, int index, double *out, int max,
                         int *n)
{
	const ir_tensor *t = infer_input_tensor(ctx, index);
	if (!t)
		return false;
	int64_t numel = ir_tensor_numel(t);
	const void *data;
	size_t size;
	if (numel < 0 || numel > max ||
	    !ir_tensor_raw(ctx->analysis->model, t, &data, &size))
		return false;
	const uint8_t *p = data;
	for (int64_t i = 0; i < numel; i++) {
		switch (t->elem_type) {
		case IR_FLOAT: {
			float f;
			memcpy(&f, p + 4 * i, 4);
			out[i] = f;
			break;
		}
		case IR_DOUBLE: memcpy(&out[i], p + 8 * i, 8); break;
		case IR_FLOAT16:
		case IR_BFLOAT16: {
			uint16_t h;
			memcpy(&h, p + 2 * i, 2);
			out[i] = half_to_double(h, t->elem_type == IR_BFLOAT16);
			break;
		}
		case IR_INT64: {
			int64_t v;
			memcpy(&v, p + 8 * i, 8);
			out[i] = (double)v;
			break;
		}
		case IR_INT32: {
			int32_t v;
			memcpy(&v, p + 4 * i, 4);
			out[i] = v;
			break;
		}
		default: return false;
		}
	}
	*n = (int)numel;
	return true;
}

/* ---------------------------------------------------------- attributes */

int64_t infer_attr_int(const infer_ctx *ctx, const char *name, int64_t fallback)
{
	return ir_attr_int(ctx->node, name, fallback);
}

const char *infer_attr_string(const infer_ctx *ctx, const char *name,
                              const char *fallback)
{
	return ir_attr_string(ctx->node, name, fallback);
}

bool infer_has_attr(const infer_ctx *ctx, const char *name)
{
	return ir_node_attr(ctx->node, name) != NULL;
}

int infer_attr_ints(const infer_ctx *ctx, const char *name, int64_t *out,
                    int max)
{
	const int64_t *values;
	int count = ir_attr_ints(ctx->node, name, &values);
	if (count < 0 || count > max)
		return -1;
	/* An empty list has no array: memcpy from NULL is undefined even
	 * for no bytes (found by the structure-aware fuzzer). */
	if (count > 0)
		memcpy(out, values, sizeof *out * (size_t)count);
	return count;
}

ir_graph *infer_attr_graph(const infer_ctx *ctx, const char *name)
{
	const ir_attr *a = ir_node_attr(ctx->node, name);
	return a ? a->graph : NULL;
}

/* ------------------------------------------------------------- outputs */

int infer_output_count(const infer_ctx *ctx)
{
	return ctx->node->n_outputs;
}

void infer_output(infer_ctx *ctx, int index, const shape_type *type)
{
	if (index < 0 || index >= ctx->node->n_outputs)
		return;
	shape_refine_value(ctx->analysis, ctx->node->outputs[index], type);
}

void infer_output_elem(infer_ctx *ctx, int index, int elem)
{
	shape_type t;
	shape_type_unknown(&t, elem);
	infer_output(ctx, index, &t);
}

void shape_infer_same_as_input(infer_ctx *ctx, int output, int input)
{
	shape_type t;
	if (infer_input(ctx, input, &t))
		infer_output(ctx, output, &t);
}
