/*
 * match_const.c - constants and dtypes as fusions see them.
 *
 * A fusion asks "is this a constant, and what are its numbers?" for
 * initializers and Constant nodes alike (through pass_util), and writes
 * new weights in the dtype of the old ones. Arithmetic on weights is done
 * in double and rounded once to the target type; 16-bit formats use the
 * evaluator's conversions (round to nearest even).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/eval.h"
#include "ir_arena.h"
#include "match.h"
#include "pass_util.h"

/* Whether pass_element_as_double reads this type: the numbers. */
static bool is_number_type(int elem_type)
{
	double v;
	return pass_element_as_double(elem_type, &(uint64_t){0}, 0, &v);
}

double match_const_get(const match_const *c, int64_t i)
{
	double v;
	return pass_element_as_double(c->elem_type, c->data, i, &v) ? v : NAN;
}

double *match_const_doubles(const match_const *c)
{
	if (!is_number_type(c->elem_type))
		return NULL;
	double *out =
	    ir_xmalloc(sizeof *out * (size_t)(c->numel ? c->numel : 1));
	for (int64_t i = 0; i < c->numel; i++)
		out[i] = match_const_get(c, i);
	return out;
}

bool match_const_int64s(const match_const *c, int64_t *out, int max, int *n)
{
	if (c->numel > max ||
	    (c->elem_type != IR_INT64 && c->elem_type != IR_INT32))
		return false;
	for (int64_t i = 0; i < c->numel; i++)
		pass_element_as_int64(c->elem_type, c->data, i, &out[i]);
	*n = (int)c->numel;
	return true;
}

/* ----------------------------------------------------- mixed precision */

ir_value *match_scaled_operand(match *m, ir_node *scale, ir_value **gamma,
                               int *cast_to)
{
	*cast_to = 0;
	if (m->failed || !scale || scale->n_inputs != 2 || !scale->inputs[0] ||
	    !scale->inputs[1])
		return match_check(m, false), NULL;
	match_const probe;
	int gamma_index =
	    match_read_constant(m->model, scale->inputs[1], &probe) ? 1 : 0;
	*gamma = scale->inputs[gamma_index];
	ir_value *n = scale->inputs[1 - gamma_index];
	match_mark mark = match_save(m);
	ir_node *cast = match_producer(m, n, "Cast");
	if (!cast) {
		match_restore(m, mark);
		return n;
	}
	*cast_to = ir_attr_elem_type(cast, "to", 0);
	return match_operand(m, cast, 0);
}

ir_value *match_constant_as(match *m, const match_const *c, int elem_type)
{
	double *v = match_const_doubles(c);
	ir_value *out = match_add_initializer_doubles(
	    m->graph, c->value->name, elem_type, c->rank, c->dims, v);
	free(v);
	return out;
}

ir_node *match_emit_cast(match *m, ir_node *fused, int cast_to)
{
	if (!cast_to)
		return fused;
	ir_node *cast = match_emit(m, "Cast", &fused->outputs[0], 1, 1);
	ir_node_set_attr_int(cast, "to", cast_to);
	return cast;
}

/* ------------------------------------------------------------- reading */

static bool view_tensor(ir_model *model, const ir_tensor *t, match_const *out)
{
	if (t->rank > MATCH_MAX_RANK || t->elem_type == IR_STRING)
		return false;
	const void *data;
	size_t size;
	if (!ir_tensor_raw(model, t, &data, &size))
		return false;
	out->elem_type = t->elem_type;
	out->rank = t->rank;
	for (int i = 0; i < t->rank; i++)
		out->dims[i] = t->dims[i];
	out->numel = ir_tensor_numel(t);
	out->data = data;
	return out->numel >= 0;
}

bool match_read_constant(ir_model *model, ir_value *value, match_const *out)
{
	memset(out, 0, sizeof *out);
	/* pass_util knows every way a constant is spelled (initializers
	 * that are not overridable, each Constant attribute). */
	ir_tensor *t = pass_constant_tensor(value);
	if (!t)
		return false;
	out->value = value;
	if (value->def == IR_DEF_NODE)
		out->constant_node = value->producer;
	return view_tensor(model, t, out);
}

bool match_constant(match *m, ir_value *value, match_const *out)
{
	if (m->failed)
		return false;
	if (!match_read_constant(m->model, value, out))
		return match_check(m, false);
	return true;
}

double match_scalar(match *m, ir_value *value)
{
	match_const c;
	if (!match_constant(m, value, &c))
		return NAN;
	if (c.numel != 1 || !is_number_type(c.elem_type)) {
		m->failed = true;
		return NAN;
	}
	return match_const_get(&c, 0);
}

bool match_scalar_near(match *m, ir_value *value, double want, double rel_tol)
{
	double got = match_scalar(m, value);
	if (m->failed)
		return false;
	return match_check(m, fabs(got - want) <= rel_tol * fabs(want));
}

/* ------------------------------------------------------------- writing */

ir_tensor *match_tensor_from_doubles(ir_model *model, int elem_type, int rank,
                                     const int64_t *dims, const double *values)
{
	int64_t numel = 1;
	for (int i = 0; i < rank; i++)
		numel *= dims[i];
	size_t bytes = (size_t)numel * (size_t)(ir_elem_bits(elem_type) / 8);
	uint8_t *raw = ir_xmalloc(bytes ? bytes : 1);
	for (int64_t i = 0; i < numel; i++) {
		double v = values[i];
		switch (elem_type) {
		case IR_FLOAT: {
			float f = (float)v;
			memcpy(raw + 4 * i, &f, 4);
			break;
		}
		case IR_DOUBLE: memcpy(raw + 8 * i, &v, 8); break;
		case IR_FLOAT16: {
			uint16_t h = eval_float_to_half((float)v);
			memcpy(raw + 2 * i, &h, 2);
			break;
		}
		case IR_BFLOAT16: {
			uint16_t h = eval_float_to_bfloat((float)v);
			memcpy(raw + 2 * i, &h, 2);
			break;
		}
		case IR_INT64: {
			int64_t n = (int64_t)v;
			memcpy(raw + 8 * i, &n, 8);
			break;
		}
		case IR_INT32: {
			int32_t n = (int32_t)v;
			memcpy(raw + 4 * i, &n, 4);
			break;
		}
		default:
			memset(raw + (size_t)i * (bytes / (size_t)numel), 0,
			       bytes / (size_t)numel);
		}
	}
	ir_tensor *t =
	    ir_tensor_create(model, elem_type, rank, dims, raw, bytes);
	free(raw);
	return t;
}

ir_value *match_add_initializer_doubles(ir_graph *graph, const char *hint,
                                        int elem_type, int rank,
                                        const int64_t *dims,
                                        const double *values)
{
	ir_tensor *t = match_tensor_from_doubles(graph->model, elem_type, rank,
	                                         dims, values);
	return ir_initializer_add(graph, hint, t);
}

ir_value *match_add_initializer_int64s(ir_graph *graph, const char *hint,
                                       int rank, const int64_t *dims,
                                       const int64_t *values)
{
	int64_t numel = 1;
	for (int i = 0; i < rank; i++)
		numel *= dims[i];
	ir_tensor *t = ir_tensor_create(graph->model, IR_INT64, rank, dims,
	                                values, sizeof *values * (size_t)numel);
	return ir_initializer_add(graph, hint, t);
}
