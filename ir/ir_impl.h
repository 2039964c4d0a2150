/*
 * ir_impl.h - helpers shared by the IR's own modules (load, save, verify,
 * mutation). Passes use ir.h only.
 */
#ifndef ONNXOPT_IR_IMPL_H
#define ONNXOPT_IR_IMPL_H

#include "ir.h"
#include "ir_wire.h"

struct ir_buffer {
	const uint8_t *data;
	size_t size;
	enum { IR_BUFFER_MAPPED, IR_BUFFER_HEAP, IR_BUFFER_BORROWED } kind;
	int fd; /* the mapped file, kept open for copy_file_range; or -1 */
	ir_skeleton skeleton; /* borrowed raw_data fields to restore */
};

/* Every mutation calls this (see ir_model.generation). */
static inline void ir_touch(ir_model *model)
{
	model->generation++;
}

/* Tell the model's listener, if any (ir_listener in ir.h). */
static inline void ir_notify_node(ir_model *model, ir_node *node)
{
	if (model->listener && node)
		model->listener->node_touched(model->listener, node);
}

/* The value's producer and readers: what changed is the value itself. */
static inline void ir_notify_value(ir_value *value)
{
	ir_model *model = value->graph->model;
	if (!model->listener)
		return;
	if (value->def == IR_DEF_NODE)
		ir_notify_node(model, value->producer);
	for (int i = 0; i < value->n_uses; i++)
		ir_notify_node(model, value->uses[i].node);
}

/* Add a value_info entry (value may be NULL), compacting dead ones. */
void ir_value_info_append(ir_graph *graph, ir_value *value,
                          const Onnx__ValueInfoProto *proto);
ir_value *ir_value_new(ir_graph *graph, const char *name, ir_def_kind def);
void ir_scope_add(ir_graph *graph, ir_value *value);
/* Keep fresh names clear of a name loaded from the file. */
void ir_reserve_fresh_name(ir_model *model, const char *name);
void ir_scope_remove(ir_value *value);
void ir_graph_clear_scope(ir_graph *graph, void *unused);
/* Can the loader trust this tensor's header? Dims non-negative, element
 * and byte counts within 64 bits, and the data it holds (raw_data or the
 * typed field of its type) exactly what its dims need. False with the
 * problem written to `problem` ("has a negative dim (-3)"). Nothing may
 * allocate by a tensor's dims before this has passed. */
bool ir_tensor_proto_check(const Onnx__TensorProto *proto, char *problem,
                           size_t size);
ir_graph *ir_graph_new(ir_model *model, ir_graph *parent, ir_node *owner);

/* The node of `graph` that stands for `node` in ordering questions: the
 * node itself, or the node whose subgraph (at any depth) holds it, since
 * that node runs the body. NULL when `node` is not under `graph`. */
static inline ir_node *ir_owner_in(const ir_graph *graph, ir_node *node)
{
	while (node && node->graph != graph)
		node = node->graph->parent_node;
	return node;
}

/* A subgraph's output may name a value of an enclosing graph. The node
 * owning the subgraph then depends on that value's producer although no
 * input records it. Calls `fn(owner, value, ctx)` for each output, at
 * any depth under a node of `graph`, that names a node-defined value of
 * `graph` itself; `owner` is that node of `graph`. */
void ir_graph_each_output_dependency(ir_graph *graph,
                                     void (*fn)(ir_node *owner,
                                                ir_value *value, void *ctx),
                                     void *ctx);

#endif
