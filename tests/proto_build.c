/*
 * proto_build.c - hand-written ONNX messages for tests (see proto_build.h).
 *
 * Messages built here are never given to protobuf-c's free_unpacked: every
 * block comes from the proto_model's list of allocations, which is freed
 * in one go. Arrays grow by copying into a new block; the old one stays on
 * the list, which is simpler than tracking realloc and costs nothing that
 * matters at test sizes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto_build.h"

struct proto_model {
	Onnx__ModelProto model;
	void **blocks;
	size_t n_blocks, cap_blocks;
	uint8_t *packed;
};

static void *must(void *p)
{
	if (!p) {
		fputs("proto_build: out of memory\n", stderr);
		exit(99);
	}
	return p;
}

static void *take(proto_model *pm, size_t size)
{
	void *p = must(calloc(1, size ? size : 1));
	if (pm->n_blocks == pm->cap_blocks) {
		pm->cap_blocks = pm->cap_blocks ? 2 * pm->cap_blocks : 64;
		pm->blocks = must(
		    realloc(pm->blocks, sizeof *pm->blocks * pm->cap_blocks));
	}
	pm->blocks[pm->n_blocks++] = p;
	return p;
}

static char *take_string(proto_model *pm, const char *s, size_t len)
{
	char *copy = take(pm, len + 1);
	memcpy(copy, s, len);
	return copy;
}

/* Append one pointer to a repeated field. */
#define APPEND(pm, array, count, item)                                         \
	do {                                                                   \
		void **grown_ = take((pm), sizeof(void *) * ((count) + 1));    \
		if (count)                                                     \
			memcpy(grown_, (array), sizeof(void *) * (count));     \
		grown_[(count)] = (item);                                      \
		(array) = (void *)grown_;                                      \
		(count)++;                                                     \
	} while (0)

proto_model *proto_model_create(int64_t ir_version, int64_t opset)
{
	proto_model *pm = must(calloc(1, sizeof *pm));
	onnx__model_proto__init(&pm->model);
	pm->model.has_ir_version = 1;
	pm->model.ir_version = ir_version;
	pm->model.producer_name = take_string(pm, "onnx-opt-tests", 14);
	Onnx__OperatorSetIdProto *op = take(pm, sizeof *op);
	onnx__operator_set_id_proto__init(op);
	op->domain = take_string(pm, "", 0);
	op->has_version = 1;
	op->version = opset;
	APPEND(pm, pm->model.opset_import, pm->model.n_opset_import, op);
	pm->model.graph = proto_graph_create(pm, "main");
	return pm;
}

void proto_model_free(proto_model *pm)
{
	if (!pm)
		return;
	for (size_t i = 0; i < pm->n_blocks; i++)
		free(pm->blocks[i]);
	free(pm->blocks);
	free(pm->packed);
	free(pm);
}

Onnx__ModelProto *proto_model_message(proto_model *pm)
{
	return &pm->model;
}

Onnx__GraphProto *proto_main_graph(proto_model *pm)
{
	return pm->model.graph;
}

Onnx__GraphProto *proto_graph_create(proto_model *pm, const char *name)
{
	Onnx__GraphProto *g = take(pm, sizeof *g);
	onnx__graph_proto__init(g);
	g->name = take_string(pm, name, strlen(name));
	return g;
}

static Onnx__ValueInfoProto *value_info(proto_model *pm, const char *name,
                                        int elem_type, const int64_t *dims,
                                        int rank)
{
	Onnx__ValueInfoProto *vi = take(pm, sizeof *vi);
	onnx__value_info_proto__init(vi);
	vi->name = take_string(pm, name, strlen(name));
	Onnx__TypeProto *type = take(pm, sizeof *type);
	onnx__type_proto__init(type);
	Onnx__TypeProto__Tensor *tensor = take(pm, sizeof *tensor);
	onnx__type_proto__tensor__init(tensor);
	tensor->has_elem_type = 1;
	tensor->elem_type = elem_type;
	if (rank >= 0) {
		Onnx__TensorShapeProto *shape = take(pm, sizeof *shape);
		onnx__tensor_shape_proto__init(shape);
		for (int i = 0; i < rank; i++) {
			Onnx__TensorShapeProto__Dimension *d =
			    take(pm, sizeof *d);
			onnx__tensor_shape_proto__dimension__init(d);
			d->value_case =
			    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			d->dim_value = dims[i];
			APPEND(pm, shape->dim, shape->n_dim, d);
		}
		tensor->shape = shape;
	}
	type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	type->tensor_type = tensor;
	vi->type = type;
	return vi;
}

void proto_graph_add_input(proto_model *pm, Onnx__GraphProto *graph,
                           const char *name, int elem_type, const int64_t *dims,
                           int rank)
{
	Onnx__ValueInfoProto *vi = value_info(pm, name, elem_type, dims, rank);
	APPEND(pm, graph->input, graph->n_input, vi);
}

void proto_graph_add_output(proto_model *pm, Onnx__GraphProto *graph,
                            const char *name, int elem_type,
                            const int64_t *dims, int rank)
{
	Onnx__ValueInfoProto *vi = value_info(pm, name, elem_type, dims, rank);
	APPEND(pm, graph->output, graph->n_output, vi);
}

void proto_graph_add_value_info(proto_model *pm, Onnx__GraphProto *graph,
                                const char *name, int elem_type,
                                const int64_t *dims, int rank)
{
	Onnx__ValueInfoProto *vi = value_info(pm, name, elem_type, dims, rank);
	APPEND(pm, graph->value_info, graph->n_value_info, vi);
}

/* Split "a,,b" into {"a", "", "b"}; "" is an empty list. */
static void split_names(proto_model *pm, const char *list, char ***names,
                        size_t *count)
{
	*names = NULL;
	*count = 0;
	if (!list || !list[0])
		return;
	for (const char *p = list;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char *name = take_string(pm, p, len);
		APPEND(pm, *names, *count, name);
		if (!comma)
			break;
		p = comma + 1;
	}
}

Onnx__NodeProto *proto_graph_add_node(proto_model *pm, Onnx__GraphProto *graph,
                                      const char *op_type, const char *name,
                                      const char *inputs, const char *outputs)
{
	Onnx__NodeProto *node = take(pm, sizeof *node);
	onnx__node_proto__init(node);
	node->op_type = take_string(pm, op_type, strlen(op_type));
	if (name)
		node->name = take_string(pm, name, strlen(name));
	split_names(pm, inputs, &node->input, &node->n_input);
	split_names(pm, outputs, &node->output, &node->n_output);
	APPEND(pm, graph->node, graph->n_node, node);
	return node;
}

void proto_graph_add_initializer(proto_model *pm, Onnx__GraphProto *graph,
                                 const char *name, int elem_type,
                                 const int64_t *dims, int rank, const void *raw,
                                 size_t raw_size)
{
	Onnx__TensorProto *t = take(pm, sizeof *t);
	onnx__tensor_proto__init(t);
	t->name = take_string(pm, name, strlen(name));
	t->has_data_type = 1;
	t->data_type = elem_type;
	t->n_dims = (size_t)rank;
	t->dims = take(pm, sizeof *t->dims * (size_t)rank);
	if (rank > 0)
		memcpy(t->dims, dims, sizeof *t->dims * (size_t)rank);
	t->has_raw_data = 1;
	t->raw_data.len = raw_size;
	t->raw_data.data = take(pm, raw_size);
	if (raw_size)
		memcpy(t->raw_data.data, raw, raw_size);
	APPEND(pm, graph->initializer, graph->n_initializer, t);
}

static Onnx__AttributeProto *attribute(proto_model *pm, const char *name,
                                       Onnx__AttributeProto__AttributeType type)
{
	Onnx__AttributeProto *a = take(pm, sizeof *a);
	onnx__attribute_proto__init(a);
	a->name = take_string(pm, name, strlen(name));
	a->has_type = 1;
	a->type = type;
	return a;
}

void proto_node_set_attr_int(proto_model *pm, Onnx__NodeProto *node,
                             const char *name, int64_t value)
{
	Onnx__AttributeProto *a =
	    attribute(pm, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
	a->has_i = 1;
	a->i = value;
	APPEND(pm, node->attribute, node->n_attribute, a);
}

void proto_node_set_attr_graph(proto_model *pm, Onnx__NodeProto *node,
                               const char *name, Onnx__GraphProto *body)
{
	Onnx__AttributeProto *a =
	    attribute(pm, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
	a->g = body;
	APPEND(pm, node->attribute, node->n_attribute, a);
}

void *proto_take(proto_model *pm, size_t size)
{
	return take(pm, size);
}

char *proto_string(proto_model *pm, const char *s)
{
	return take_string(pm, s, strlen(s));
}

const uint8_t *proto_model_pack(proto_model *pm, size_t *size)
{
	free(pm->packed);
	*size = protobuf_c_message_get_packed_size(&pm->model.base);
	pm->packed = must(malloc(*size ? *size : 1));
	protobuf_c_message_pack(&pm->model.base, pm->packed);
	return pm->packed;
}
