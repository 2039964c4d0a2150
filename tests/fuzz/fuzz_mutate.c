/*
 * fuzz_mutate.c - a structure-aware libFuzzer mutator for ONNX models,
 * linked beside fuzz_load.c's target into tests/fuzz_structure.
 *
 * Byte-level mutation rarely keeps a model parseable, and never finds the
 * exact values that break size arithmetic (dims of 2^61 + 1 with 8 bytes
 * of data, thousands of levels of nesting). This mutator parses the input
 * with protobuf-c, makes one or a few edits where they matter, and packs
 * the model again:
 *   - a tensor's dims (interesting values: 0, -1, 2^31, 2^61 + 1, 2^62,
 *     INT64_MAX, ...), its data type, or a dim added or dropped;
 *   - one element of a tensor's data (an int64 or int32 set to such a
 *     value: Slice steps, Reshape shapes, pads; a float or double set to
 *     NaN, infinity or 1e30);
 *   - a dim of a declared type (graph inputs, outputs, value_info), to
 *     such a value, where passes read sizes without data behind them;
 *   - an attribute's value (ints, floats, int lists) or its type;
 *   - an edge: a node input renamed to another value, or to its own
 *     output (a cycle); a node's last input or output dropped, all its
 *     inputs dropped, or one input or output named "" (absent);
 *   - an op type swapped for another;
 *   - nesting: the main graph wrapped in If(c) { graph } else { graph },
 *     or a value's type wrapped in sequence(...);
 *   - a node removed, an opset version changed.
 * Inputs that do not parse (or nest past ir_limits.h) fall back to
 * libFuzzer's byte mutation.
 *
 * Memory: every edit is written through an undo log and every new message
 * lives in a scratch list, so after packing the unpacked tree is restored
 * exactly and freed with protobuf_c_message_free_unpacked.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ir_limits.h"
#include "ir_wire.h"
#include "onnx.pb-c.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed);

/* --------------------------------------------------- undo log, scratch */

typedef struct undo {
	void *where;
	unsigned char old[16];
	size_t size;
} undo;

typedef struct mutation {
	uint64_t rng;
	undo *undos;
	size_t n_undos, cap_undos;
	void **scratch;
	size_t n_scratch, cap_scratch;
	/* Everything the edits can aim at, collected once. */
	Onnx__TensorProto **tensors;
	Onnx__NodeProto **nodes;
	Onnx__AttributeProto **attrs;
	Onnx__ValueInfoProto **infos;
	size_t n_tensors, n_nodes, n_attrs, n_infos, cap_tensors, cap_nodes,
	    cap_attrs, cap_infos;
	bool failed; /* out of memory: give up on this mutation */
} mutation;

static uint64_t next(mutation *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return m->rng;
}

static size_t pick(mutation *m, size_t n)
{
	return n ? (size_t)(next(m) % n) : 0;
}

static void grow(mutation *m, void **array, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return;
	size_t want = *cap ? 2 * *cap : 64;
	void *p = realloc(*array, want * elem);
	if (!p) {
		m->failed = true;
		return;
	}
	*array = p;
	*cap = want;
}

/* Write `size` bytes at `where`, remembering what was there. */
static void set(mutation *m, void *where, const void *value, size_t size)
{
	grow(m, (void **)&m->undos, &m->cap_undos, m->n_undos,
	     sizeof *m->undos);
	if (m->failed || size > sizeof m->undos[0].old)
		return;
	undo *u = &m->undos[m->n_undos++];
	u->where = where;
	u->size = size;
	memcpy(u->old, where, size);
	memcpy(where, value, size);
}

#define SET(m, lvalue, value)                                                  \
	do {                                                                   \
		__typeof__(lvalue) value_ = (value);                           \
		set((m), &(lvalue), &value_, sizeof value_);                   \
	} while (0)

static void *fresh(mutation *m, size_t size)
{
	grow(m, (void **)&m->scratch, &m->cap_scratch, m->n_scratch,
	     sizeof *m->scratch);
	void *p = m->failed ? NULL : calloc(1, size ? size : 1);
	if (!p) {
		m->failed = true;
		return NULL;
	}
	m->scratch[m->n_scratch++] = p;
	return p;
}

static char *fresh_string(mutation *m, const char *s)
{
	char *copy = fresh(m, strlen(s) + 1);
	if (copy)
		strcpy(copy, s);
	return copy;
}

static void undo_all(mutation *m)
{
	while (m->n_undos > 0) {
		undo *u = &m->undos[--m->n_undos];
		memcpy(u->where, u->old, u->size);
	}
	for (size_t i = 0; i < m->n_scratch; i++)
		free(m->scratch[i]);
	free(m->undos);
	free(m->scratch);
	free(m->tensors);
	free(m->nodes);
	free(m->attrs);
	free(m->infos);
}

/* ---------------------------------------------------------- collecting */

#define COLLECT(m, list, item)                                                 \
	do {                                                                   \
		grow((m), (void **)&(m)->list, &(m)->cap_##list,               \
		     (m)->n_##list, sizeof *(m)->list);                        \
		if (!(m)->failed)                                              \
			(m)->list[(m)->n_##list++] = (item);                   \
	} while (0)

static void collect_graph(mutation *m, Onnx__GraphProto *g);

static void collect_attr(mutation *m, Onnx__AttributeProto *a)
{
	COLLECT(m, attrs, a);
	if (a->t)
		COLLECT(m, tensors, a->t);
	for (size_t i = 0; i < a->n_tensors; i++)
		COLLECT(m, tensors, a->tensors[i]);
	if (a->g)
		collect_graph(m, a->g);
	for (size_t i = 0; i < a->n_graphs; i++)
		collect_graph(m, a->graphs[i]);
}

/* Recursion is bounded: the input passed ir_wire_check_nesting. */
static void collect_graph(mutation *m, Onnx__GraphProto *g)
{
	for (size_t i = 0; i < g->n_initializer; i++)
		COLLECT(m, tensors, g->initializer[i]);
	for (size_t i = 0; i < g->n_input; i++)
		COLLECT(m, infos, g->input[i]);
	for (size_t i = 0; i < g->n_output; i++)
		COLLECT(m, infos, g->output[i]);
	for (size_t i = 0; i < g->n_value_info; i++)
		COLLECT(m, infos, g->value_info[i]);
	for (size_t i = 0; i < g->n_node; i++) {
		COLLECT(m, nodes, g->node[i]);
		for (size_t k = 0; k < g->node[i]->n_attribute; k++)
			collect_attr(m, g->node[i]->attribute[k]);
	}
}

/* ------------------------------------------------------------- edits */

static const int64_t interesting[] = {
    0,
    1,
    -1,
    2,
    3,
    7,
    255,
    65536,
    (int64_t)1 << 31,
    ((int64_t)1 << 32) + 1,
    (int64_t)1 << 40,
    ((int64_t)1 << 61) + 1,
    (int64_t)1 << 62,
    ((int64_t)1 << 62) + 2,
    INT64_MAX,
    INT64_MIN,
    -((int64_t)1 << 62),
};

static int64_t interesting_int(mutation *m, int64_t old)
{
	/* In uint64, where wrapping is defined: INT64_MIN * 2 is 0 here. */
	switch (pick(m, 4)) {
	case 0: return (int64_t)((uint64_t)old + 1);
	case 1: return (int64_t)((uint64_t)old * 2);
	case 2: return (int64_t)(0 - (uint64_t)old);
	default:
		return interesting[pick(m, sizeof interesting /
		                               sizeof interesting[0])];
	}
}

static bool edit_tensor(mutation *m)
{
	if (!m->n_tensors)
		return false;
	Onnx__TensorProto *t = m->tensors[pick(m, m->n_tensors)];
	switch (pick(m, 4)) {
	case 0:
		if (!t->n_dims)
			return false;
		SET(m, t->dims[pick(m, t->n_dims)],
		    interesting_int(m, t->dims[0]));
		return true;
	case 1:
		SET(m, t->has_data_type, (protobuf_c_boolean)1);
		SET(m, t->data_type, (int32_t)pick(m, 24));
		return true;
	case 2: /* drop the last dim */
		if (!t->n_dims)
			return false;
		SET(m, t->n_dims, t->n_dims - 1);
		return true;
	default: { /* add a dim */
		int64_t *dims = fresh(m, sizeof *dims * (t->n_dims + 1));
		if (!dims)
			return false;
		if (t->n_dims)
			memcpy(dims, t->dims, sizeof *dims * t->n_dims);
		dims[t->n_dims] = interesting_int(m, 1);
		SET(m, t->dims, dims);
		SET(m, t->n_dims, t->n_dims + 1);
		return true;
	}
	}
}

static const float odd_floats[] = {0.0f,     -0.0f,     1e30f,  -1e30f,
                                   1e-30f,   0.5f,      NAN,    INFINITY,
                                   -INFINITY, 2147483648.0f};

/* One element of a tensor's data, in raw_data or the typed field. */
static bool edit_value(mutation *m)
{
	if (!m->n_tensors)
		return false;
	Onnx__TensorProto *t = m->tensors[pick(m, m->n_tensors)];
	int type = t->has_data_type ? t->data_type : 0;
	size_t width = type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ||
	                       type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE
	                   ? 8
	               : type == ONNX__TENSOR_PROTO__DATA_TYPE__INT32 ||
	                       type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
	                   ? 4
	                   : 0;
	bool is_float = type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
	                type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
	if (!width)
		return false;
	float f = odd_floats[pick(m, sizeof odd_floats / sizeof *odd_floats)];
	int64_t i = interesting_int(m, 1);
	if (t->has_raw_data && t->raw_data.len >= width) {
		/* Little-endian elements at multiples of the width. */
		uint8_t *at = t->raw_data.data +
		              width * pick(m, t->raw_data.len / width);
		if (width == 8 && is_float)
			set(m, at, &(double){f}, 8);
		else if (width == 8)
			set(m, at, &i, 8);
		else if (is_float)
			set(m, at, &f, 4);
		else
			set(m, at, &(int32_t){(int32_t)i}, 4);
		return true;
	}
	if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 && t->n_int64_data)
		SET(m, t->int64_data[pick(m, t->n_int64_data)], i);
	else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT32 &&
	         t->n_int32_data)
		SET(m, t->int32_data[pick(m, t->n_int32_data)], (int32_t)i);
	else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT &&
	         t->n_float_data)
		SET(m, t->float_data[pick(m, t->n_float_data)], f);
	else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE &&
	         t->n_double_data)
		SET(m, t->double_data[pick(m, t->n_double_data)], (double)f);
	else
		return false;
	return true;
}

/* A dim of a value's declared tensor type: a size passes may trust. */
static bool edit_declared_dim(mutation *m)
{
	if (!m->n_infos)
		return false;
	const Onnx__ValueInfoProto *vi = m->infos[pick(m, m->n_infos)];
	const Onnx__TypeProto *type = vi->type;
	if (!type || type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !type->tensor_type->shape || !type->tensor_type->shape->n_dim)
		return false;
	const Onnx__TensorShapeProto *shape = type->tensor_type->shape;
	Onnx__TensorShapeProto__Dimension *d =
	    shape->dim[pick(m, shape->n_dim)];
	int64_t old = d->value_case ==
	                      ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
	                  ? d->dim_value
	                  : 1;
	SET(m, d->value_case,
	    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE);
	SET(m, d->dim_value, interesting_int(m, old));
	return true;
}

static bool edit_attr(mutation *m)
{
	if (!m->n_attrs)
		return false;
	Onnx__AttributeProto *a = m->attrs[pick(m, m->n_attrs)];
	switch (pick(m, 5)) {
	case 0:
		SET(m, a->has_i, (protobuf_c_boolean)1);
		SET(m, a->i, interesting_int(m, a->i));
		return true;
	case 1:
		SET(m, a->has_f, (protobuf_c_boolean)1);
		SET(m, a->f, odd_floats[pick(m, sizeof odd_floats /
		                                    sizeof *odd_floats)]);
		return true;
	case 2:
		if (!a->n_ints)
			return false;
		SET(m, a->ints[pick(m, a->n_ints)],
		    interesting_int(m, a->ints[0]));
		return true;
	case 3: /* a wrong type for the value it holds */
		SET(m, a->has_type, (protobuf_c_boolean)1);
		SET(m, a->type,
		    (Onnx__AttributeProto__AttributeType)pick(m, 15));
		return true;
	default: /* grow or shrink an int list */
		if (!a->n_ints)
			return false;
		SET(m, a->n_ints, pick(m, a->n_ints + 1));
		return true;
	}
}

/* Any name some node or graph defines or reads. */
static const char *some_name(mutation *m)
{
	if (!m->n_nodes)
		return "";
	Onnx__NodeProto *n = m->nodes[pick(m, m->n_nodes)];
	if (n->n_output && pick(m, 2))
		return n->output[pick(m, n->n_output)];
	if (n->n_input)
		return n->input[pick(m, n->n_input)];
	return "";
}

static bool edit_node(mutation *m)
{
	if (!m->n_nodes)
		return false;
	Onnx__NodeProto *n = m->nodes[pick(m, m->n_nodes)];
	static const char *ops[] = {
	    "Add",    "Mul",    "Reshape", "Expand",   "Concat",
	    "Slice",  "Gather", "Range",   "Cast",     "ConstantOfShape",
	    "Tile",   "Shape",  "Size",    "Squeeze",  "Unsqueeze",
	    "MatMul", "Gemm",   "Conv",    "If",       "Loop",
	    "Scan",   "Split",  "Pad",     "Resize",   "Transpose",
	    "Einsum", "TopK",   "Where",   "Identity", "Constant"};
	switch (pick(m, 4)) {
	case 0: /* rewire an input */
		if (!n->n_input)
			return false;
		SET(m, n->input[pick(m, n->n_input)], (char *)some_name(m));
		return true;
	case 1: /* read its own output: a cycle */
		if (!n->n_input || !n->n_output)
			return false;
		SET(m, n->input[pick(m, n->n_input)], n->output[0]);
		return true;
	case 2:
		SET(m, n->op_type,
		    (char *)ops[pick(m, sizeof ops / sizeof ops[0])]);
		return true;
	default:
		break;
	}
	/* Inputs and outputs that are not there: the last one dropped, all
	 * inputs dropped (a node with no inputs has no inputs array in the
	 * IR), or one named "" (absent, also where the op requires it). */
	switch (pick(m, 4)) {
	case 0:
		if (!n->n_input)
			return false;
		SET(m, n->n_input, n->n_input - 1);
		return true;
	case 1:
		if (!n->n_input)
			return false;
		SET(m, n->n_input, (size_t)0);
		return true;
	case 2:
		if (!n->n_input)
			return false;
		SET(m, n->input[pick(m, n->n_input)], (char *)"");
		return true;
	default:
		if (!n->n_output)
			return false;
		if (pick(m, 2))
			SET(m, n->n_output, n->n_output - 1);
		else
			SET(m, n->output[pick(m, n->n_output)], (char *)"");
		return true;
	}
}

/* The main graph becomes both branches of an If on a new bool input. */
static bool wrap_in_if(mutation *m, Onnx__ModelProto *model)
{
	Onnx__GraphProto *inner = model->graph;
	if (!inner)
		return false;
	Onnx__GraphProto *outer = fresh(m, sizeof *outer);
	Onnx__NodeProto *node = fresh(m, sizeof *node);
	Onnx__AttributeProto *then_a = fresh(m, sizeof *then_a);
	Onnx__AttributeProto *else_a = fresh(m, sizeof *else_a);
	Onnx__AttributeProto **attrs = fresh(m, 2 * sizeof *attrs);
	Onnx__NodeProto **nodes = fresh(m, sizeof *nodes);
	Onnx__ValueInfoProto *cond = fresh(m, sizeof *cond);
	Onnx__ValueInfoProto **inputs =
	    fresh(m, sizeof *inputs * (inner->n_input + 1));
	char **node_inputs = fresh(m, sizeof *node_inputs);
	char **node_outputs = fresh(
	    m, sizeof *node_outputs * (inner->n_output ? inner->n_output : 1));
	if (m->failed)
		return false;
	onnx__graph_proto__init(outer);
	onnx__node_proto__init(node);
	onnx__attribute_proto__init(then_a);
	onnx__attribute_proto__init(else_a);
	onnx__value_info_proto__init(cond);
	cond->name = fresh_string(m, "fuzz_cond");
	then_a->name = fresh_string(m, "then_branch");
	else_a->name = fresh_string(m, "else_branch");
	then_a->has_type = else_a->has_type = 1;
	then_a->type = else_a->type =
	    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
	then_a->g = else_a->g = inner;
	attrs[0] = then_a;
	attrs[1] = else_a;
	/* Both branches double the packed size; one lets nesting go deep. */
	node->n_attribute = pick(m, 2) ? 2 : 1;
	node->op_type = fresh_string(m, "If");
	node->attribute = attrs;
	node_inputs[0] = cond->name;
	node->n_input = 1;
	node->input = node_inputs;
	/* An unnamed output (a NULL name) would crash protobuf-c's pack. */
	for (size_t i = 0; i < inner->n_output; i++)
		node_outputs[i] = inner->output[i]->name
		                      ? inner->output[i]->name
		                      : fresh_string(m, "");
	node->n_output = inner->n_output;
	node->output = node_outputs;
	nodes[0] = node;
	outer->n_node = 1;
	outer->node = nodes;
	outer->name = fresh_string(m, "fuzz_outer");
	inputs[0] = cond;
	for (size_t i = 0; i < inner->n_input; i++)
		inputs[i + 1] = inner->input[i];
	outer->n_input = inner->n_input + 1;
	outer->input = inputs;
	outer->n_output = inner->n_output;
	outer->output = inner->output;
	SET(m, model->graph, outer);
	return true;
}

/* A value's type becomes sequence(type). */
static bool wrap_type(mutation *m)
{
	if (!m->n_infos)
		return false;
	Onnx__ValueInfoProto *vi = m->infos[pick(m, m->n_infos)];
	Onnx__TypeProto *outer = fresh(m, sizeof *outer);
	Onnx__TypeProto__Sequence *seq = fresh(m, sizeof *seq);
	if (m->failed)
		return false;
	onnx__type_proto__init(outer);
	onnx__type_proto__sequence__init(seq);
	seq->elem_type = vi->type;
	outer->value_case = ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE;
	outer->sequence_type = seq;
	SET(m, vi->type, outer);
	return true;
}

static bool edit_model(mutation *m, Onnx__ModelProto *model)
{
	switch (pick(m, 13)) {
	case 0:
	case 1:
	case 2: return edit_tensor(m);
	case 3:
	case 4: return edit_attr(m);
	case 5:
	case 6: return edit_node(m);
	case 7: return wrap_in_if(m, model);
	case 8: return wrap_type(m);
	case 9:
	case 10: return edit_value(m);
	case 11: return edit_declared_dim(m);
	default:
		if (!model->n_opset_import)
			return false;
		SET(m, model->opset_import[0]->version,
		    (int64_t)(1 + pick(m, 24)));
		return true;
	}
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed)
{
	/* Some of the time, and whenever the input is not a model, mutate
	 * bytes: the two kinds of mutation find different bugs. */
	if (seed % 4 == 0 ||
	    ir_wire_check_nesting(&onnx__model_proto__descriptor, data, size,
	                          NULL, 0) != IR_WIRE_OK)
		return LLVMFuzzerMutate(data, size, max_size);
	Onnx__ModelProto *model = onnx__model_proto__unpack(NULL, size, data);
	if (!model)
		return LLVMFuzzerMutate(data, size, max_size);
	mutation m = {0};
	m.rng = 0x9E3779B97F4A7C15u ^ seed;
	if (model->graph)
		collect_graph(&m, model->graph);
	int edits = 1 + (int)pick(&m, 3), done = 0;
	for (int i = 0; i < edits * 4 && done < edits && !m.failed; i++)
		done += edit_model(&m, model);
	size_t out = 0;
	if (done && !m.failed) {
		size_t packed =
		    protobuf_c_message_get_packed_size(&model->base);
		if (packed <= max_size)
			out = protobuf_c_message_pack(&model->base, data);
	}
	undo_all(&m);
	onnx__model_proto__free_unpacked(model, NULL);
	return out ? out : LLVMFuzzerMutate(data, size, max_size);
}
