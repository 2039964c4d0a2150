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
	ir_skeleton skeleton; /* borrowed raw_data fields to restore */
};

ir_value *ir_value_new(ir_graph *graph, const char *name, ir_def_kind def);
void ir_scope_add(ir_graph *graph, ir_value *value);
/* Keep fresh names clear of a name loaded from the file. */
void ir_reserve_fresh_name(ir_model *model, const char *name);
void ir_scope_remove(ir_value *value);
void ir_graph_clear_scope(ir_graph *graph, void *unused);
ir_graph *ir_graph_new(ir_model *model, ir_graph *parent, ir_node *owner);

#endif
