/*
 * ops.h - the operator table: what onnx-opt knows about each standard op.
 *
 * One row per op in ops.def gives its name, domain, shape-inference
 * function and flags; the evaluator's kernels (analysis/eval/kernels.def)
 * are joined to the rows by name. Passes ask this table rather than
 * re-encoding op facts:
 *
 *     const op_info *op = op_lookup(node->domain, node->op_type);
 *     if (op && op->eval && !op_node_is_nondeterministic(node)) ...
 *
 * The table is versionless: each function reads the model's opset from
 * its context and handles the signature changes between versions itself.
 */
#ifndef ONNXOPT_OPS_H
#define ONNXOPT_OPS_H

#include <stdbool.h>

#include "ir.h"

typedef struct infer_ctx infer_ctx;
typedef void (*op_infer_fn)(infer_ctx *ctx);

typedef struct eval_call eval_call;
typedef int (*op_eval_fn)(eval_call *call);

enum {
	OP_RANDOM = 1 << 0,             /* output is random */
	OP_RANDOM_IN_TRAINING = 1 << 1, /* random when training (Dropout) */
};

typedef struct op_info {
	const char *name;
	const char *domain; /* "" for the default ONNX domain */
	op_infer_fn infer;
	op_eval_fn eval;       /* NULL: no kernel */
	bool nondeterministic; /* OP_RANDOM: never evaluate */
	unsigned flags;
} op_info;

/* The row for an op, or NULL. "ai.onnx" and "" are the same domain. */
const op_info *op_lookup(const char *domain, const char *op_type);

/* Whether this node's result is random: a random op, or Dropout in
 * training mode (a training_mode input that is not a constant false). */
bool op_node_is_nondeterministic(const ir_node *node);

/* The whole table, sorted by (domain, name): for tests and listings. */
const op_info *op_table(int *count);

#define OP(name, domain, infer, flags) void infer(infer_ctx *ctx);
#include "ops.def"
#undef OP

#endif
