/*
 * ir.h - onnx-opt's internal, mutable SSA-style IR for ONNX models.
 *
 * This header is internal: library users see only include/onnxopt.h.
 *
 * Invariants (checked by ir_verify(), asserted where they matter):
 *  - Every ir_value has exactly one definition: a graph input, an
 *    initializer (value->tensor != NULL), or one output slot of one node.
 *    An initializer that is also listed as a graph input (IR < 4 style) is
 *    one value with both is_graph_input and a tensor.
 *  - value->uses lists exactly the (node, input index) pairs whose input
 *    slot points at the value, including nodes inside subgraphs that read
 *    the value from an outer scope. Only the mutation API below edits use
 *    lists, so "replace all uses" costs O(uses).
 *  - A graph's nodes are a doubly linked list in topological order.
 *  - A value's name is unique in its graph's scope table; subgraphs resolve
 *    names lexically: their own table first, then their ancestors'.
 *  - Everything the IR does not model is kept by pointing at the original
 *    protobuf-c message ("origin"), which the exporter copies through. So
 *    unknown fields and newer-IR fields survive a load/save round trip.
 *
 * Memory: every object belongs to its ir_model and is freed with it
 * (ir_model_free). Large tensor payloads are borrowed from the loaded file
 * buffer until a pass gives a tensor new data.
 */
#ifndef ONNXOPT_IR_H
#define ONNXOPT_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* uthash's default on a failed allocation is exit(-1); ours unwinds to
 * the library's out-of-memory handler (ir_arena.h). */
_Noreturn void ir_out_of_memory(void);
#define uthash_fatal(msg) ir_out_of_memory()
#include <uthash.h>

#include "ir_status.h"
#include "onnx.pb-c.h"

typedef struct ir_model ir_model;
typedef struct ir_graph ir_graph;
typedef struct ir_node ir_node;
typedef struct ir_value ir_value;
typedef struct ir_tensor ir_tensor;
typedef struct ir_attr ir_attr;
typedef struct ir_buffer ir_buffer;
typedef struct ir_listener ir_listener;

/* ONNX TensorProto element types, by their wire numbers. */
enum {
	IR_UNDEFINED = 0,
	IR_FLOAT = 1,
	IR_UINT8 = 2,
	IR_INT8 = 3,
	IR_UINT16 = 4,
	IR_INT16 = 5,
	IR_INT32 = 6,
	IR_INT64 = 7,
	IR_STRING = 8,
	IR_BOOL = 9,
	IR_FLOAT16 = 10,
	IR_DOUBLE = 11,
	IR_UINT32 = 12,
	IR_UINT64 = 13,
	IR_COMPLEX64 = 14,
	IR_COMPLEX128 = 15,
	IR_BFLOAT16 = 16,
	IR_FLOAT8E4M3FN = 17,
	IR_FLOAT8E4M3FNUZ = 18,
	IR_FLOAT8E5M2 = 19,
	IR_FLOAT8E5M2FNUZ = 20,
	IR_UINT4 = 21,
	IR_INT4 = 22,
	IR_FLOAT4E2M1 = 23,
	IR_FLOAT8E8M0 = 24,
};

/* Size in bits of one element of a fixed-size element type; 0 for STRING,
 * UNDEFINED and types this build does not know. */
int ir_elem_bits(int elem_type);
const char *ir_elem_name(int elem_type);

/* ---------------------------------------------------------------- types */

typedef enum { IR_DIM_UNKNOWN, IR_DIM_VALUE, IR_DIM_PARAM } ir_dim_kind;

typedef struct ir_dim {
	ir_dim_kind kind;
	int64_t value;     /* IR_DIM_VALUE */
	const char *param; /* IR_DIM_PARAM, owned by the model */
} ir_dim;

/* A value's type as far as the IR understands it. Only tensor types are
 * modelled; sequence/optional/map/sparse types stay in `proto`. */
typedef struct ir_type {
	bool is_tensor; /* proto is absent or a tensor type */
	int elem_type;  /* IR_UNDEFINED when unknown */
	int rank;       /* -1 when the shape is unknown */
	ir_dim *dims;   /* rank entries */
	const Onnx__TypeProto
	    *proto; /* as loaded; NULL for values without one */
} ir_type;

/* --------------------------------------------------------------- tensor */

/*
 * A tensor constant. Data is either little-endian `raw` bytes (borrowed
 * from the file buffer, mapped from an external data file, or owned by the
 * model), or still in the typed fields of `origin` (float_data,
 * int64_data, string_data...), or an unresolved external reference.
 */
struct ir_tensor {
	int elem_type;
	int rank;
	int64_t *dims;
	const void *raw; /* NULL when the data is not raw */
	size_t raw_size;
	/* STRING tensors created by passes: n_strings = numel entries. */
	const ProtobufCBinaryData *strings;
	/* data_location == EXTERNAL but not resolved (loaded from a buffer
	 * without a folder): no data here, kept as a reference. */
	bool external;
	bool modified; /* set by ir_tensor_set_raw; forces re-export */
	/* Resolved external data: raw was mapped from this file at
	 * data_offset (ir_external.h). */
	const struct ir_data_file *data_file;
	uint64_t data_offset;
	const Onnx__TensorProto *origin; /* as loaded; NULL for new tensors */
};

/* Number of elements, or -1 if a dim is negative or it overflows. */
int64_t ir_tensor_numel(const ir_tensor *tensor);
/* The tensor's data as contiguous little-endian bytes, decoding the typed
 * fields (float_data, int32_data, ...) when the file did not use raw_data.
 * The result is 16-byte aligned, borrowed or model-owned. False for
 * STRING, external and inconsistent tensors (data size does not match
 * the dims). */
bool ir_tensor_raw(ir_model *model, const ir_tensor *tensor, const void **data,
                   size_t *size);
/* The same bytes without the alignment guarantee, for readers that only
 * hash or compare bytes: a borrowed payload is then never copied. */
bool ir_tensor_bytes(ir_model *model, const ir_tensor *tensor,
                     const void **data, size_t *size);
/* The i-th element of a STRING tensor. */
bool ir_tensor_string(const ir_tensor *tensor, int64_t index,
                      ProtobufCBinaryData *out);
ir_tensor *ir_tensor_create_strings(ir_model *model, int rank,
                                    const int64_t *dims,
                                    const ProtobufCBinaryData *strings);

/* ------------------------------------------------------------ attribute */

struct ir_attr {
	const char *name;
	int type; /* ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__* */
	/* Scalar and list payloads, ref_attr_name, doc_string and unknown
	 * fields live in the proto. Tensors and graphs are lifted into the IR
	 * so that passes can see and rewrite them. */
	const Onnx__AttributeProto *proto;
	ir_tensor *tensor;   /* TENSOR */
	ir_tensor **tensors; /* TENSORS, proto->n_tensors entries */
	ir_graph *graph;     /* GRAPH */
	ir_graph **graphs;   /* GRAPHS, proto->n_graphs entries */
};

/* ----------------------------------------------------------------- value */

typedef enum { IR_DEF_INPUT, IR_DEF_INITIALIZER, IR_DEF_NODE } ir_def_kind;

typedef struct ir_use {
	ir_node *node;
	int index;
} ir_use;

struct ir_value {
	const char *name;
	ir_graph *graph; /* the scope that defines it */
	ir_def_kind def;
	ir_node *producer;  /* IR_DEF_NODE */
	int producer_index; /* output slot in producer */
	ir_tensor *tensor;  /* initializer data (IR_DEF_INITIALIZER) */
	const Onnx__SparseTensorProto *sparse; /* sparse initializer */
	bool is_graph_input;                   /* listed in graph inputs */
	/* Times its own graph lists it as an output (a body's output that
	 * names an outer value does not count: see ir_value_is_graph_output).
	 */
	int graph_output_slots;
	/* What passes read: the type as stated (loaded, or set by a pass),
	 * refined by shape inference. */
	ir_type type;
	bool type_changed; /* a pass restated it: export rebuilds the proto */
	/* Shape inference refined `type` (ir_value_refine_type), which is an
	 * analysis result, not a change: export writes `stated`, the type as
	 * it was before inference, until a pass records the inferred one
	 * (ir_value_record_type). */
	bool type_inferred;
	ir_type stated;
	/* Original ValueInfoProto entries, copied through on export. */
	const Onnx__ValueInfoProto *input_info;
	/* Its value_info entries carry this stamp; 0: it has none. */
	uint64_t value_info_stamp;
	ir_use *uses;
	int n_uses, cap_uses;
	bool removed;
	void *scratch; /* free for one pass at a time; NULL between passes */
	UT_hash_handle hh; /* in graph->scope */
};

/* ------------------------------------------------------------------ node */

struct ir_node {
	const char *op_type;
	const char *domain; /* "" is the default ONNX domain */
	const char *name;
	ir_graph *graph;
	ir_node *prev, *next;
	ir_value **inputs; /* NULL entry: absent optional input ("") */
	int n_inputs, cap_inputs;
	/* Where input i's entry sits in inputs[i]->uses, so that dropping
	 * a use is O(1) however many readers the value has (a shape
	 * constant shared by 100,000 Reshapes). */
	int *input_use_slots;
	int cap_input_use_slots;
	ir_value **outputs; /* NULL entry: absent optional output ("") */
	int n_outputs;
	ir_attr *attrs;
	int n_attrs, cap_attrs;
	/* doc_string, overload, metadata_props, device configurations,
	 * unknown fields */
	const Onnx__NodeProto *origin;
	int64_t order; /* scratch for ordering checks */
	bool removed;
	bool queued; /* held by the pass manager's worklist */
	void *scratch;
};

/* ----------------------------------------------------------------- graph */

typedef struct ir_value_info {
	ir_value *value;
	const Onnx__ValueInfoProto *proto;
	uint64_t stamp; /* see ir_value_info_live */
} ir_value_info;

/* An entry is live while its value still carries the entry's stamp, so
 * ir_value_info_remove is O(1): it clears the value's stamp, and readers
 * skip the dead entries (the list drops them when it next grows). An
 * entry naming no value of the graph is always live. */
static inline bool ir_value_info_live(const ir_value_info *entry)
{
	return !entry->value || entry->value->value_info_stamp == entry->stamp;
}

struct ir_graph {
	ir_model *model;
	ir_graph *parent;     /* NULL for the main graph */
	ir_node *parent_node; /* the If/Loop/Scan that owns this body */
	const char *name;
	const Onnx__GraphProto *origin; /* doc_string, metadata, annotations */
	ir_node *first, *last;
	int n_nodes;
	/* Ordered lists, as in the file. */
	ir_value **inputs;
	int n_inputs, cap_inputs;
	ir_value **outputs;
	const Onnx__ValueInfoProto **output_infos; /* parallel to outputs */
	int n_outputs, cap_outputs, cap_output_infos;
	/* Dense and sparse, in file order. ir_initializer_remove leaves a
	 * removed value in the list (value->removed) for O(1) removal, and
	 * readers skip those; ir_graph_compact drops them (the pass manager
	 * calls it after every pass, export before writing). */
	ir_value **initializers;
	int n_initializers, cap_initializers;
	int n_removed_initializers; /* removed values still in the list */
	/* value_info entries in file order; value is NULL for an entry that
	 * names no value of this graph (kept verbatim, as in the file).
	 * Some may be dead: see ir_value_info_live. */
	struct ir_value_info *value_infos;
	int n_value_infos, cap_value_infos;
	ir_value *scope; /* uthash on name: the values this graph defines */
	ir_graph **subgraphs; /* every graph whose parent is this one */
	int n_subgraphs, cap_subgraphs;
};

/* ----------------------------------------------------------------- model */

typedef struct ir_opset {
	const char *domain;
	int64_t version;
} ir_opset;

struct ir_model {
	int64_t ir_version;
	const char *producer_name, *producer_version, *domain;
	int64_t model_version;
	ir_opset *opsets;
	int n_opsets;
	ir_graph *graph;
	/* metadata_props, functions, training_info, configuration and
	 * unknown fields are carried in the original message. */
	const Onnx__ModelProto *origin;
	struct ir_arena *arena;
	ir_buffer *file; /* the loaded bytes that tensors borrow */
	struct ir_data_file *data_files; /* mapped external data files */
	struct ir_store *store;          /* big new tensors (ir_external.h) */
	Onnx__ModelProto *unpacked; /* protobuf-c tree, freed with the model */
	uint64_t name_counter;      /* for fresh unique names */
	/* Moves on every call of the mutation API below (and never
	 * otherwise), so an analysis stamped with it knows exactly whether
	 * the IR changed since it ran (passes/pass.h). */
	uint64_t generation;
	uint64_t value_info_stamps; /* the last stamp given out */
	int n_graphs_total;
	/* The folder external data was resolved against at load (NULL: not
	 * resolved), so that ir_model_reload resolves it the same way. */
	const char *external_base_dir;
	/* NULL, or told of the nodes each mutation touches (below). */
	ir_listener *listener;
};

/* Who wants to know which nodes the mutation API touches: the pass
 * manager's worklist (passes/pass_manager.c), which revisits only them.
 * node_touched is called, possibly more than once, for every node whose
 * neighbourhood a mutation changes: both ends of an edge added or removed
 * (the reader and the producer of the value), a node inserted or given
 * another op or attribute, and the producer and the readers of a value
 * whose definition, stated type or graph-output status changes. The node
 * may be removed or not (yet) in a graph when it is told. */
struct ir_listener {
	void (*node_touched)(ir_listener *self, ir_node *node);
};

/* ---------------------------------------------------------------- memory */

void *ir_alloc(ir_model *model, size_t size); /* zeroed, arena-owned */
char *ir_strdup(ir_model *model, const char *s);
void *ir_memdup(ir_model *model, const void *data, size_t size);
/* Grow an arena array (uses, lists) to hold `need` elements. */
void *ir_grow(ir_model *model, void *array, int *cap, int need,
              size_t elem_size);

/* ------------------------------------------------------------- load/save */

/* Read a model from a file path ("-" is stdin). Returns NULL and fills
 * *status on failure. */
ir_model *ir_model_load_file(const char *path, ir_status *status);
/* Load from bytes the caller keeps alive for the model's lifetime when
 * `borrow` is true; otherwise the bytes are copied first. External data
 * stays an unresolved reference. */
ir_model *ir_model_load_buffer(const void *data, size_t size, bool borrow,
                               ir_status *status);
/* The same, resolving external data relative to the folder `base_dir`
 * (NULL: leave it unresolved). */
ir_model *ir_model_load_buffer_at(const void *data, size_t size, bool borrow,
                                  const char *base_dir, ir_status *status);
/* Whether any tensor's data was read from an external data file. */
bool ir_model_has_external_data(const ir_model *model);
void ir_model_free(ir_model *model);
/* Free a model that memory ran out in the middle of building or
 * rewriting (ir_oom_handler): its IR is not walked, so a few scope tables
 * may leak, but nothing half-built is touched. */
void ir_model_free_after_oom(ir_model *model);
/* A second, independent model parsed from the bytes `model` was loaded
 * from, as it was before any pass ran. It borrows those bytes (a mapped
 * file stays mapped once), so it must be freed before `model`. NULL with
 * a status for a model that was built in memory. */
ir_model *ir_model_reload(const ir_model *model, ir_status *status);
/* Size of the bytes the model was loaded from; 0 if built in memory. */
size_t ir_model_source_size(const ir_model *model);

/* Stream the model to `out` through `write` (no second copy of it). */
typedef bool (*ir_write_fn)(void *out, const void *data, size_t size);
bool ir_model_save(ir_model *model, ir_write_fn write, void *out,
                   ir_status *status);
/* Write to a temporary file next to `path`, then rename it into place, so
 * a failure never leaves a partial file. "-" writes to stdout. */
bool ir_model_save_file(ir_model *model, const char *path, ir_status *status);

/* How ir_model_save_file_ex places tensor data (ir_save.c). */
typedef struct ir_save_options {
	/* Every tensor of external_threshold bytes or more goes to one data
	 * file beside the output. Without it, the output follows the input:
	 * external data stays external (new tensors over the threshold
	 * join it), and a model too big for one protobuf (2 GB) is written
	 * with external data and a note. */
	bool external;
	const char *external_name; /* NULL: "<OUT basename>.data" */
	uint64_t external_threshold;
	uint64_t external_align;
	FILE *notes; /* where notes go; NULL: nowhere */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
} ir_save_options;

#define IR_EXTERNAL_THRESHOLD_DEFAULT 1024
#define IR_EXTERNAL_ALIGN_DEFAULT     4096
/* protobuf's limit on one message */
#define IR_PROTOBUF_LIMIT ((uint64_t)2147483647)

void ir_save_options_init(ir_save_options *options);
bool ir_model_save_file_ex(ir_model *model, const char *path,
                           const ir_save_options *options, ir_status *status);
/* Save into a malloc'd buffer (at least one byte, so never NULL on
 * success) that the caller frees. */
bool ir_model_save_buffer(ir_model *model, uint8_t **data, size_t *size,
                          ir_status *status);
/* Build the ModelProto the exporter would write; freed with
 * ir_export_free. Used by save and by tests. */
Onnx__ModelProto *ir_export(ir_model *model, struct ir_arena **arena_out);
void ir_export_free(struct ir_arena *arena);

/* --------------------------------------------------------------- queries */

int64_t ir_model_opset(const ir_model *model, const char *domain);
ir_value *ir_graph_lookup(const ir_graph *graph, const char *name);
bool ir_value_is_graph_output(const ir_value *value);
bool ir_value_is_constant(
    const ir_value *value); /* has data, not overridable */
const ir_attr *ir_node_attr(const ir_node *node, const char *name);
int64_t ir_attr_int(const ir_node *node, const char *name, int64_t fallback);
/* An INT attribute that names an element type (Cast's `to`, `dtype`):
 * IR_UNDEFINED when it does not fit an int32, where narrowing 2^32 + 1
 * would read as FLOAT and make an invalid node look valid. */
int ir_attr_elem_type(const ir_node *node, const char *name, int fallback);
float ir_attr_float(const ir_node *node, const char *name, float fallback);
const char *ir_attr_string(const ir_node *node, const char *name,
                           const char *fallback);
bool ir_node_is(const ir_node *node, const char *op_type); /* ONNX domain */
/* The node that defines `value`; NULL when the value is absent (an
 * optional input left out: NULL in node->inputs), a graph input or an
 * initializer. The node may belong to an enclosing graph. */
ir_node *ir_value_producer(const ir_value *value);
int ir_node_count(const ir_graph *graph, bool recursive);

/* The default ONNX domain: NULL, "" or "ai.onnx". */
bool ir_is_onnx_domain(const char *domain);
/* The IEEE-style float types: float16, float, double, bfloat16. */
bool ir_elem_is_float(int elem_type);
/* The value is read by a node or is a graph output. */
bool ir_value_is_live(const ir_value *value);
/* No output of the node is live. */
bool ir_node_is_dead(const ir_node *node);
/* Whether every node that reads `readers_of` would resolve name_of's name
 * to name_of itself: a subgraph between them may define a value of that
 * name, which would shadow it. */
bool ir_value_readers_see(const ir_value *readers_of, const ir_value *name_of);

/* An INTS attribute: its number of entries with *values pointing at them,
 * or IR_ATTR_ABSENT, or IR_ATTR_WRONG_TYPE when the node has the attribute
 * with another type (runtimes reject such a node; callers leave it
 * alone). */
enum { IR_ATTR_ABSENT = -1, IR_ATTR_WRONG_TYPE = -2 };
int ir_attr_ints(const ir_node *node, const char *name, const int64_t **values);

#define ir_graph_for_each_node(graph, node)                                    \
	for (ir_node *node = (graph)->first,                                   \
	             *node##_next_ = node ? node->next : NULL;                 \
	     node;                                                             \
	     node = node##_next_, node##_next_ = node ? node->next : NULL)

/* ------------------------------------------------------------- mutation */

/* An empty model importing the default ONNX domain at `opset`. */
ir_model *ir_model_create(int64_t ir_version, int64_t opset);
/* Set (or add) the opset version imported for a domain. */
void ir_model_set_opset(ir_model *model, const char *domain, int64_t version);
ir_value *ir_graph_add_input(ir_graph *graph, const char *name, int elem_type,
                             int rank, const ir_dim *dims);
void ir_graph_add_output(ir_graph *graph, ir_value *value);
/* Make `value` the graph's output `index` (the slot keeps its
 * ValueInfoProto only if the value keeps the name). */
void ir_graph_set_output(ir_graph *graph, int index, ir_value *value);

/* A new value with a fresh unique name derived from `hint`. */
ir_value *ir_value_create(ir_graph *graph, const char *hint);
/* A node with the given inputs (NULL for absent) and n_outputs fresh
 * values; it is not in the graph until inserted. */
ir_node *ir_node_create(ir_graph *graph, const char *op_type,
                        const char *domain, ir_value *const *inputs,
                        int n_inputs, int n_outputs);
void ir_node_insert_before(ir_node *anchor, ir_node *node);
void ir_node_insert_after(ir_node *anchor, ir_node *node);
void ir_node_append(ir_graph *graph, ir_node *node);
/* Unlink the node and drop its input uses. Its outputs must be unused. */
void ir_node_remove(ir_node *node);
void ir_node_set_input(ir_node *node, int index, ir_value *value);
void ir_node_add_input(ir_node *node, ir_value *value);
/* Keep only the first n inputs (dropping the uses of the others), or the
 * first n outputs, which must then be absent or unused and not graph
 * outputs: an op version with fewer slots (opset conversion). */
void ir_node_truncate_inputs(ir_node *node, int n);
void ir_node_truncate_outputs(ir_node *node, int n);
/* Give the node another op of the same domain (Scatter becomes
 * ScatterElements); inputs, outputs and attributes stay. */
void ir_node_set_op_type(ir_node *node, const char *op_type);
void ir_node_set_attr_int(ir_node *node, const char *name, int64_t v);
void ir_node_set_attr_ints(ir_node *node, const char *name, const int64_t *v,
                           int n);
void ir_node_set_attr_float(ir_node *node, const char *name, float v);
void ir_node_set_attr_floats(ir_node *node, const char *name, const float *v,
                             int n);
void ir_node_set_attr_string(ir_node *node, const char *name, const char *v);
void ir_node_set_attr_tensor(ir_node *node, const char *name,
                             ir_tensor *tensor);
void ir_node_remove_attr(ir_node *node, const char *name);
/* Point every use of `from` at `to`. Graph outputs keep their names: if
 * `from` is a graph output, the caller must handle that (see
 * ir_value_replace_output). */
void ir_value_replace_all_uses(ir_value *from, ir_value *to);
/* Make `node` the definition of `value` at output slot `index`, taking it
 * over from its old producer (whose slot becomes absent). The value keeps
 * its name and uses, so a fusion whose last output is a graph output keeps
 * the graph's interface. The node's previous value in that slot, if any,
 * must be unused; it is dropped. */
void ir_value_move_definition(ir_value *value, ir_node *node, int index);
/* New initializer holding a tensor that the model owns. */
ir_value *ir_initializer_add(ir_graph *graph, const char *hint,
                             ir_tensor *tensor);
/* The tensor's bytes are copied, except bytes written into
 * ir_tensor_room: those are the model's already and become the tensor's
 * as they are (tensors are never written after creation). */
ir_tensor *ir_tensor_create(ir_model *model, int elem_type, int rank,
                            const int64_t *dims, const void *raw,
                            size_t raw_size);
/* Zeroed room for the bytes of a big tensor about to be created, in the
 * model's file-backed store, so that it is written once, not computed on
 * the heap and copied; NULL for a small one or without a store. Room that
 * no tensor takes is given back with ir_tensor_room_release. */
void *ir_tensor_room(ir_model *model, size_t size);
/* Make the store's file in `folder` (the output's, so that a save beside
 * it can adopt the file as its data file) instead of TMPDIR; before the
 * first big tensor is stored. */
void ir_model_set_store_folder(ir_model *model, const char *folder);
void ir_tensor_room_release(ir_model *model, void *room, size_t size);
/* Remove an unused initializer, its graph-input entry and value_info. */
void ir_initializer_remove(ir_value *value);
/* Drop removed initializers from the lists of graph and its subgraphs;
 * linear. Not while a caller iterates over an initializer list. */
void ir_graph_compact(ir_graph *graph);
/* Turn a node output into an initializer holding `tensor` (model-owned).
 * The value keeps its name, its uses and its place among the graph
 * outputs; its producer's slot becomes absent. (ir_define.c) */
void ir_value_make_initializer(ir_value *value, ir_tensor *tensor);
/* Replace `node` by the nodes of its subgraph `body`, which takes no
 * inputs (an If branch): body nodes, initializers and values move into
 * node's graph (renamed if a name is taken elsewhere), node's outputs are
 * bound to body's outputs (through an Identity when a body output is not
 * a node output), and node is removed. False, untouched, on a mismatch. */
bool ir_graph_inline_subgraph(ir_node *node, ir_graph *body, ir_status *status);
/* Drop the value_info entries of a value (e.g. after a rewrite); O(1). */
void ir_value_info_remove(ir_value *value);
/* How many live value_info entries the graph has. */
int ir_graph_value_info_count(const ir_graph *graph);
/* Give a node output a value_info entry in its graph, so that its type is
 * exported (shape inference). No-op for graph inputs and outputs, whose
 * types the graph's interface carries, and for a value that has one.
 * True when an entry was added. */
bool ir_value_info_add(ir_value *value);
/* State a value's type (a pass's rewrite); export writes it. */
void ir_value_set_type(ir_value *value, int elem_type, int rank,
                       const ir_dim *dims);
/* For shape inference only: refine `type` without changing what export
 * writes and without moving the generation. Running an analysis is not a
 * mutation: a pass that reports 0 changes saves the same bytes. */
void ir_value_refine_type(ir_value *value, int elem_type, int rank,
                          const ir_dim *dims);
/* Make export write the type inference found for `value` (where the
 * model has a place for it: a graph input or output, a value_info entry).
 * True when it was not written yet. It leaves `type` as it is, so it does
 * not move the generation either. */
bool ir_value_record_type(ir_value *value);
/* Re-sort nodes topologically (stable). False if there is a cycle. */
bool ir_graph_toposort(ir_graph *graph, ir_status *status);
/* Call fn on graph and every nested subgraph, parents first. */
void ir_graph_walk(ir_graph *graph, void (*fn)(ir_graph *, void *), void *ctx);

/* ------------------------------------------------------------- printing */

/* A readable text dump, one line per node (ir_print.c). */
void ir_print_model(const ir_model *model, FILE *out);

/* ------------------------------------------------------------- hashing */

/* FNV-1a: the hash the passes' tables (CSE, duplicate initializers, shape
 * values) share. Start from IR_HASH_SEED and fold in bytes. */
#define IR_HASH_SEED 14695981039346656037ULL
static inline uint64_t ir_hash_bytes(uint64_t h, const void *data, size_t size)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < size; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* ------------------------------------------------------------- verifier */

/* Check every invariant listed at the top of this file, recursively.
 * Returns false with a message naming the first violation. */
bool ir_verify(const ir_model *model, ir_status *status);

#endif
