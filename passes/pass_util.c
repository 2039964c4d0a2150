/*
 * pass_util.c - helpers shared by passes (see pass_util.h).
 *
 * The one subtle piece is pass_redirect_output. A node's output that is
 * also a graph output names part of the model's interface, so it cannot
 * simply be dropped in favour of the node's input: the output value must
 * survive, defined by whoever computes the replacement. That is only
 * possible when the replacement is computed by a node of the same graph
 * and is not itself a graph output, graph input or initializer.
 *
 * Values are referred to by pointer in the IR but by name in the file, so
 * every redirection also checks that each reader, possibly inside a nested
 * subgraph, still resolves the new value's name to the new value (a
 * subgraph may define a value of the same name that would shadow it).
 */
#include <math.h>
#include <string.h>

#include "eval/eval.h"
#include "ops.h"
#include "pass_util.h"

/* ------------------------------------------------------------ constants */

static ir_tensor *scalar_or_list(ir_model *model, int elem_type, bool is_list,
                                 size_t count, const void *data,
                                 size_t elem_size)
{
	int64_t dims[1] = {(int64_t)count};
	return ir_tensor_create(model, elem_type, is_list ? 1 : 0, dims, data,
	                        count * elem_size);
}

ir_tensor *pass_constant_node_tensor(const ir_node *constant)
{
	/* A Constant carries its value in exactly one attribute. */
	if (!ir_node_is(constant, "Constant") || constant->n_attrs != 1)
		return NULL;
	const ir_attr *attr = &constant->attrs[0];
	const Onnx__AttributeProto *p = attr->proto;
	ir_model *model = constant->graph->model;
	if (!attr->name || (p->ref_attr_name && p->ref_attr_name[0]))
		return NULL;
	typedef Onnx__AttributeProto__AttributeType kind;
	kind type = (kind)attr->type;
	if (!strcmp(attr->name, "value") &&
	    type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR)
		return attr->tensor;
	if (!strcmp(attr->name, "value_float") &&
	    type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT) {
		float f = p->f;
		return scalar_or_list(model, IR_FLOAT, false, 1, &f, sizeof f);
	}
	if (!strcmp(attr->name, "value_floats") &&
	    type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS)
		return scalar_or_list(model, IR_FLOAT, true, p->n_floats,
		                      p->floats, sizeof(float));
	if (!strcmp(attr->name, "value_int") &&
	    type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT) {
		int64_t i = p->i;
		return scalar_or_list(model, IR_INT64, false, 1, &i, sizeof i);
	}
	if (!strcmp(attr->name, "value_ints") &&
	    type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
		return scalar_or_list(model, IR_INT64, true, p->n_ints, p->ints,
		                      sizeof(int64_t));
	if (!strcmp(attr->name, "value_string") &&
	    type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING)
		return ir_tensor_create_strings(model, 0, NULL, &p->s);
	if (!strcmp(attr->name, "value_strings") &&
	    type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS) {
		int64_t dims[1] = {(int64_t)p->n_strings};
		return ir_tensor_create_strings(model, 1, dims, p->strings);
	}
	return NULL;
}

ir_tensor *pass_constant_tensor(const ir_value *value)
{
	if (!value)
		return NULL;
	if (ir_value_is_constant(value))
		return value->sparse ? NULL : value->tensor;
	if (ir_value_producer(value) && value->producer_index == 0)
		return pass_constant_node_tensor(value->producer);
	return NULL;
}

bool pass_constant_ints(const ir_value *value, const int64_t **data,
                        int64_t *count)
{
	ir_tensor *t = pass_constant_tensor(value);
	if (!t || t->rank > 1 ||
	    (t->elem_type != IR_INT64 && t->elem_type != IR_INT32))
		return false;
	ir_model *model = value->graph->model;
	const void *raw;
	size_t size;
	if (!ir_tensor_raw(model, t, &raw, &size))
		return false;
	int64_t n = ir_tensor_numel(t);
	int64_t *out = ir_alloc(model, sizeof *out * (size_t)(n ? n : 1));
	for (int64_t i = 0; i < n; i++)
		pass_element_as_int64(t->elem_type, raw, i, &out[i]);
	*data = out;
	*count = n;
	return true;
}

bool pass_constant_bool(const ir_value *value, bool *out)
{
	ir_tensor *t = pass_constant_tensor(value);
	const void *raw;
	size_t size;
	if (!t || t->elem_type != IR_BOOL || ir_tensor_numel(t) != 1 ||
	    !ir_tensor_raw(value->graph->model, t, &raw, &size))
		return false;
	*out = *(const uint8_t *)raw != 0;
	return true;
}

bool pass_element_as_double(int elem_type, const void *data, int64_t i,
                            double *out)
{
	const uint8_t *raw = data;
	switch (elem_type) {
	case IR_FLOAT: {
		float f;
		memcpy(&f, raw + 4 * i, 4);
		*out = f;
		return true;
	}
	case IR_DOUBLE: memcpy(out, raw + 8 * i, 8); return true;
	case IR_FLOAT16: {
		uint16_t h;
		memcpy(&h, raw + 2 * i, 2);
		*out = eval_half_to_float(h);
		return true;
	}
	case IR_BFLOAT16: {
		uint16_t b;
		memcpy(&b, raw + 2 * i, 2);
		*out = eval_bfloat_to_float(b);
		return true;
	}
	case IR_BOOL:
	case IR_UINT8: *out = raw[i]; return true;
	case IR_INT8: *out = (int8_t)raw[i]; return true;
	case IR_INT16: {
		int16_t v;
		memcpy(&v, raw + 2 * i, 2);
		*out = v;
		return true;
	}
	case IR_UINT16: {
		uint16_t v;
		memcpy(&v, raw + 2 * i, 2);
		*out = v;
		return true;
	}
	case IR_INT32: {
		int32_t v;
		memcpy(&v, raw + 4 * i, 4);
		*out = v;
		return true;
	}
	case IR_UINT32: {
		uint32_t v;
		memcpy(&v, raw + 4 * i, 4);
		*out = v;
		return true;
	}
	case IR_INT64: {
		int64_t v;
		memcpy(&v, raw + 8 * i, 8);
		*out = (double)v;
		return true;
	}
	case IR_UINT64: {
		uint64_t v;
		memcpy(&v, raw + 8 * i, 8);
		*out = (double)v;
		return true;
	}
	default: return false;
	}
}

bool pass_element_as_int64(int elem_type, const void *data, int64_t i,
                           int64_t *out)
{
	const uint8_t *raw = data;
	if (elem_type == IR_INT64) {
		memcpy(out, raw + 8 * i, 8);
		return true;
	}
	if (elem_type != IR_INT32)
		return false;
	int32_t v;
	memcpy(&v, raw + 4 * i, 4);
	*out = v;
	return true;
}

bool pass_constant_all_equal(const ir_value *value, double number)
{
	ir_tensor *t = pass_constant_tensor(value);
	const void *raw;
	size_t size;
	if (!t || !ir_tensor_raw(value->graph->model, t, &raw, &size))
		return false;
	int64_t n = ir_tensor_numel(t);
	bool check_sign = ir_elem_is_float(t->elem_type);
	for (int64_t i = 0; i < n; i++) {
		double element;
		if (!pass_element_as_double(t->elem_type, raw, i, &element))
			return false;
		if (element != number)
			return false;
		if (check_sign && signbit(element) != signbit(number))
			return false;
	}
	return n >= 0;
}

/* --------------------------------------------------------------- shapes */

int pass_elem_type(const ir_value *value)
{
	return value && value->type.is_tensor ? value->type.elem_type
	                                      : IR_UNDEFINED;
}

bool pass_broadcast_keeps_shape(const ir_type *type, const int64_t *dims,
                                int rank)
{
	if (!type->is_tensor)
		return false;
	if (rank == 0)
		return true;
	if (type->rank < rank)
		return false;
	for (int i = 0; i < rank; i++) {
		const ir_dim *d = &type->dims[type->rank - rank + i];
		if (dims[i] == 1)
			continue;
		if (d->kind != IR_DIM_VALUE || d->value != dims[i])
			return false;
	}
	return true;
}

/* ------------------------------------------------------------- rewiring */

bool pass_value_has_one_use(const ir_value *value)
{
	return value->n_uses == 1 && !ir_value_is_graph_output(value);
}

bool pass_can_redirect_output(const ir_node *node, int index,
                              const ir_value *replacement)
{
	const ir_value *out = node->outputs[index];
	if (!out)
		return true;
	if (!replacement || out == replacement)
		return false;
	if (!ir_value_is_graph_output(out))
		return ir_value_readers_see(out, replacement);
	/* The output keeps its name by taking over the replacement's
	 * definition; that needs a producer in the output's own graph. */
	return ir_value_producer(replacement) &&
	       replacement->graph == out->graph &&
	       !ir_value_is_graph_output(replacement) &&
	       ir_value_readers_see(replacement, out);
}

bool pass_redirect_output(ir_node *node, int index, ir_value *replacement)
{
	if (!pass_can_redirect_output(node, index, replacement))
		return false;
	ir_value *out = node->outputs[index];
	if (!out)
		return true;
	if (!ir_value_is_graph_output(out)) {
		ir_value_replace_all_uses(out, replacement);
		return true;
	}
	ir_node *producer = replacement->producer;
	int slot = replacement->producer_index;
	ir_value_replace_all_uses(replacement, out);
	ir_value_move_definition(out, producer, slot);
	return true;
}

static bool output_is_idle(const ir_value *value)
{
	return !value || !ir_value_is_live(value);
}

bool pass_remove_passthrough(ir_node *node, int index, ir_value *replacement)
{
	for (int i = 0; i < node->n_outputs; i++)
		if (i != index && !output_is_idle(node->outputs[i]))
			return false;
	if (!pass_redirect_output(node, index, replacement))
		return false;
	ir_node_remove(node);
	return true;
}

bool pass_remove_if_dead(ir_node *node)
{
	if (!ir_node_is_dead(node))
		return false;
	ir_node_remove(node);
	return true;
}

/* ------------------------------------------------------------- Reshape */

bool pass_reshape_allows_zero(const ir_node *reshape, int64_t opset)
{
	return opset >= op_attribute_added_in("Reshape", "allowzero") &&
	       ir_attr_int(reshape, "allowzero", 0) != 0;
}

bool pass_reshape_through(const ir_node *inner, const ir_node *outer,
                          ir_tensor **new_target)
{
	*new_target = NULL;
	int64_t opset = ir_model_opset(outer->graph->model, "");
	if (op_attribute_input("Reshape", "shape", opset) < 0 ||
	    inner->n_inputs != 2 || !inner->inputs[1] || outer->n_inputs != 2 ||
	    !outer->inputs[1])
		return false;
	if (pass_reshape_allows_zero(outer, opset))
		return true;
	ir_tensor *t2 = pass_constant_tensor(outer->inputs[1]);
	const int64_t *s2;
	int64_t n2;
	if (!t2 || t2->rank != 1 || t2->elem_type != IR_INT64 ||
	    !pass_constant_ints(outer->inputs[1], &s2, &n2))
		return false;
	bool has_zero = false;
	for (int64_t i = 0; i < n2; i++)
		has_zero |= s2[i] == 0;
	if (!has_zero)
		return true;
	ir_tensor *t1 = pass_constant_tensor(inner->inputs[1]);
	const int64_t *s1;
	int64_t n1;
	if (!t1 || t1->rank != 1 || t1->elem_type != IR_INT64 ||
	    !pass_constant_ints(inner->inputs[1], &s1, &n1))
		return false;
	bool inner_copies_zero = !pass_reshape_allows_zero(inner, opset);
	ir_model *model = outer->graph->model;
	int64_t *resolved = ir_alloc(model, sizeof *resolved * (size_t)n2);
	for (int64_t i = 0; i < n2; i++) {
		resolved[i] = s2[i];
		if (s2[i] != 0)
			continue;
		if (i >= n1)
			return false;
		if (s1[i] > 0)
			resolved[i] = s1[i];
		else if (!(s1[i] == 0 && inner_copies_zero))
			return false;
	}
	*new_target = ir_tensor_create(model, IR_INT64, 1, &n2, resolved,
	                               sizeof *resolved * (size_t)n2);
	return true;
}

bool pass_inline_constant_if(ir_node *node)
{
	bool condition;
	if (!ir_node_is(node, "If") || node->n_inputs != 1 ||
	    op_node_mistyped_attribute(node) ||
	    !pass_constant_bool(node->inputs[0], &condition))
		return false;
	const ir_attr *branch =
	    ir_node_attr(node, condition ? "then_branch" : "else_branch");
	if (!branch || !branch->graph)
		return false;
	ir_status mismatch = {0};
	return ir_graph_inline_subgraph(node, branch->graph, &mismatch);
}

static int walk_graphs(ir_graph *graph, int (*fn)(ir_graph *, void *),
                       void *ctx)
{
	int total = fn(graph, ctx);
	if (total < 0)
		return -1;
	for (int i = 0; i < graph->n_subgraphs; i++) {
		int changes = walk_graphs(graph->subgraphs[i], fn, ctx);
		if (changes < 0)
			return -1;
		total += changes;
	}
	return total;
}

int pass_for_each_graph(ir_model *model, int (*fn)(ir_graph *graph, void *ctx),
                        void *ctx)
{
	return walk_graphs(model->graph, fn, ctx);
}

int pass_remove_passthrough_node(ir_model *model, ir_node *node,
                                 pass_passthrough_fn passed_through)
{
	if (op_node_mistyped_attribute(node))
		return 0;
	ir_value *x = passed_through(node, ir_model_opset(model, ""));
	return x && pass_remove_passthrough(node, 0, x) ? 1 : 0;
}
