/*
 * value.c - symbolic contents of shape tensors.
 *
 *   x:[batch,seq,768] -> Shape -> Gather(0) -> Unsqueeze --+
 *                     -> Shape -> Gather(1) -> Unsqueeze --+-> Concat
 *                              Constant [12, 64] ----------+     |
 *   x -------------------------------------------------------> Reshape
 *
 * Reshape's target above is {batch, seq, 12, 64}: this module follows a
 * small int tensor back through the ops that build shapes and computes its
 * elements as dim expressions. Results are memoized per value for one
 * analysis, so a DAG of shape arithmetic costs one visit per value.
 *
 * Legality: every element is exact. Integer Div is only followed where
 * ONNX's truncating division and floor division agree (a non-negative
 * numerator and a positive divisor), and casts to narrower integers are
 * applied to constants only.
 */
#include <string.h>

#include "ir_arena.h"
#include "value.h"

#define MAX_DEPTH 64

struct value_memo {
	ir_value *key;
	shape_value *value; /* NULL: not a shape tensor we can follow */
	UT_hash_handle hh;
};

shape_analysis *shape_analysis_create(ir_model *model)
{
	shape_analysis *a = ir_xcalloc(1, sizeof *a);
	a->model = model;
	return a;
}

void shape_analysis_forget(shape_analysis *analysis)
{
	struct value_memo *m, *tmp;
	HASH_ITER(hh, analysis->memo, m, tmp)
	{
		HASH_DEL(analysis->memo, m);
		free(m->value);
		free(m);
	}
}

void shape_analysis_free(shape_analysis *analysis)
{
	if (!analysis)
		return;
	shape_analysis_forget(analysis);
	free(analysis);
}

/* ------------------------------------------------------------ constants */

bool value_is_integer_elem(int elem)
{
	switch (elem) {
	case IR_INT8:
	case IR_INT16:
	case IR_INT32:
	case IR_INT64:
	case IR_UINT8:
	case IR_UINT16:
	case IR_UINT32:
	case IR_UINT64:
	case IR_BOOL: return true;
	default: return false;
	}
}

/* Element i of little-endian integer data, sign-extended as its type
 * says; false for a uint64 beyond int64. */
static bool element_int64(const uint8_t *data, int elem, int64_t i,
                          int64_t *out)
{
	int bytes = ir_elem_bits(elem) / 8;
	uint64_t u = 0;
	memcpy(&u, data + (size_t)i * (size_t)bytes, (size_t)bytes);
	if (elem == IR_BOOL) {
		*out = u != 0;
		return true;
	}
	bool is_signed = elem == IR_INT8 || elem == IR_INT16 ||
	                 elem == IR_INT32 || elem == IR_INT64;
	if (is_signed && bytes < 8 && (u >> (8 * bytes - 1)))
		u |= ~(((uint64_t)1 << (8 * bytes)) - 1);
	if (!is_signed && u > INT64_MAX)
		return false;
	*out = (int64_t)u;
	return true;
}

bool value_read_tensor(ir_model *model, const ir_tensor *t, shape_value *out)
{
	int64_t numel = ir_tensor_numel(t);
	if (!value_is_integer_elem(t->elem_type) || t->rank > 1 || numel < 0 ||
	    numel > SHAPE_VALUE_MAX)
		return false;
	const void *data;
	size_t size;
	if (!ir_tensor_raw(model, t, &data, &size))
		return false;
	for (int64_t i = 0; i < numel; i++) {
		int64_t v;
		if (!element_int64(data, t->elem_type, i, &v))
			return false;
		out->elems[i] = dim_const(v);
	}
	out->elem_type = t->elem_type;
	out->rank = t->rank;
	out->n = (int)numel;
	return true;
}

bool value_read_constant_node(ir_model *model, const ir_node *node,
                              shape_value *out)
{
	const ir_attr *a;
	if ((a = ir_node_attr(node, "value")) && a->tensor)
		return value_read_tensor(model, a->tensor, out);
	if ((a = ir_node_attr(node, "value_int")) && a->proto->has_i) {
		out->elem_type = IR_INT64;
		out->rank = 0;
		out->n = 1;
		out->elems[0] = dim_const(a->proto->i);
		return true;
	}
	if ((a = ir_node_attr(node, "value_ints")) &&
	    a->proto->n_ints <= SHAPE_VALUE_MAX) {
		out->elem_type = IR_INT64;
		out->rank = 1;
		out->n = (int)a->proto->n_ints;
		for (int i = 0; i < out->n; i++)
			out->elems[i] = dim_const(a->proto->ints[i]);
		return true;
	}
	return false;
}

static bool evaluate(shape_analysis *analysis, ir_value *value,
                     shape_value *out)
{
	if (!value->type.is_tensor)
		return false;
	if (ir_value_is_constant(value))
		return value_read_tensor(analysis->model, value->tensor, out);
	if (!ir_value_producer(value) || value->producer_index != 0)
		return false;
	value_env env = {
	    analysis, value->producer,
	    ir_model_opset(analysis->model, value->producer->domain)};
	if (!value_follow(&env, out))
		return false;
	/* A rank that contradicts the value's known type means the model
	 * is not what we think it is; trust neither. */
	if (value->type.rank >= 0 && value->type.rank != out->rank)
		return false;
	return true;
}

const shape_value *shape_analysis_value(shape_analysis *analysis,
                                        ir_value *value)
{
	struct value_memo *m;
	HASH_FIND_PTR(analysis->memo, &value, m);
	if (m)
		return m->value;
	if (analysis->depth >= MAX_DEPTH)
		return NULL;
	analysis->depth++;
	shape_value *sv = ir_xmalloc(sizeof *sv);
	if (!evaluate(analysis, value, sv)) {
		free(sv);
		sv = NULL;
	}
	analysis->depth--;
	m = ir_xcalloc(1, sizeof *m);
	m->key = value;
	m->value = sv;
	HASH_ADD_PTR(analysis->memo, key, m);
	return sv;
}

/* ------------------------------------------------------------ public API */

bool shape_value_of(ir_value *value, shape_value *out)
{
	shape_analysis *analysis = shape_analysis_create(value->graph->model);
	const shape_value *sv = shape_analysis_value(analysis, value);
	if (sv)
		*out = *sv;
	shape_analysis_free(analysis);
	return sv != NULL;
}

shape_analysis *shape_values_begin(ir_model *model)
{
	return shape_analysis_create(model);
}

bool shape_values_get(shape_analysis *analysis, ir_value *value,
                      shape_value *out)
{
	const shape_value *sv = shape_analysis_value(analysis, value);
	if (sv)
		*out = *sv;
	return sv != NULL;
}

void shape_values_end(shape_analysis *analysis)
{
	shape_analysis_free(analysis);
}

bool shape_value_equal(const shape_value *a, const shape_value *b)
{
	if (a->elem_type != b->elem_type || a->rank != b->rank || a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (!dim_equal(&a->elems[i], &b->elems[i]))
			return false;
	return true;
}

uint64_t shape_value_hash(const shape_value *v)
{
	uint64_t h = IR_HASH_SEED;
	uint64_t header = ((uint64_t)(uint32_t)v->elem_type << 32) ^
	                  ((uint64_t)(uint32_t)v->rank << 16) ^ (uint64_t)v->n;
	h ^= header;
	h *= 1099511628211ULL;
	for (int i = 0; i < v->n; i++)
		h = dim_hash(&v->elems[i], h);
	return h;
}

bool shape_value_ints(ir_value *value, int64_t *out, int max, int *n)
{
	shape_value sv;
	if (!shape_value_of(value, &sv) || sv.n > max)
		return false;
	for (int i = 0; i < sv.n; i++)
		if (!dim_is_const(&sv.elems[i], &out[i]))
			return false;
	*n = sv.n;
	return true;
}
