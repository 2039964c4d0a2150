/*
 * test_eliminate_util.h - small builders the elimination pass tests share,
 * on top of test_util.h: typed initializers, Constant nodes, and a look at
 * who defines a graph output.
 */
#ifndef ONNXOPT_TESTS_TEST_ELIMINATE_UTIL_H
#define ONNXOPT_TESTS_TEST_ELIMINATE_UTIL_H

#include <string.h>

#include "test_util.h"

/* An initializer of any fixed-size element type from little-endian data. */
static inline ir_value *eu_initializer(ir_graph *graph, const char *hint,
                                       int elem_type, const void *data,
                                       size_t elem_size, const int64_t *dims,
                                       int rank)
{
	size_t n = 1;
	for (int i = 0; i < rank; i++)
		n *= (size_t)dims[i];
	ir_tensor *t = ir_tensor_create(graph->model, elem_type, rank, dims,
	                                data, n * elem_size);
	return ir_initializer_add(graph, hint, t);
}

static inline ir_value *eu_bool_scalar(ir_graph *graph, bool value)
{
	uint8_t b = value;
	return eu_initializer(graph, "flag", IR_BOOL, &b, 1, NULL, 0);
}

static inline ir_value *eu_f32_scalar(ir_graph *graph, float value)
{
	return tu_initializer_f32(graph, "k", &value, TU_SCALAR);
}

/* A Constant node with a `value` tensor attribute; returns its output. */
static inline ir_value *eu_constant(ir_graph *graph, ir_tensor *tensor)
{
	ir_node *node = tu_node(graph, "Constant", NULL, 0, 1);
	ir_node_set_attr_tensor(node, "value", tensor);
	return node->outputs[0];
}

static inline ir_value *eu_constant_ints(ir_graph *graph, const int64_t *v,
                                         int n)
{
	ir_node *node = tu_node(graph, "Constant", NULL, 0, 1);
	ir_node_set_attr_ints(node, "value_ints", v, n);
	return node->outputs[0];
}

/* The output of a custom-domain op: its type is unknown, and shape
 * inference cannot learn it. */
static inline ir_value *eu_opaque(ir_graph *graph, ir_value *input)
{
	ir_node *node =
	    ir_node_create(graph, "Opaque", "com.example", &input, 1, 1);
	ir_node_append(graph, node);
	return node->outputs[0];
}

/* The op type defining graph output `index`, "input" or "initializer". */
static inline const char *eu_output_source(const ir_graph *graph, int index)
{
	const ir_value *v = graph->outputs[index];
	if (v->def == IR_DEF_INPUT)
		return "input";
	if (v->def == IR_DEF_INITIALIZER)
		return "initializer";
	return v->producer->op_type;
}

/* Save, load back and verify: what a consumer of the output file sees.
 * Frees `model`. */
static inline ir_model *eu_roundtrip(ir_model *model)
{
	ir_model *back = tu_reload(model);
	tu_assert_valid(back);
	return back;
}

#endif
