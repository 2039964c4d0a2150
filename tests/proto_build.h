/*
 * proto_build.h - write ONNX ModelProto messages by hand, for tests.
 *
 * The IR's mutation API keeps the IR's invariants, so it cannot express a
 * broken model; the loader is the gate that must reject one. Tests that
 * feed the loader (undefined names, cycles, duplicate definitions, models
 * with If/Loop bodies) therefore build their models at the protobuf level
 * with these helpers:
 *
 *     proto_model *pm = proto_model_create(8, 17);
 *     Onnx__GraphProto *g = proto_main_graph(pm);
 *     proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
 *     proto_graph_add_node(pm, g, "Relu", "relu", "x", "y");
 *     proto_graph_add_output(pm, g, "y", IR_FLOAT, (int64_t[]){2}, 1);
 *     size_t size;
 *     const uint8_t *bytes = proto_model_pack(pm, &size);
 *
 * Name lists are comma-separated; an empty entry is an absent optional
 * input or output ("x,,bias"). Every allocation belongs to the
 * proto_model and is freed with it. This file depends on protobuf-c only,
 * so programs outside the Check suites (make_bad_models) can use it.
 */
#ifndef ONNXOPT_TESTS_PROTO_BUILD_H
#define ONNXOPT_TESTS_PROTO_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "onnx.pb-c.h"

typedef struct proto_model proto_model;

proto_model *proto_model_create(int64_t ir_version, int64_t opset);
void proto_model_free(proto_model *pm);
Onnx__ModelProto *proto_model_message(proto_model *pm);
Onnx__GraphProto *proto_main_graph(proto_model *pm);

/* A graph for an If/Loop/Scan attribute; attach it with
 * proto_node_set_attr_graph. */
Onnx__GraphProto *proto_graph_create(proto_model *pm, const char *name);

/* rank < 0 declares a tensor type without a shape. */
void proto_graph_add_input(proto_model *pm, Onnx__GraphProto *graph,
                           const char *name, int elem_type, const int64_t *dims,
                           int rank);
void proto_graph_add_output(proto_model *pm, Onnx__GraphProto *graph,
                            const char *name, int elem_type,
                            const int64_t *dims, int rank);
void proto_graph_add_value_info(proto_model *pm, Onnx__GraphProto *graph,
                                const char *name, int elem_type,
                                const int64_t *dims, int rank);
Onnx__NodeProto *proto_graph_add_node(proto_model *pm, Onnx__GraphProto *graph,
                                      const char *op_type, const char *name,
                                      const char *inputs, const char *outputs);
/* A dense initializer whose data is little-endian raw_data. */
void proto_graph_add_initializer(proto_model *pm, Onnx__GraphProto *graph,
                                 const char *name, int elem_type,
                                 const int64_t *dims, int rank, const void *raw,
                                 size_t raw_size);

void proto_node_set_attr_int(proto_model *pm, Onnx__NodeProto *node,
                             const char *name, int64_t value);
void proto_node_set_attr_graph(proto_model *pm, Onnx__NodeProto *node,
                               const char *name, Onnx__GraphProto *body);

/* A zeroed block owned by pm, for messages the helpers above do not
 * cover (tensor attributes, hand-set fields). */
void *proto_take(proto_model *pm, size_t size);
/* A copy of s owned by pm. */
char *proto_string(proto_model *pm, const char *s);

/* The serialised model; owned by pm and valid until the next pack. */
const uint8_t *proto_model_pack(proto_model *pm, size_t *size);

#endif
