/*
 * generate.c - ops that make tensors from attributes, shapes or scalars:
 * Constant, ConstantOfShape, Shape, Size, Range, EyeLike, OneHot, Trilu.
 *
 * Their outputs are often much larger than their inputs, so they rely on
 * eval_output's size rule to stop before allocating a big result.
 */
#include <math.h>
#include <string.h>

#include "eval.h"
#include "ops.h"

static int output_copy_of(eval_call *c, const eval_tensor *t)
{
	void *out = eval_output(c, 0, t->elem_type, t->rank, t->dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	if (t->numel)
		memcpy(out, t->data, (size_t)t->numel * t->elem_size);
	return EVAL_OK;
}

int eval_constant(eval_call *c)
{
	const ir_attr *a = c->node->n_attrs == 1 ? &c->node->attrs[0] : NULL;
	if (!a)
		return eval_error(c, "needs exactly one attribute");
	const Onnx__AttributeProto *p = a->proto;
	const char *name = a->name;
	if (!strcmp(name, "value")) {
		eval_tensor t;
		if (!a->tensor || !eval_decode(c, a->tensor, &t))
			return eval_unsupported(c, "value it cannot read");
		return output_copy_of(c, &t);
	}
	int64_t one = 1;
	if (!strcmp(name, "value_float") || !strcmp(name, "value_int")) {
		bool is_float = name[6] == 'f';
		void *out =
		    eval_output(c, 0, is_float ? IR_FLOAT : IR_INT64, 0, NULL);
		if (!out)
			return EVAL_UNSUPPORTED;
		if (is_float)
			memcpy(out, &p->f, sizeof(float));
		else
			memcpy(out, &p->i, sizeof(int64_t));
		return EVAL_OK;
	}
	if (!strcmp(name, "value_floats") || !strcmp(name, "value_ints")) {
		bool is_float = name[6] == 'f';
		int64_t n = (int64_t)(is_float ? p->n_floats : p->n_ints);
		void *out =
		    eval_output(c, 0, is_float ? IR_FLOAT : IR_INT64, 1, &n);
		if (!out)
			return EVAL_UNSUPPORTED;
		if (n)
			memcpy(out, is_float ? (void *)p->floats : p->ints,
			       (size_t)n * (is_float ? 4 : 8));
		return EVAL_OK;
	}
	if (!strcmp(name, "value_string")) {
		ProtobufCBinaryData *out =
		    eval_output(c, 0, IR_STRING, 0, NULL);
		if (!out)
			return EVAL_UNSUPPORTED;
		out[0] = p->s;
		return EVAL_OK;
	}
	if (!strcmp(name, "value_strings")) {
		int64_t n = (int64_t)p->n_strings;
		ProtobufCBinaryData *out = eval_output(c, 0, IR_STRING, 1, &n);
		if (!out)
			return EVAL_UNSUPPORTED;
		for (int64_t i = 0; i < n; i++)
			out[i] = p->strings[i];
		return EVAL_OK;
	}
	(void)one;
	return eval_unsupported(c, "attribute '%s'", name);
}

int eval_constant_of_shape(eval_call *c)
{
	const int64_t *shape;
	int64_t n;
	if (!eval_input_ints(c, 0, &shape, &n))
		return EVAL_ERROR;
	if (n > EVAL_MAX_RANK)
		return eval_unsupported(c, "of rank %lld", (long long)n);
	eval_tensor value = {0};
	float zero = 0;
	const ir_attr *a = ir_node_attr(c->node, "value");
	if (a) {
		if (!a->tensor || !eval_decode(c, a->tensor, &value) ||
		    value.numel != 1)
			return eval_error(c, "value must hold one element");
	} else {
		value = (eval_tensor){.present = true,
		                      .elem_type = IR_FLOAT,
		                      .numel = 1,
		                      .elem_size = 4,
		                      .data = &zero};
	}
	for (int i = 0; i < n; i++)
		if (shape[i] < 0)
			return eval_error(c, "negative dim");
	char *out = eval_output(c, 0, value.elem_type, (int)n, shape);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t numel = eval_numel(shape, (int)n);
	for (int64_t i = 0; i < numel; i++)
		memcpy(out + (size_t)i * value.elem_size, value.data,
		       value.elem_size);
	return EVAL_OK;
}

int eval_shape(eval_call *c)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *t = &c->in[0];
	int64_t start, end;
	op_shape_range(c->node, c->opset, t->rank, &start, &end);
	int64_t n = end > start ? end - start : 0;
	int64_t *out = eval_output(c, 0, IR_INT64, 1, &n);
	if (!out)
		return EVAL_UNSUPPORTED;
	for (int64_t i = 0; i < n; i++)
		out[i] = t->dims[start + i];
	return EVAL_OK;
}

int eval_size(eval_call *c)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	int64_t *out = eval_output(c, 0, IR_INT64, 0, NULL);
	if (!out)
		return EVAL_UNSUPPORTED;
	out[0] = c->in[0].numel;
	return EVAL_OK;
}

int eval_range(eval_call *c)
{
	for (int k = 0; k < 3; k++)
		if (!eval_has_input(c, k) || c->in[k].numel != 1 ||
		    c->in[k].elem_type != c->in[0].elem_type)
			return eval_error(c, "needs three scalars of one type");
	int type = c->in[0].elem_type;
	eval_kind kind = eval_kind_of(type);
	if (kind == EVAL_KIND_FLOAT) {
		double start = eval_doubles(c, &c->in[0])[0];
		double limit = eval_doubles(c, &c->in[1])[0];
		double delta = eval_doubles(c, &c->in[2])[0];
		if (delta == 0 || !isfinite(start) || !isfinite(limit) ||
		    !isfinite(delta))
			return eval_error(c, "has a zero or non-finite input");
		/* limit - start can overflow to inf: the count is checked
		 * before it becomes an int64. */
		double count = ceil((limit - start) / delta);
		if (!(count <= 1e12))
			return eval_unsupported(c, "of %g elements", count);
		int64_t n = count > 0 ? (int64_t)count : 0;
		void *out = eval_output(c, 0, type, 1, &n);
		if (!out)
			return EVAL_UNSUPPORTED;
		double *v = eval_alloc(c, sizeof *v * (size_t)n);
		for (int64_t i = 0; i < n; i++)
			v[i] = start + (double)i * delta;
		eval_store_doubles(out, type, v, n);
		return EVAL_OK;
	}
	if (kind != EVAL_KIND_SIGNED)
		return eval_unsupported(c, "on %s", ir_elem_name(type));
	int64_t start = eval_int64s(c, &c->in[0])[0];
	int64_t limit = eval_int64s(c, &c->in[1])[0];
	int64_t delta = eval_int64s(c, &c->in[2])[0];
	if (delta == 0)
		return eval_error(c, "has delta 0");
	/* ceil((limit - start) / delta), exactly: the distance between two
	 * int64s always fits in a uint64 (Range(-2^63, 2^63-1, 2^62) has 4
	 * elements, as in ONNX Runtime). */
	uint64_t span = 0, step = 0;
	if (delta > 0 && limit > start) {
		span = (uint64_t)limit - (uint64_t)start;
		step = (uint64_t)delta;
	} else if (delta < 0 && limit < start) {
		span = (uint64_t)start - (uint64_t)limit;
		step = 0 - (uint64_t)delta;
	}
	uint64_t count = step ? span / step + (span % step != 0) : 0;
	if (count > ((uint64_t)1 << 40))
		return eval_unsupported(c, "of %llu elements",
		                        (unsigned long long)count);
	int64_t n = (int64_t)count;
	void *out = eval_output(c, 0, type, 1, &n);
	if (!out)
		return EVAL_UNSUPPORTED;
	/* Every element lies between start and limit, but i * delta alone
	 * may not fit: step in uint64, where wrapping is defined. */
	int64_t *v = eval_alloc(c, sizeof *v * (size_t)n);
	for (int64_t i = 0; i < n; i++)
		v[i] =
		    (int64_t)((uint64_t)start + (uint64_t)i * (uint64_t)delta);
	eval_store_int64s(out, type, v, n);
	return EVAL_OK;
}

/* An element of value 1 in any numeric type. */
static bool one_of_type(int type, void *out)
{
	double one = 1.0;
	if (eval_kind_of(type) == EVAL_KIND_NONE ||
	    eval_kind_of(type) == EVAL_KIND_STRING)
		return false;
	eval_store_doubles(out, type, &one, 1);
	return true;
}

int eval_eye_like(eval_call *c)
{
	if (!eval_has_input(c, 0) || c->in[0].rank != 2)
		return eval_error(c, "needs a 2-D input");
	const eval_tensor *t = &c->in[0];
	int type = ir_attr_elem_type(c->node, "dtype", t->elem_type);
	int64_t k = eval_attr_int(c, "k", 0);
	char one[16];
	if (!one_of_type(type, one))
		return eval_unsupported(c, "dtype %s", ir_elem_name(type));
	char *out = eval_output(c, 0, type, 2, t->dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	size_t es = eval_elem_size(type);
	/* untrusted attribute: a k past the matrix leaves it all zeros,
	 * and i + k could overflow */
	if (k >= t->dims[1] || k <= -t->dims[0])
		return EVAL_OK;
	for (int64_t i = 0; i < t->dims[0]; i++) {
		int64_t j = i + k;
		if (j >= 0 && j < t->dims[1])
			memcpy(out + (size_t)(i * t->dims[1] + j) * es, one,
			       es);
	}
	return EVAL_OK;
}

int eval_one_hot(eval_call *c)
{
	for (int k = 0; k < 3; k++)
		if (!eval_has_input(c, k))
			return eval_error(c, "input %d is absent", k);
	const eval_tensor *indices = &c->in[0], *values = &c->in[2];
	double depth_value;
	if (!eval_input_scalar(c, 1, &depth_value))
		return EVAL_ERROR;
	if (values->numel != 2)
		return eval_error(c, "values must hold [off, on]");
	/* untrusted value: NaN or a huge depth has no int64 */
	if (!eval_fits_int64(depth_value))
		return eval_unsupported(c, "depth %g", depth_value);
	int64_t depth = (int64_t)depth_value;
	if (depth < 1 || depth > (1 << 24))
		return eval_unsupported(c, "depth %lld", (long long)depth);
	int rank = indices->rank + 1, axis;
	if (rank > EVAL_MAX_RANK ||
	    !eval_axis(c, eval_attr_int(c, "axis", -1), rank, &axis))
		return EVAL_ERROR;
	int64_t dims[EVAL_MAX_RANK];
	for (int i = 0, j = 0; i < rank; i++)
		dims[i] = i == axis ? depth : indices->dims[j++];
	char *out = eval_output(c, 0, values->elem_type, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	size_t es = values->elem_size;
	const char *off = values->data, *on = off + es;
	int64_t numel = eval_numel(dims, rank);
	for (int64_t i = 0; i < numel; i++)
		memcpy(out + (size_t)i * es, off, es);
	int64_t outer = eval_numel(dims, axis);
	int64_t inner = eval_numel(dims + axis + 1, rank - axis - 1);
	const double *idx = eval_doubles(c, indices);
	for (int64_t o = 0; o < outer; o++)
		for (int64_t r = 0; r < inner; r++) {
			double x = idx[o * inner + r];
			if (!eval_fits_int64(x))
				continue; /* NaN or far out of range: all off */
			int64_t v = (int64_t)x;
			if (v < 0)
				v += depth;
			if (v < 0 || v >= depth)
				continue;
			memcpy(out + (size_t)((o * depth + v) * inner + r) * es,
			       on, es);
		}
	return EVAL_OK;
}

int eval_trilu(eval_call *c)
{
	if (!eval_has_input(c, 0) || c->in[0].rank < 2)
		return eval_error(c, "needs an input of rank >= 2");
	const eval_tensor *t = &c->in[0];
	int64_t k = 0;
	if (eval_has_input(c, 1)) {
		const int64_t *kv;
		int64_t n;
		if (!eval_input_ints(c, 1, &kv, &n) || n != 1)
			return eval_error(c, "k must be one integer");
		k = kv[0];
	}
	bool upper = eval_attr_int(c, "upper", 1) != 0;
	char *out = eval_output_like(c, 0, t, t->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	size_t es = t->elem_size;
	int64_t rows = t->dims[t->rank - 2], cols = t->dims[t->rank - 1];
	int64_t mats = eval_numel(t->dims, t->rank - 2);
	const char *in = t->data;
	/* The output is zeroed: copy only the kept triangle. */
	for (int64_t m = 0; m < mats; m++)
		for (int64_t i = 0; i < rows; i++)
			for (int64_t j = 0; j < cols; j++) {
				bool keep = upper ? j - i >= k : j - i <= k;
				size_t at =
				    (size_t)((m * rows + i) * cols + j) * es;
				if (keep)
					memcpy(out + at, in + at, es);
			}
	return EVAL_OK;
}
