/*
 * test_shape_util.h - helpers for the shape-inference tests: graph inputs
 * with symbolic dims spelled as text, and types printed as text to
 * compare ("float[batch,seq,12,64]").
 */
#ifndef ONNXOPT_TESTS_TEST_SHAPE_UTIL_H
#define ONNXOPT_TESTS_TEST_SHAPE_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shape/shape.h"
#include "test_util.h"

/* A graph input whose dims are spelled "batch,seq,768": numbers are
 * static, "?" unknown, anything else a dim_param. NULL: unknown rank. */
static inline ir_value *input(ir_graph *g, const char *name, int elem,
                              const char *dims)
{
	ir_dim d[16];
	int rank = -1;
	if (dims) {
		rank = 0;
		char buf[256];
		snprintf(buf, sizeof buf, "%s", dims);
		for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (!strcmp(tok, "?"))
				d[rank++] = (ir_dim){IR_DIM_UNKNOWN, 0, NULL};
			else if (tok[0] >= '0' && tok[0] <= '9')
				d[rank++] =
				    (ir_dim){IR_DIM_VALUE, atoll(tok), NULL};
			else
				d[rank++] = (ir_dim){IR_DIM_PARAM, 0,
				                     ir_strdup(g->model, tok)};
		}
	}
	return ir_graph_add_input(g, name, elem, rank, d);
}

/* "float[batch,seq,12,64]", "int64[]", "float?" (unknown rank). */
static inline const char *type_text(const ir_value *v)
{
	static char buf[512];
	const ir_type *t = &v->type;
	int n = snprintf(buf, sizeof buf, "%s", ir_elem_name(t->elem_type));
	if (t->rank < 0) {
		snprintf(buf + n, sizeof buf - (size_t)n, "?");
		return buf;
	}
	n += snprintf(buf + n, sizeof buf - (size_t)n, "[");
	for (int i = 0; i < t->rank; i++) {
		const ir_dim *d = &t->dims[i];
		const char *sep = i ? "," : "";
		if (d->kind == IR_DIM_VALUE)
			n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%lld",
			              sep, (long long)d->value);
		else if (d->kind == IR_DIM_PARAM)
			n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%s",
			              sep, d->param);
		else
			n += snprintf(buf + n, sizeof buf - (size_t)n, "%s?",
			              sep);
	}
	snprintf(buf + n, sizeof buf - (size_t)n, "]");
	return buf;
}

#define assert_type(value, text) ck_assert_str_eq(type_text(value), (text))

static inline void infer(ir_model *m)
{
	shape_infer_model(m);
	tu_assert_valid(m);
}

static inline ir_value *ints(ir_graph *g, const int64_t *data, int n)
{
	return tu_initializer_i64(g, "c", data, (const int64_t[]){n}, 1);
}

static inline ir_value *scalar_i64(ir_graph *g, int64_t v)
{
	return tu_initializer_i64(g, "s", &v, NULL, 0);
}

#endif
