/*
 * infer.h - what an operator's inference function sees (internal to
 * analysis/shape/).
 *
 * An inference function, named in analysis/ops.def, reads its node's input
 * types, attributes and (when they are constants or symbolic shape
 * tensors) input contents through an infer_ctx, and reports what it can
 * of each output with infer_output. It reports nothing it is unsure of:
 * an output it cannot derive is simply not reported, and a dim it cannot
 * derive is dim_unknown(). The driver (infer.c) merges reports into the
 * IR without ever contradicting what the model already states.
 */
#ifndef ONNXOPT_SHAPE_INFER_H
#define ONNXOPT_SHAPE_INFER_H

#include <stdbool.h>
#include <stdint.h>

#include "ops.h"
#include "shape.h"

#define SHAPE_MAX_RANK 16
/* Node inferences a model's loops may repeat: a tenth of a second. */
#define SHAPE_REPEAT_BUDGET (1LL << 16)

/* A tensor type during inference: element type and dims as expressions. */
typedef struct shape_type {
	int elem; /* IR_UNDEFINED when unknown */
	int rank; /* -1 when unknown */
	dim_expr dims[SHAPE_MAX_RANK];
} shape_type;

/* One inference run: the model, a memo of symbolic shape tensors
 * (value.c), and the count of refined values. */
typedef struct shape_analysis {
	ir_model *model;
	int refined;
	struct value_memo *memo;
	int depth; /* recursion guard for symbolic evaluation */
	/* Nodes inferred again, in a Loop or Scan body's later rounds (and
	 * the bodies nested in them): while repeating > 0, each node counts.
	 * Past SHAPE_REPEAT_BUDGET, bodies get one round (control_flow.c). */
	int repeating;
	long long repeated;
	/* Fresh symbols (see shape.h): the next number, found on first use. */
	bool fresh_scanned;
	long long next_fresh;
} shape_analysis;

struct infer_ctx {
	shape_analysis *analysis;
	ir_node *node;
	int64_t opset; /* the version of the node's domain the model imports */
};

/* ------------------------------------------------------------- inputs */

bool infer_input_present(const infer_ctx *ctx, int index);
/* The input's tensor type; false when absent or not a tensor. */
bool infer_input(const infer_ctx *ctx, int index, shape_type *out);
int infer_input_elem(const infer_ctx *ctx, int index);
/* The input's declared ValueInfo type proto when it is not a tensor
 * (sequence, optional), or NULL. */
const Onnx__TypeProto *infer_input_proto(const infer_ctx *ctx, int index);
/* Symbolic contents of a small integer input (see shape_value). */
const shape_value *infer_input_value(const infer_ctx *ctx, int index);
/* Contents as constants; false unless every element is known and at
 * most max of them. */
bool infer_input_ints(const infer_ctx *ctx, int index, int64_t *out, int max,
                      int *n);
/* A constant floating-point input (initializer or Constant node). */
bool infer_input_doubles(const infer_ctx *ctx, int index, double *out, int max,
                         int *n);
/* A constant input's tensor: initializer or Constant node value. */
const ir_tensor *infer_input_tensor(const infer_ctx *ctx, int index);

/* --------------------------------------------------------- attributes */

int64_t infer_attr_int(const infer_ctx *ctx, const char *name,
                       int64_t fallback);
const char *infer_attr_string(const infer_ctx *ctx, const char *name,
                              const char *fallback);
bool infer_has_attr(const infer_ctx *ctx, const char *name);
/* Number of ints in the attribute, or -1 when it is absent or longer
 * than max. */
int infer_attr_ints(const infer_ctx *ctx, const char *name, int64_t *out,
                    int max);
ir_graph *infer_attr_graph(const infer_ctx *ctx, const char *name);

/* ------------------------------------------------------------ outputs */

int infer_output_count(const infer_ctx *ctx);
void infer_output(infer_ctx *ctx, int index, const shape_type *type);
/* Only the element type is known. */
void infer_output_elem(infer_ctx *ctx, int index, int elem);

/* ------------------------------------------------------------ helpers */

void shape_type_unknown(shape_type *t, int elem);
/* A type of the given rank whose dims are all unknown. */
void shape_type_rank(shape_type *t, int elem, int rank);
bool shape_type_from_ir(const ir_type *type, shape_type *out);
/* Product of all dims; unknown if any is. */
dim_expr shape_type_numel(const shape_type *t);
/* Multidirectional (numpy) broadcast of b into a. False when the shapes
 * cannot broadcast (known dims that differ and are not 1). */
bool shape_broadcast(shape_type *a, const shape_type *b);
/* Map a possibly negative axis into [0, rank); false if out of range. */
bool shape_axis(int64_t axis, int rank, int *out);
/* Run inference over a subgraph (control_flow.c uses it for bodies). */
void shape_infer_graph(shape_analysis *analysis, ir_graph *graph);
/* Refine a value's type from an inference result, as the driver does for
 * node outputs; used for the inputs of bodies. */
void shape_refine_value(shape_analysis *analysis, ir_value *value,
                        const shape_type *type);
/* Save and restore every type inside a body, so a Loop can re-infer its
 * body with more general inputs (see control_flow.c). */
typedef struct shape_snapshot shape_snapshot;
shape_snapshot *shape_snapshot_take(shape_analysis *analysis, ir_graph *graph);
void shape_snapshot_restore(shape_snapshot *snapshot);
void shape_snapshot_free(shape_snapshot *snapshot);

/* Symbolic evaluation of shape tensors (value.c). */
const shape_value *shape_analysis_value(shape_analysis *analysis,
                                        ir_value *value);
/* Forget every memoized value (their inputs' types changed). */
void shape_analysis_forget(shape_analysis *analysis);
shape_analysis *shape_analysis_create(ir_model *model);
void shape_analysis_free(shape_analysis *analysis);

/* Shared by several families: output i has input j's type. */
void shape_infer_same_as_input(infer_ctx *ctx, int output, int input);

#endif
