/*
 * ir_query.c - read-only questions about the IR: element type facts,
 * opsets, name lookup, attribute values, node counts and graph walks.
 */
#include <string.h>

#include "ir_impl.h"

int ir_elem_bits(int elem_type)
{
	switch (elem_type) {
	case IR_FLOAT:
	case IR_INT32:
	case IR_UINT32: return 32;
	case IR_UINT8:
	case IR_INT8:
	case IR_BOOL: return 8;
	case IR_UINT16:
	case IR_INT16:
	case IR_FLOAT16:
	case IR_BFLOAT16: return 16;
	case IR_INT64:
	case IR_UINT64:
	case IR_DOUBLE:
	case IR_COMPLEX64: return 64;
	case IR_COMPLEX128: return 128;
	case IR_FLOAT8E4M3FN:
	case IR_FLOAT8E4M3FNUZ:
	case IR_FLOAT8E5M2:
	case IR_FLOAT8E5M2FNUZ:
	case IR_FLOAT8E8M0: return 8;
	case IR_UINT4:
	case IR_INT4:
	case IR_FLOAT4E2M1: return 4;
	default: return 0;
	}
}

const char *ir_elem_name(int elem_type)
{
	static const char *const names[] = {
	    "undefined",      "float",        "uint8",          "int8",
	    "uint16",         "int16",        "int32",          "int64",
	    "string",         "bool",         "float16",        "double",
	    "uint32",         "uint64",       "complex64",      "complex128",
	    "bfloat16",       "float8e4m3fn", "float8e4m3fnuz", "float8e5m2",
	    "float8e5m2fnuz", "uint4",        "int4",           "float4e2m1",
	    "float8e8m0"};
	if (elem_type >= 0 && elem_type < (int)(sizeof names / sizeof names[0]))
		return names[elem_type];
	return "unknown";
}

int64_t ir_tensor_numel(const ir_tensor *tensor)
{
	int64_t n = 1;
	for (int i = 0; i < tensor->rank; i++) {
		int64_t d = tensor->dims[i];
		if (d < 0 || (d && n > INT64_MAX / d))
			return -1;
		n *= d;
	}
	return n;
}

/* ------------------------------------------------------------- queries */

bool ir_is_onnx_domain(const char *domain)
{
	return !domain || !domain[0] || strcmp(domain, "ai.onnx") == 0;
}

bool ir_elem_is_float(int elem_type)
{
	return elem_type == IR_FLOAT || elem_type == IR_DOUBLE ||
	       elem_type == IR_FLOAT16 || elem_type == IR_BFLOAT16;
}

int64_t ir_model_opset(const ir_model *model, const char *domain)
{
	bool want_onnx = ir_is_onnx_domain(domain);
	for (int i = 0; i < model->n_opsets; i++) {
		const char *d = model->opsets[i].domain;
		if (want_onnx ? ir_is_onnx_domain(d)
		              : (d && !strcmp(d, domain)))
			return model->opsets[i].version;
	}
	return 0;
}

ir_value *ir_graph_lookup(const ir_graph *graph, const char *name)
{
	for (const ir_graph *g = graph; g; g = g->parent) {
		ir_value *v = NULL;
		HASH_FIND_STR(g->scope, name, v);
		if (v)
			return v;
	}
	return NULL;
}

bool ir_value_is_graph_output(const ir_value *value)
{
	return value->graph_output_slots > 0;
}

bool ir_value_is_constant(const ir_value *value)
{
	/* An initializer that is also a graph input is only a default: the
	 * caller may feed another value, so it is not a constant. */
	return value->def == IR_DEF_INITIALIZER && value->tensor &&
	       !value->is_graph_input && !value->tensor->external;
}

bool ir_node_is(const ir_node *node, const char *op_type)
{
	return ir_is_onnx_domain(node->domain) &&
	       !strcmp(node->op_type, op_type);
}

ir_node *ir_value_producer(const ir_value *value)
{
	return value && value->def == IR_DEF_NODE ? value->producer : NULL;
}

bool ir_value_is_live(const ir_value *value)
{
	return value->n_uses > 0 || ir_value_is_graph_output(value);
}

bool ir_node_is_dead(const ir_node *node)
{
	for (int i = 0; i < node->n_outputs; i++)
		if (node->outputs[i] && ir_value_is_live(node->outputs[i]))
			return false;
	return true;
}

bool ir_value_readers_see(const ir_value *readers_of, const ir_value *name_of)
{
	for (int u = 0; u < readers_of->n_uses; u++)
		if (ir_graph_lookup(readers_of->uses[u].node->graph,
		                    name_of->name) != name_of)
			return false;
	return true;
}

int ir_attr_ints(const ir_node *node, const char *name, const int64_t **values)
{
	const ir_attr *a = ir_node_attr(node, name);
	if (!a)
		return IR_ATTR_ABSENT;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
		return IR_ATTR_WRONG_TYPE;
	*values = a->proto->ints;
	return (int)a->proto->n_ints;
}

const ir_attr *ir_node_attr(const ir_node *node, const char *name)
{
	for (int i = 0; i < node->n_attrs; i++)
		if (node->attrs[i].name && !strcmp(node->attrs[i].name, name))
			return &node->attrs[i];
	return NULL;
}

int64_t ir_attr_int(const ir_node *node, const char *name, int64_t fallback)
{
	const ir_attr *a = ir_node_attr(node, name);
	return a && a->proto->has_i ? a->proto->i : fallback;
}

int ir_attr_elem_type(const ir_node *node, const char *name, int fallback)
{
	int64_t v = ir_attr_int(node, name, fallback);
	return v >= 0 && v <= INT32_MAX ? (int)v : IR_UNDEFINED;
}

float ir_attr_float(const ir_node *node, const char *name, float fallback)
{
	const ir_attr *a = ir_node_attr(node, name);
	return a && a->proto->has_f ? a->proto->f : fallback;
}

const char *ir_attr_string(const ir_node *node, const char *name,
                           const char *fallback)
{
	const ir_attr *a = ir_node_attr(node, name);
	if (!a || !a->proto->has_s)
		return fallback;
	/* Attribute strings are bytes; the arena copy is NUL-terminated. */
	ir_model *model = node->graph->model;
	char *s = ir_alloc(model, a->proto->s.len + 1);
	memcpy(s, a->proto->s.data, a->proto->s.len);
	return s;
}

int ir_node_count(const ir_graph *graph, bool recursive)
{
	int n = graph->n_nodes;
	if (recursive)
		for (int i = 0; i < graph->n_subgraphs; i++)
			n += ir_node_count(graph->subgraphs[i], true);
	return n;
}

void ir_graph_walk(ir_graph *graph, void (*fn)(ir_graph *, void *), void *ctx)
{
	fn(graph, ctx);
	for (int i = 0; i < graph->n_subgraphs; i++)
		ir_graph_walk(graph->subgraphs[i], fn, ctx);
}
