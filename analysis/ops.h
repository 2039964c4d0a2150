/*
 * ops.h - the operator table: what onnx-opt knows about each standard op.
 *
 * One row per op in ops.def gives its name, domain, shape-inference
 * function and flags; the evaluator's kernels (analysis/eval/kernels.def,
 * and the FLOAT_UNARY rows of ops.def) are joined to the rows by name,
 * op_attributes.def gives the type of each attribute, and
 * op_versions.def holds the facts that depend on the opset. Passes and
 * analyses ask this table rather than re-encoding op facts:
 *
 *     const op_info *op = op_lookup(node->domain, node->op_type);
 *     if (op && op->eval && !op_node_is_random(node)) ...
 *     if (op_node_has(node, OP_IDEMPOTENT)) ...
 *     int slot = op_attribute_input("ReduceMean", "axes", opset);
 *
 * Rows are versionless: each inference function and kernel reads the
 * model's opset from its context; where a fact changed between versions
 * it comes from op_versions.def.
 */
#ifndef ONNXOPT_OPS_H
#define ONNXOPT_OPS_H

#include <stdbool.h>

#include "ir.h"

typedef struct infer_ctx infer_ctx;
typedef void (*op_infer_fn)(infer_ctx *ctx);

typedef struct eval_call eval_call;
typedef int (*op_eval_fn)(eval_call *call);

/* The flags column of ops.def. */
enum {
	/* The output is random: never evaluated, never merged with a twin. */
	OP_RANDOM = 1 << 0,
	/* Random when training (Dropout); see op_node_is_random. */
	OP_RANDOM_IN_TRAINING = 1 << 1,
	/* One input, one output, and f(f(x)) = f(x). */
	OP_IDEMPOTENT = 1 << 2,
	/* Reduces axes of input 0, keeping them as 1s when keepdims = 1
	 * (the default) and dropping them when 0: Reduce*, ArgMax, ArgMin. */
	OP_REDUCTION = 1 << 3,
	/* Two inputs that may be swapped without changing the result, from
	 * opset 7 on (before, a broadcast attribute applied to input 1 only);
	 * op_node_has checks the opset. */
	OP_COMMUTATIVE = 1 << 4,
};

typedef struct op_info {
	const char *name;
	const char *domain; /* "" for the default ONNX domain */
	op_infer_fn infer;
	op_eval_fn eval; /* NULL: no kernel */
	unsigned flags;
} op_info;

/* The row for an op, or NULL. "ai.onnx" and "" are the same domain. */
const op_info *op_lookup(const char *domain, const char *op_type);

/* Whether this node's result is random: an OP_RANDOM op, or Dropout in
 * training mode (a training_mode input that is not a constant false). */
bool op_node_is_random(const ir_node *node);

/* Whether the node's op has `flag` (any of them, when several OP_* flags
 * are or-ed), at the node's domain and the model's opset for it. */
bool op_node_has(const ir_node *node, unsigned flag);

/* op_attributes.def: the first attribute of the node whose type is not
 * one its op's schema gives that attribute (an INT axis given as a
 * STRING), or NULL when all fit. Attributes and ops the table does not
 * list fit. Runtimes reject such a node, so every pass, folding and shape
 * inference leave it alone: our output must stay rejected. */
const ir_attr *op_node_mistyped_attribute(const ir_node *node);

/* The dims [*start, *end) of an input of `rank` that a Shape node returns:
 * from opset 15 its start and end attributes, negative ones counting from
 * the back, clamped to [0, rank]; the whole shape before. *end may be
 * below *start (an empty result). */
void op_shape_range(const ir_node *shape, int64_t opset, int64_t rank,
                    int64_t *start, int64_t *end);

/* op_versions.def: the input slot that carries what older versions of the
 * default-domain op read from `attribute`, at `opset`; -1 while it is
 * still the attribute, or when the table knows no such move. */
int op_attribute_input(const char *op_type, const char *attribute,
                       int64_t opset);
/* The first opset at which `attribute` of the op became an input (its
 * slot then in *input_index, if not NULL); 0 if it never did. */
int op_attribute_input_since(const char *op_type, const char *attribute,
                             int *input_index);

/* op_versions.def: the opset that gave the default-domain op its
 * attribute `attribute` (ADDED_ATTRIBUTE; Reshape's allowzero: 14), or 0
 * when the attribute is as old as the op. An older node does not have it:
 * read it only at opsets from this one on. */
int op_attribute_added_in(const char *op_type, const char *attribute);

/* op_versions.def: the opset at which the version of the default-domain
 * op in force at `opset` came (its ONNX since_version); 0 when the op is
 * not in that opset: not added yet, removed (op_removed_in), or unknown. */
int op_since_version(const char *op_type, int64_t opset);
/* The opset from which the op is gone, and the op that took its place
 * (*replacement, if not NULL); 0 if it was never removed. */
int op_removed_in(const char *op_type, const char **replacement);
/* The removed op that `op_type` replaced (ScatterElements: Scatter), and
 * the opset that removed it (*removed_in); NULL if none. */
const char *op_replaced(const char *op_type, int *removed_in);

/* The IR version a model importing default-domain `opset` needs at
 * least; 0 for opsets the table does not list. */
int op_min_ir_version(int64_t opset);

/* One change of a default-domain op's signature (op_versions.def). */
typedef enum {
	OP_MOVED_ATTRIBUTE, /* ATTRIBUTE_INPUT: attribute -> input `slot` */
	OP_ADDED_ATTRIBUTE, /* attribute with default_value (or NULL) */
	OP_ADDED_INPUT,     /* optional input `slot` */
	OP_ADDED_OUTPUT,    /* optional output `slot` */
} op_change_kind;

typedef struct op_change {
	op_change_kind kind;
	const char *attribute; /* the moved or added attribute */
	int since;
	int slot;
	const char *default_value;
} op_change;

/* The changes of the op at opsets in (low, high], in table order, up to
 * `max` of them into out; returns how many there are. */
int op_signature_changes(const char *op_type, int64_t low, int64_t high,
                         op_change *out, int max);

/* Whether op_attributes.def is in the order lookups rely on (for tests). */
bool op_attribute_table_sorted(void);

/* The whole table, sorted by (domain, name): for tests and listings. */
const op_info *op_table(int *count);

#define OP(name, domain, infer, flags) void infer(infer_ctx *ctx);
#include "ops.def"
#undef OP

#endif
