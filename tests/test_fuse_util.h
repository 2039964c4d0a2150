/*
 * test_fuse_util.h - small builders and probes shared by the fusion tests
 * (tests/test_pass_fuse_*.c, tests/test_match.c), on top of test_util.h.
 */
#ifndef ONNXOPT_TESTS_TEST_FUSE_UTIL_H
#define ONNXOPT_TESTS_TEST_FUSE_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/eval.h"
#include "test_util.h"

/* A float32 scalar initializer. */
static inline ir_value *fu_scalar(ir_graph *g, float v)
{
	return tu_initializer_f32(g, "k", &v, TU_SCALAR);
}

/* A float32 scalar produced by a Constant node (value tensor). */
static inline ir_value *fu_constant_scalar(ir_graph *g, float v)
{
	ir_node *node = tu_node(g, "Constant", NULL, 0, 1);
	ir_tensor *t =
	    ir_tensor_create(g->model, IR_FLOAT, 0, NULL, &v, sizeof v);
	ir_node_set_attr_tensor(node, "value", t);
	return node->outputs[0];
}

/* A 1-D int64 initializer. */
static inline ir_value *fu_ints(ir_graph *g, const int64_t *v, int n)
{
	int64_t dims[1] = {n};
	return tu_initializer_i64(g, "ints", v, dims, 1);
}

/* A 1-D float32 initializer of n values start, start + step, ... */
static inline ir_value *fu_ramp(ir_graph *g, const char *hint, int n,
                                float start, float step)
{
	float v[256];
	for (int i = 0; i < n && i < 256; i++)
		v[i] = start + step * (float)i;
	int64_t dims[1] = {n};
	return tu_initializer_f32(g, hint, v, dims, 1);
}

/* The constant data behind an initializer or Constant output, as floats
 * (float32 tensors only); fails the test otherwise. */
static inline const float *fu_floats(ir_value *v, int64_t *numel)
{
	ir_tensor *t = v->tensor;
	if (!t && v->producer && !strcmp(v->producer->op_type, "Constant"))
		t = v->producer->attrs[0].tensor;
	ck_assert_msg(t && t->elem_type == IR_FLOAT, "'%s' is not float data",
	              v->name);
	const void *data;
	size_t size;
	ck_assert(ir_tensor_raw(v->graph->model, t, &data, &size));
	if (numel)
		*numel = ir_tensor_numel(t);
	return data;
}

static inline const int64_t *fu_int64s(ir_value *v, int64_t *numel)
{
	ir_tensor *t = v->tensor;
	ck_assert_msg(t && t->elem_type == IR_INT64, "'%s' is not int64 data",
	              v->name);
	const void *data;
	size_t size;
	ck_assert(ir_tensor_raw(v->graph->model, t, &data, &size));
	if (numel)
		*numel = ir_tensor_numel(t);
	return data;
}

/* The INTS attribute as a comma-separated string ("0,2,1"), for easy
 * assertions; "" when absent. */
static inline const char *fu_ints_attr(const ir_node *node, const char *name)
{
	static char buf[256];
	buf[0] = 0;
	const ir_attr *a = ir_node_attr(node, name);
	for (size_t i = 0; a && i < a->proto->n_ints; i++) {
		size_t len = strlen(buf);
		snprintf(buf + len, sizeof buf - len, "%s%lld", i ? "," : "",
		         (long long)a->proto->ints[i]);
	}
	return buf;
}

/* The same for an int64 initializer. */
static inline const char *fu_ints_value(ir_value *v)
{
	static char buf[256];
	int64_t n;
	const int64_t *data = fu_int64s(v, &n);
	buf[0] = 0;
	for (int64_t i = 0; i < n; i++) {
		size_t len = strlen(buf);
		snprintf(buf + len, sizeof buf - len, "%s%lld", i ? "," : "",
		         (long long)data[i]);
	}
	return buf;
}

/* The node defining a value (NULL for inputs and initializers). */
static inline ir_node *fu_producer(const ir_value *v)
{
	return v->def == IR_DEF_NODE ? v->producer : NULL;
}

static inline void fu_assert_near(double got, double want, double tol)
{
	ck_assert_msg(fabs(got - want) <= tol, "got %.9g, want %.9g", got,
	              want);
}

/* ------------------------------------------------ numeric equivalence */

/* Run the main graph on `inputs` (one tensor per graph input that is not
 * an initializer, in order) with the reference evaluator. Outputs are
 * model-owned copies. False, with the reason in `why`, when a node cannot
 * be evaluated. Uses value->scratch and leaves it NULL. */
static inline bool fu_eval(ir_model *m, ir_tensor *const *inputs,
                           ir_tensor **outputs, char *why, size_t why_size)
{
	ir_graph *g = m->graph;
	bool ok = true;
	for (int i = 0, k = 0; i < g->n_inputs; i++)
		if (!g->inputs[i]->tensor)
			g->inputs[i]->scratch = inputs[k++];
	for (ir_node *n = g->first; n && ok; n = n->next) {
		ir_tensor *in[64] = {0};
		for (int i = 0; i < n->n_inputs && i < 64; i++) {
			ir_value *v = n->inputs[i];
			in[i] = !v ? NULL : v->scratch ? v->scratch : v->tensor;
		}
		eval_call call;
		eval_call_begin(&call, m, n, in, n->n_inputs, -1);
		if (eval_run(&call) != EVAL_OK) {
			snprintf(why, why_size, "%s: %s", n->op_type,
			         call.reason);
			ok = false;
		}
		for (int o = 0; ok && o < n->n_outputs; o++) {
			ir_tensor *t = call.outputs[o];
			if (!n->outputs[o] || !t)
				continue;
			n->outputs[o]->scratch =
			    ir_tensor_create(m, t->elem_type, t->rank, t->dims,
			                     t->raw, t->raw_size);
		}
		eval_call_end(&call);
	}
	for (int i = 0; ok && i < g->n_outputs; i++) {
		ir_value *v = g->outputs[i];
		outputs[i] = v->scratch ? v->scratch : v->tensor;
		ok = outputs[i] != NULL;
	}
	for (int i = 0; i < g->n_inputs; i++)
		g->inputs[i]->scratch = NULL;
	for (ir_node *n = g->first; n; n = n->next)
		for (int o = 0; o < n->n_outputs; o++)
			if (n->outputs[o])
				n->outputs[o]->scratch = NULL;
	return ok;
}

/* Random inputs for every non-initializer graph input with static dims:
 * floats uniform in [-2, 2], integers in [0, 3], bools 0/1. */
static inline void fu_random_inputs(ir_model *m, unsigned seed, ir_tensor **out,
                                    int *n)
{
	ir_graph *g = m->graph;
	*n = 0;
	for (int i = 0; i < g->n_inputs; i++) {
		ir_value *v = g->inputs[i];
		if (v->tensor)
			continue;
		int rank = v->type.rank;
		int64_t dims[16], numel = 1;
		ck_assert_msg(rank >= 0 && rank <= 16, "input %s", v->name);
		for (int d = 0; d < rank; d++) {
			ck_assert(v->type.dims[d].kind == IR_DIM_VALUE);
			dims[d] = v->type.dims[d].value;
			numel *= dims[d];
		}
		int type = v->type.elem_type;
		size_t size = (size_t)numel * (size_t)(ir_elem_bits(type) / 8);
		uint8_t *raw = ir_alloc(m, size ? size : 1);
		for (int64_t e = 0; e < numel; e++) {
			seed = seed * 1103515245u + 12345u;
			double r = (double)((seed >> 8) & 0xffff) / 65535.0;
			if (type == IR_FLOAT) {
				float f = (float)(4 * r - 2);
				memcpy(raw + 4 * e, &f, 4);
			} else if (type == IR_INT64) {
				int64_t x = (int64_t)(r * 3.999);
				memcpy(raw + 8 * e, &x, 8);
			} else if (type == IR_BOOL) {
				raw[e] = r > 0.5;
			} else {
				ck_abort_msg("unsupported input type %d", type);
			}
		}
		out[(*n)++] = ir_tensor_create(m, type, rank, dims, raw, size);
	}
}

static inline void fu_assert_tensors_near(ir_model *ma, ir_tensor *a,
                                          ir_model *mb, ir_tensor *b,
                                          double tol)
{
	ck_assert_int_eq(a->elem_type, b->elem_type);
	ck_assert_int_eq(a->rank, b->rank);
	for (int d = 0; d < a->rank; d++)
		ck_assert_int_eq(a->dims[d], b->dims[d]);
	const void *da, *db;
	size_t sa, sb;
	ck_assert(ir_tensor_raw(ma, a, &da, &sa));
	ck_assert(ir_tensor_raw(mb, b, &db, &sb));
	ck_assert_int_eq(sa, sb);
	if (a->elem_type != IR_FLOAT) {
		ck_assert_msg(!memcmp(da, db, sa), "outputs differ");
		return;
	}
	for (size_t i = 0; i < sa / 4; i++) {
		float x = ((const float *)da)[i], y = ((const float *)db)[i];
		ck_assert_msg(fabsf(x - y) <= tol * (1 + fabsf(x)),
		              "element %zu: %.9g vs %.9g", i, x, y);
	}
}

/* Run `passes` on m (verifier on) and check, on random inputs, that the
 * evaluator computes the same outputs before and after. Returns the number
 * of changes the passes reported. */
static inline int fu_run_equivalent(ir_model *m, const char *passes, double tol)
{
	size_t size;
	uint8_t *bytes = tu_save_bytes(m, &size);
	ir_model *before = tu_load_bytes(bytes, size);
	free(bytes);
	int changes = tu_run(m, passes);
	for (unsigned seed = 1; seed <= 3; seed++) {
		ir_tensor *in[16], *out_a[16], *out_b[16];
		int n;
		char why[300];
		fu_random_inputs(before, seed, in, &n);
		ck_assert_msg(fu_eval(before, in, out_a, why, sizeof why),
		              "original: %s", why);
		ir_tensor *in_b[16];
		for (int i = 0; i < n; i++)
			in_b[i] = ir_tensor_create(m, in[i]->elem_type,
			                           in[i]->rank, in[i]->dims,
			                           in[i]->raw, in[i]->raw_size);
		ck_assert_msg(fu_eval(m, in_b, out_b, why, sizeof why),
		              "optimized: %s", why);
		ck_assert_int_eq(before->graph->n_outputs, m->graph->n_outputs);
		for (int i = 0; i < m->graph->n_outputs; i++)
			fu_assert_tensors_near(before, out_a[i], m, out_b[i],
			                       tol);
	}
	ir_model_free(before);
	return changes;
}

#endif
