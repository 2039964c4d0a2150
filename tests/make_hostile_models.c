/*
 * make_hostile_models - write the hostile models tests/cli/hostile.sh feeds
 * to onnx-opt: lies about sizes, explosive folding and deep nesting.
 *
 *     make_hostile_models DIR
 *
 * writes into DIR:
 *   deep_type.onnx        a graph input whose type is a sequence of
 *                         sequence of ... 100,000 levels deep
 *   wrap_float.onnx       float initializer 'w' with dims [2^62+2] and two
 *                         floats of data: 4 bytes x dims wraps to 8
 *   wrap_expand.onnx      int64 initializer 'shape' with dims [2^61+1] and
 *                         one value (8 x dims wraps to 8), feeding Expand
 *   wrap_reshape.onnx     the same, feeding Reshape
 *   negative_dim.onnx     float initializer 'w' with dims [-3]
 *   claim_4tib.onnx       float initializer 'w' of 2^40 elements, no data
 *   claim_1gib.onnx       float initializer 'w' of 2^28 elements, no data
 *   claim_strings.onnx    string initializer 's' of 2^28 elements, no data
 *   mul_chain.onnx        16 Muls of constants, each 4 times the size of
 *                         the last
 *   concat_chain.onnx     40 Concats of a constant with itself
 *   constant_of_shape.onnx 200 ConstantOfShape nodes of 4 MB each
 *   empty_unique.onnx     Unique along axis 1 of an empty float constant
 *                         [0, 2^24]: no elements, but 2^24 positions
 *   if_nested_1000.onnx   If inside If ... 1,000 levels deep
 *   if_nested_2000.onnx   2,000 levels deep, past the loader's limit
 *   fold_cast_float.onnx  Cast of a constant float tensor holding NaN,
 *                         +-inf and out-of-range values to every integer
 *                         type, bool, float16 and float (fold_oracle.sh
 *                         compares the folded model with ONNX Runtime)
 *   fold_cast_double.onnx the same from double
 *   fold_range.onnx       Range(-2^63, 2^63 - 1, 2^62) and
 *                         Range(2^63 - 1, -2^63, -3 * 2^61) in int64
 *   fold_size.onnx        Size of an input declared [2^62, 4]
 *   nul_strings.onnx      a string initializer and a Constant's string
 *                         attribute whose bytes hold NULs: they survive
 *                         and NULs in the doc strings of the model, the
 *                         graph, a node, an attribute, a tensor and a
 *                         graph output (free text, kept whole)
 *   nul_name.onnx         a node input named "x\0y": refused, because
 *                         protobuf-c's C strings would cut it to "x"
 *   nul_FIELD.onnx        a NUL in another string field (producer_name,
 *                         producer_version, the model's domain,
 *                         metadata_props key and value, a node's domain,
 *                         the graph's name): refused the same way
 *
 * Models that protobuf-c can pack are built with proto_build.c; the deep
 * type is written as wire bytes directly, outside in, because packing it
 * with protobuf-c would recurse 100,000 levels.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "proto_build.h"

static int write_file(const char *dir, const char *name, const void *data,
                      size_t size)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		fprintf(stderr, "make_hostile_models: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

static int write_model(const char *dir, const char *name, proto_model *pm)
{
	size_t size;
	const uint8_t *data = proto_model_pack(pm, &size);
	int rc = write_file(dir, name, data, size);
	proto_model_free(pm);
	return rc;
}

/* ------------------------------------------------------------ wire bytes */

typedef struct wire {
	uint8_t *data;
	size_t size, cap;
} wire;

static void wire_put(wire *w, const void *data, size_t size)
{
	if (w->size + size > w->cap) {
		w->cap = (w->size + size) * 2;
		w->data = realloc(w->data, w->cap);
		if (!w->data) {
			fputs("make_hostile_models: out of memory\n", stderr);
			exit(99);
		}
	}
	memcpy(w->data + w->size, data, size);
	w->size += size;
}

static size_t varint_size(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void wire_varint(wire *w, uint64_t v)
{
	uint8_t buf[10];
	size_t n = 0;
	while (v >= 0x80) {
		buf[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	buf[n++] = (uint8_t)v;
	wire_put(w, buf, n);
}

/* Tag and length of a length-delimited field. */
static void wire_open(wire *w, unsigned field, uint64_t length)
{
	wire_varint(w, (uint64_t)field << 3 | 2);
	wire_varint(w, length);
}

static size_t field_size(unsigned field, size_t length)
{
	return varint_size((uint64_t)field << 3 | 2) + varint_size(length) +
	       length;
}

static void wire_string(wire *w, unsigned field, const char *s)
{
	wire_open(w, field, strlen(s));
	wire_put(w, s, strlen(s));
}

/* A model whose graph is Identity(x) -> y, where x's type is
 * TypeProto{sequence_type{elem_type: ...}} `levels` deep around a float
 * tensor type. Sizes are computed inside out, bytes written outside in. */
static int deep_type_model(const char *dir, const char *name, size_t levels)
{
	size_t *type_size = malloc(sizeof *type_size * (levels + 1));
	size_t *sequence_size = malloc(sizeof *sequence_size * (levels + 1));
	if (!type_size || !sequence_size)
		return 1;
	type_size[0] = 4; /* tensor_type { elem_type: FLOAT } */
	for (size_t k = 1; k <= levels; k++) {
		sequence_size[k] = field_size(1, type_size[k - 1]);
		type_size[k] = field_size(4, sequence_size[k]);
	}
	wire node = {0}, input = {0}, graph = {0}, model = {0};
	wire_string(&node, 1, "x");
	wire_string(&node, 2, "y");
	wire_string(&node, 4, "Identity");
	wire_string(&input, 1, "x");
	wire_open(&input, 2, type_size[levels]);
	for (size_t k = levels; k >= 1; k--) {
		wire_open(&input, 4, sequence_size[k]);
		wire_open(&input, 1, type_size[k - 1]);
	}
	wire_put(&input, (const uint8_t[]){0x0A, 0x02, 0x08, 0x01}, 4);
	wire_open(&graph, 1, node.size);
	wire_put(&graph, node.data, node.size);
	wire_string(&graph, 2, "deep");
	wire_open(&graph, 11, input.size);
	wire_put(&graph, input.data, input.size);
	wire_open(&graph, 12, 3);
	wire_string(&graph, 1, "y");
	wire_varint(&model, 1 << 3 | 0); /* ir_version 8 */
	wire_varint(&model, 8);
	wire_open(&model, 8, 2); /* opset_import { version: 17 } */
	wire_varint(&model, 2 << 3 | 0);
	wire_varint(&model, 17);
	wire_open(&model, 7, graph.size);
	wire_put(&model, graph.data, graph.size);
	int rc = write_file(dir, name, model.data, model.size);
	free(node.data);
	free(input.data);
	free(graph.data);
	free(model.data);
	free(type_size);
	free(sequence_size);
	return rc;
}

/* ------------------------------------------------------- lying tensors */

static Onnx__TensorProto *add_tensor(proto_model *pm, Onnx__GraphProto *g,
                                     const char *name, int elem_type,
                                     const int64_t *dims, int rank)
{
	proto_graph_add_initializer(pm, g, name, elem_type, dims, rank, NULL,
	                            0);
	Onnx__TensorProto *t = g->initializer[g->n_initializer - 1];
	t->has_raw_data = 0;
	return t;
}

static proto_model *unary_model(const char *op, Onnx__TensorProto **tensor,
                                int elem_type, const int64_t *dims, int rank)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	*tensor = add_tensor(pm, g, "w", elem_type, dims, rank);
	proto_graph_add_node(pm, g, op, "use", "w", "y");
	proto_graph_add_output(pm, g, "y", elem_type, NULL, -1);
	return pm;
}

static proto_model *wrap_float_model(void)
{
	Onnx__TensorProto *t;
	int64_t dims[] = {((int64_t)1 << 62) + 2};
	proto_model *pm = unary_model("Relu", &t, IR_FLOAT, dims, 1);
	static float data[] = {1, 2};
	t->n_float_data = 2;
	t->float_data = data;
	return pm;
}

static proto_model *wrap_shape_model(const char *op)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	Onnx__TensorProto *t = add_tensor(
	    pm, g, "shape", IR_INT64, (int64_t[]){((int64_t)1 << 61) + 1}, 1);
	static int64_t data[] = {4};
	t->n_int64_data = 1;
	t->int64_data = data;
	proto_graph_add_node(pm, g, op, "use", "x,shape", "y");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	return pm;
}

static proto_model *claim_model(int elem_type, const int64_t *dims, int rank)
{
	Onnx__TensorProto *t;
	return unary_model(elem_type == IR_STRING ? "Identity" : "Relu", &t,
	                   elem_type, dims, rank);
}

/* ----------------------------------------------------- explosive folds */

static Onnx__AttributeProto *tensor_attr(proto_model *pm, const char *name,
                                         Onnx__TensorProto *t)
{
	Onnx__AttributeProto *a = proto_take(pm, sizeof *a);
	onnx__attribute_proto__init(a);
	a->name = proto_string(pm, name);
	a->has_type = 1;
	a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
	a->t = t;
	return a;
}

/* Rank 16 (the evaluator's limit) throughout: t0 is one element; factor
 * k is 2.0 four times along axis k, so t(k+1) = Mul(t(k), factor k) is
 * four times t(k): 4^16 floats, 16 GiB, at the end if everything folded.
 * Each result outgrows its inputs, so --fold-size-limit stops it unless
 * it is -1. */
static proto_model *mul_chain_model(void)
{
	enum { steps = 16 };
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	float one = 1, twos[4] = {2, 2, 2, 2};
	int64_t dims[steps];
	for (int i = 0; i < steps; i++)
		dims[i] = 1;
	proto_graph_add_initializer(pm, g, "t0", IR_FLOAT, dims, steps, &one,
	                            sizeof one);
	char in[32], out[32], factor[32];
	for (int k = 0; k < steps; k++) {
		dims[k] = 4;
		snprintf(factor, sizeof factor, "f%d", k);
		proto_graph_add_initializer(pm, g, factor, IR_FLOAT, dims,
		                            steps, twos, sizeof twos);
		dims[k] = 1;
		snprintf(in, sizeof in, "t%d,f%d", k, k);
		snprintf(out, sizeof out, "t%d", k + 1);
		proto_graph_add_node(pm, g, "Mul", out, in, out);
	}
	proto_graph_add_output(pm, g, out, IR_FLOAT, NULL, -1);
	return pm;
}

/* t(k+1) = Concat(t(k), t(k)): each result is exactly as big as its
 * inputs together, so no per-tensor limit stops it; 2^40 floats at the
 * end if everything folded. */
static proto_model *concat_chain_model(void)
{
	enum { steps = 40 };
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	float one = 1;
	proto_graph_add_initializer(pm, g, "t0", IR_FLOAT, (int64_t[]){1}, 1,
	                            &one, sizeof one);
	char in[32], out[32];
	for (int k = 0; k < steps; k++) {
		snprintf(in, sizeof in, "t%d,t%d", k, k);
		snprintf(out, sizeof out, "t%d", k + 1);
		Onnx__NodeProto *n =
		    proto_graph_add_node(pm, g, "Concat", out, in, out);
		proto_node_set_attr_int(pm, n, "axis", 0);
	}
	proto_graph_add_output(pm, g, out, IR_FLOAT, NULL, -1);
	return pm;
}

/* 200 nodes, each a 4 MB float tensor of its own value, each a graph
 * output, so nothing is dead and no two are alike. */
static proto_model *constant_of_shape_model(void)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	int64_t elements = 1 << 20;
	proto_graph_add_initializer(pm, g, "shape", IR_INT64, (int64_t[]){1}, 1,
	                            &elements, sizeof elements);
	for (int k = 0; k < 200; k++) {
		char out[32];
		snprintf(out, sizeof out, "c%d", k);
		Onnx__NodeProto *n = proto_graph_add_node(
		    pm, g, "ConstantOfShape", out, "shape", out);
		Onnx__TensorProto *value = proto_take(pm, sizeof *value);
		onnx__tensor_proto__init(value);
		value->has_data_type = 1;
		value->data_type = IR_FLOAT;
		value->n_dims = 1;
		value->dims = proto_take(pm, sizeof *value->dims);
		value->dims[0] = 1;
		value->n_float_data = 1;
		value->float_data = proto_take(pm, sizeof(float));
		value->float_data[0] = (float)k + 1;
		n->n_attribute = 1;
		n->attribute = proto_take(pm, sizeof *n->attribute);
		n->attribute[0] = tensor_attr(pm, "value", value);
		proto_graph_add_output(pm, g, out, IR_FLOAT,
		                       (int64_t[]){elements}, 1);
	}
	return pm;
}

/* Folding Unique sizes its scratch by positions along the axis, and an
 * empty tensor may have 2^24 of them. */
static proto_model *empty_unique_model(void)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	add_tensor(pm, g, "x", IR_FLOAT, (int64_t[]){0, (int64_t)1 << 24}, 2);
	Onnx__NodeProto *n = proto_graph_add_node(
	    pm, g, "Unique", "unique", "x", "y,indices,inverse,counts");
	proto_node_set_attr_int(pm, n, "axis", 1);
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	proto_graph_add_output(pm, g, "indices", IR_INT64, NULL, -1);
	proto_graph_add_output(pm, g, "inverse", IR_INT64, NULL, -1);
	proto_graph_add_output(pm, g, "counts", IR_INT64, NULL, -1);
	return pm;
}

/* ----------------------------------------------------------- deep Ifs */

/* Level k's graph holds If(c) whose then_branch is level k+1 and whose
 * else_branch is Identity(x); the innermost is Identity(x). Names are
 * unique per level, so no scope shadows another. */
static proto_model *nested_if_model(int levels)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *top = proto_main_graph(pm);
	proto_graph_add_input(pm, top, "c", IR_BOOL, NULL, 0);
	proto_graph_add_input(pm, top, "x", IR_FLOAT, (int64_t[]){2}, 1);
	char name[32], other[32];
	snprintf(name, sizeof name, "y%d", levels);
	Onnx__GraphProto *inner = proto_graph_create(pm, "level");
	proto_graph_add_node(pm, inner, "Identity", name, "x", name);
	proto_graph_add_output(pm, inner, name, IR_FLOAT, (int64_t[]){2}, 1);
	for (int k = levels - 1; k >= 0; k--) {
		Onnx__GraphProto *g = k ? proto_graph_create(pm, "level") : top;
		Onnx__GraphProto *alt = proto_graph_create(pm, "else");
		snprintf(other, sizeof other, "e%d", k);
		proto_graph_add_node(pm, alt, "Identity", other, "x", other);
		proto_graph_add_output(pm, alt, other, IR_FLOAT, (int64_t[]){2},
		                       1);
		snprintf(name, sizeof name, "y%d", k);
		Onnx__NodeProto *n =
		    proto_graph_add_node(pm, g, "If", name, "c", name);
		proto_node_set_attr_graph(pm, n, "then_branch", inner);
		proto_node_set_attr_graph(pm, n, "else_branch", alt);
		proto_graph_add_output(pm, g, name, IR_FLOAT, (int64_t[]){2},
		                       1);
		inner = g;
	}
	return pm;
}

/* ------------------------------------------------ folds the runtime checks */

static const double special_values[] = {
    NAN,  1e20,         -1e20,    3e9,       -3e9,         300.0,        -129.7,
    2.5,  -0.5,         INFINITY, -INFINITY, 65543.0,      -70000.0,     1.9e19,
    -1.0, 4294967301.0, 9.3e18,   -9.3e18,   2147483647.5, -2147483648.9};

static proto_model *cast_model(int from)
{
	enum { n = sizeof special_values / sizeof special_values[0] };
	proto_model *pm = proto_model_create(8, 19);
	Onnx__GraphProto *g = proto_main_graph(pm);
	float f[n];
	for (int i = 0; i < n; i++)
		f[i] = (float)special_values[i];
	if (from == IR_FLOAT)
		proto_graph_add_initializer(pm, g, "x", IR_FLOAT,
		                            (int64_t[]){n}, 1, f, sizeof f);
	else
		proto_graph_add_initializer(pm, g, "x", IR_DOUBLE,
		                            (int64_t[]){n}, 1, special_values,
		                            sizeof special_values);
	static const struct {
		const char *name;
		int type;
	} targets[] = {{"int8", IR_INT8},   {"uint8", IR_UINT8},
	               {"int16", IR_INT16}, {"uint16", IR_UINT16},
	               {"int32", IR_INT32}, {"uint32", IR_UINT32},
	               {"int64", IR_INT64}, {"uint64", IR_UINT64},
	               {"bool", IR_BOOL},   {"float16", IR_FLOAT16},
	               {"float", IR_FLOAT}};
	for (size_t k = 0; k < sizeof targets / sizeof targets[0]; k++) {
		char out[32];
		snprintf(out, sizeof out, "to_%s", targets[k].name);
		Onnx__NodeProto *node =
		    proto_graph_add_node(pm, g, "Cast", out, "x", out);
		proto_node_set_attr_int(pm, node, "to", targets[k].type);
		proto_graph_add_output(pm, g, out, targets[k].type,
		                       (int64_t[]){n}, 1);
	}
	return pm;
}

static proto_model *range_model(void)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	int64_t values[] = {INT64_MIN, INT64_MAX, (int64_t)1 << 62,
	                    -3 * ((int64_t)1 << 61)};
	const char *names[] = {"low", "high", "step", "back"};
	for (int i = 0; i < 4; i++)
		proto_graph_add_initializer(pm, g, names[i], IR_INT64, NULL, 0,
		                            &values[i], sizeof values[i]);
	proto_graph_add_node(pm, g, "Range", "up", "low,high,step", "up");
	proto_graph_add_node(pm, g, "Range", "down", "high,low,back", "down");
	proto_graph_add_output(pm, g, "up", IR_INT64, NULL, -1);
	proto_graph_add_output(pm, g, "down", IR_INT64, NULL, -1);
	return pm;
}

static proto_model *size_model(void)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT,
	                      (int64_t[]){(int64_t)1 << 62, 4}, 2);
	proto_graph_add_node(pm, g, "Size", "count", "x", "n");
	proto_graph_add_output(pm, g, "n", IR_INT64, NULL, 0);
	return pm;
}

/* ------------------------------------------------------------ NUL bytes */

static proto_model *nul_strings_model(void)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	Onnx__TensorProto *t =
	    add_tensor(pm, g, "s", IR_STRING, (int64_t[]){2}, 1);
	static uint8_t a[] = {'a', 0, 'b'}, b[] = {0, 'c', 0};
	t->n_string_data = 2;
	t->string_data = proto_take(pm, 2 * sizeof *t->string_data);
	t->string_data[0] = (ProtobufCBinaryData){sizeof a, a};
	t->string_data[1] = (ProtobufCBinaryData){sizeof b, b};
	proto_graph_add_node(pm, g, "Identity", "copy", "s", "y");
	proto_graph_add_output(pm, g, "y", IR_STRING, (int64_t[]){2}, 1);
	Onnx__NodeProto *n =
	    proto_graph_add_node(pm, g, "Constant", "text", "", "z");
	Onnx__AttributeProto *attr = proto_take(pm, sizeof *attr);
	onnx__attribute_proto__init(attr);
	attr->name = proto_string(pm, "value_string");
	attr->has_type = 1;
	attr->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
	attr->has_s = 1;
	attr->s = (ProtobufCBinaryData){sizeof b, b};
	n->n_attribute = 1;
	n->attribute = proto_take(pm, sizeof *n->attribute);
	n->attribute[0] = attr;
	proto_graph_add_output(pm, g, "z", IR_STRING, NULL, 0);
	/* Doc strings are bytes in our schema: each holds a NUL. */
	static uint8_t model_doc[] = "model\0doc", graph_doc[] = "graph\0doc",
	               node_doc[] = "node\0doc", attr_doc[] = "attr\0doc",
	               tensor_doc[] = "tensor\0doc", output_doc[] = "out\0doc";
#define DOC(message, text)                                                     \
	((message)->has_doc_string = 1,                                        \
	 (message)->doc_string =                                               \
	     (ProtobufCBinaryData){sizeof(text) - 1, text})
	DOC(proto_model_message(pm), model_doc);
	DOC(g, graph_doc);
	DOC(n, node_doc);
	DOC(attr, attr_doc);
	DOC(t, tensor_doc);
	DOC(g->output[g->n_output - 1], output_doc);
#undef DOC
	return pm;
}

/* A model whose `field` holds "~NUL~", patched to "x\0\0\0y" once
 * packed (the same length: protobuf-c packs C strings only). */
static int nul_field_model(const char *dir, const char *field)
{
	static const char marker[] = "~NUL~";
	proto_model *pm = proto_model_create(8, 17);
	Onnx__ModelProto *mp = proto_model_message(pm);
	Onnx__GraphProto *g = proto_main_graph(pm);
	Onnx__NodeProto *n = proto_graph_add_node(pm, g, "Relu", "r", "x", "y");
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_output(pm, g, "y", IR_FLOAT, (int64_t[]){2}, 1);
	Onnx__StringStringEntryProto *entry = proto_take(pm, sizeof *entry);
	onnx__string_string_entry_proto__init(entry);
	entry->key = proto_string(pm, "key");
	entry->value = proto_string(pm, "value");
	mp->n_metadata_props = 1;
	mp->metadata_props = proto_take(pm, sizeof *mp->metadata_props);
	mp->metadata_props[0] = entry;
	char *with_marker = proto_string(pm, marker);
	if (!strcmp(field, "producer_name"))
		mp->producer_name = with_marker;
	else if (!strcmp(field, "producer_version"))
		mp->producer_version = with_marker;
	else if (!strcmp(field, "model_domain"))
		mp->domain = with_marker;
	else if (!strcmp(field, "metadata_key"))
		entry->key = with_marker;
	else if (!strcmp(field, "metadata_value"))
		entry->value = with_marker;
	else if (!strcmp(field, "node_domain"))
		n->domain = with_marker;
	else if (!strcmp(field, "graph_name"))
		g->name = with_marker;
	size_t size;
	uint8_t *data = (uint8_t *)proto_model_pack(pm, &size);
	uint8_t *at = memmem(data, size, marker, sizeof marker - 1);
	memcpy(at, "x\0\0\0y", sizeof marker - 1);
	char name[64];
	snprintf(name, sizeof name, "nul_%s.onnx", field);
	int rc = write_file(dir, name, data, size);
	proto_model_free(pm);
	return rc;
}

/* Identity reads "x\0y"; only wire bytes can say that. */
static int nul_name_model(const char *dir, const char *name)
{
	wire node = {0}, graph = {0}, model = {0};
	wire_open(&node, 1, 3);
	wire_put(&node, "x\0y", 3);
	wire_string(&node, 2, "out");
	wire_string(&node, 4, "Identity");
	wire_open(&graph, 1, node.size);
	wire_put(&graph, node.data, node.size);
	wire_string(&graph, 2, "g");
	wire_open(&graph, 11, 3);
	wire_string(&graph, 1, "x");
	wire_open(&graph, 12, 5);
	wire_string(&graph, 1, "out");
	wire_varint(&model, 1 << 3 | 0);
	wire_varint(&model, 8);
	wire_open(&model, 8, 2);
	wire_varint(&model, 2 << 3 | 0);
	wire_varint(&model, 17);
	wire_open(&model, 7, graph.size);
	wire_put(&model, graph.data, graph.size);
	int rc = write_file(dir, name, model.data, model.size);
	free(node.data);
	free(graph.data);
	free(model.data);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: make_hostile_models DIR\n", stderr);
		return 2;
	}
	const char *dir = argv[1];
	int rc = 0;
	rc |= deep_type_model(dir, "deep_type.onnx", 100000);
	rc |= write_model(dir, "wrap_float.onnx", wrap_float_model());
	rc |= write_model(dir, "wrap_expand.onnx", wrap_shape_model("Expand"));
	rc |=
	    write_model(dir, "wrap_reshape.onnx", wrap_shape_model("Reshape"));
	rc |= write_model(dir, "negative_dim.onnx",
	                  claim_model(IR_FLOAT, (int64_t[]){-3}, 1));
	rc |= write_model(
	    dir, "claim_4tib.onnx",
	    claim_model(IR_FLOAT, (int64_t[]){1024, 1024, 1024, 1024}, 4));
	rc |= write_model(dir, "claim_1gib.onnx",
	                  claim_model(IR_FLOAT, (int64_t[]){1 << 28}, 1));
	rc |= write_model(dir, "claim_strings.onnx",
	                  claim_model(IR_STRING, (int64_t[]){1 << 28}, 1));
	rc |= write_model(dir, "mul_chain.onnx", mul_chain_model());
	rc |= write_model(dir, "concat_chain.onnx", concat_chain_model());
	rc |= write_model(dir, "constant_of_shape.onnx",
	                  constant_of_shape_model());
	rc |= write_model(dir, "empty_unique.onnx", empty_unique_model());
	rc |= write_model(dir, "if_nested_1000.onnx", nested_if_model(1000));
	rc |= write_model(dir, "if_nested_2000.onnx", nested_if_model(2000));
	rc |= write_model(dir, "fold_cast_float.onnx", cast_model(IR_FLOAT));
	rc |= write_model(dir, "fold_cast_double.onnx", cast_model(IR_DOUBLE));
	rc |= write_model(dir, "fold_range.onnx", range_model());
	rc |= write_model(dir, "fold_size.onnx", size_model());
	rc |= write_model(dir, "nul_strings.onnx", nul_strings_model());
	rc |= nul_name_model(dir, "nul_name.onnx");
	static const char *nul_fields[] = {"producer_name",  "producer_version",
	                                   "model_domain",   "metadata_key",
	                                   "metadata_value", "node_domain",
	                                   "graph_name"};
	for (size_t i = 0; i < sizeof nul_fields / sizeof *nul_fields; i++)
		rc |= nul_field_model(dir, nul_fields[i]);
	return rc;
}
