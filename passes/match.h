/*
 * match.h - a small pattern matcher for the fusion passes (internal).
 *
 * Why: a fusion should read like the pattern it replaces, and the legality
 * rules every fusion shares (standard domain, one graph, intermediates
 * nobody else reads, constants of a known dtype) should be written once,
 * here, instead of once per pass as chains of producer pointer checks.
 *
 * Design
 *
 *  - A `match` walks from a root node (the LAST node of the pattern, the
 *    one whose output the fused node will define) towards its producers.
 *    Every node it steps onto is recorded; nodes[0] is the root.
 *
 *  - Every step is a no-op once a step has failed, so a pattern is written
 *    as a straight sequence of calls with one check at the end:
 *
 *        match m;
 *        match_begin(&m, model, node, "Sqrt");
 *        ir_node *add = match_input(&m, node, 0, "Add");
 *        ir_value *eps = NULL;
 *        ir_node *mean = match_commuted(&m, add, "ReduceMean", &eps);
 *        double epsilon = match_scalar(&m, eps);
 *        if (!match_private(&m))
 *                return 0;
 *
 *  - match_input/match_producer only step onto a node of the requested op
 *    type in the standard ONNX domain that lives in the root's graph, so
 *    no pattern crosses a subgraph boundary or picks up a custom op.
 *    Reaching the same node twice (a DAG such as LayerNorm's two uses of
 *    x - mean) records it once.
 *
 *  - match_commuted handles Add/Mul operand order: it steps to whichever
 *    operand is produced by the requested op and hands back the other.
 *    For patterns where both orders could match, match_save/match_restore
 *    give cheap backtracking (the state is two counters and a flag).
 *
 *  - Constants are captured through match_constant (an initializer that is
 *    not overridable as a graph input, or the output of a Constant node),
 *    which presents them uniformly as a match_const view: dtype, dims and
 *    little-endian data. Constant nodes read this way are remembered, so
 *    that match_commit can remove them when the rewrite leaves them unused.
 *
 *  - match_private is the legality check for intermediates, in one call:
 *    every output of every recorded node other than the root is read only
 *    by recorded nodes and is not a graph output. The root's outputs other
 *    than slot 0 must be absent or unused.
 *
 *  - match_commit performs the rewrite: the replacement node (new, or a
 *    recorded node that is kept, such as the Conv that absorbs a
 *    BatchNormalization) takes over the definition of the root's output 0
 *    (ir_value_move_definition), so the value keeps its name, uses and
 *    graph-output status. All other recorded nodes are then removed, then
 *    Constant nodes and replaced initializers (match_retire) that nothing
 *    reads any more. The replacement must read only values from outside
 *    the pattern; match_commit checks that before changing anything.
 *    match_commit_passthrough is the variant for patterns that cancel out
 *    (Transpose pairs, Squeeze/Unsqueeze pairs).
 *
 *  - The commit is a transaction. Until it, a pass changes nothing that
 *    exists: it creates nodes (match_emit) and initializers, and states
 *    the kept node's new inputs and attributes as edits (match_edit_*),
 *    which the commit applies only after its checks pass. A refused
 *    commit removes what the pass created and returns false; its result
 *    must be used (MATCH_MUST_USE), and only a true one is a change.
 *
 *  - New nodes are placed just before the root (match_emit): every value
 *    a fused node reads is defined before some pattern node, hence before
 *    the root, so the graph stays topologically sorted.
 *
 *  - match_for_each_node is the driver: it visits every node of every
 *    graph (subgraphs included) from a snapshot, so a rewrite may remove
 *    nodes anywhere without upsetting the walk. Passes whose legality
 *    depends on ranks or dims declare .needs = ANALYSIS_TYPES, and the
 *    pass manager refines types with shape inference before they run
 *    (pass.h); a value whose type is unknown fails such a check.
 *
 * Files: match.c (walking, legality, rewriting, driving), match_const.c
 * (constants and dtypes), match_shape.c (ranks, dims, axes, Pad forms,
 * per-channel constants).
 */
#ifndef ONNXOPT_MATCH_H
#define ONNXOPT_MATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "ir.h"

#define MATCH_MAX_NODES 40
#define MATCH_MAX_RANK  8
#define MATCH_MAX_EDITS 12

/* A commit's result must be looked at: a refused commit changed nothing,
 * so the pass must not count a change. */
#define MATCH_MUST_USE __attribute__((warn_unused_result))

/* A constant as the pattern sees it; data is little-endian, numel
 * elements of elem_type, borrowed from the model. */
typedef struct match_const {
	ir_value *value;
	int elem_type;
	int rank;
	int64_t dims[MATCH_MAX_RANK];
	int64_t numel;
	const void *data;
	ir_node *constant_node; /* the Constant op defining it, or NULL */
} match_const;

/* A change to the node that match_commit keeps, held back until the
 * commit's checks pass (match_edit_*). */
typedef struct match_edit {
	enum {
		MATCH_EDIT_INPUT,
		MATCH_EDIT_INT,
		MATCH_EDIT_INTS,
		MATCH_EDIT_FLOAT,
		MATCH_EDIT_STRING,
	} kind;
	int index;        /* INPUT: the slot (appended up to it if need be) */
	ir_value *value;  /* INPUT: the new input, NULL for absent */
	const char *name; /* attributes */
	int64_t i;        /* INT */
	const int64_t *ints; /* INTS: a model-owned copy */
	int n;
	float f;       /* FLOAT */
	const char *s; /* STRING: model-owned */
} match_edit;

typedef struct match {
	ir_model *model;
	ir_graph *graph;
	int64_t opset; /* of the default domain */
	bool failed;
	ir_node *nodes[MATCH_MAX_NODES];
	int n_nodes;
	/* Constant nodes and initializers the rewrite may leave unused. */
	ir_value *retired[MATCH_MAX_NODES];
	int n_retired;
	/* What match_commit applies to the node it keeps. */
	match_edit edits[MATCH_MAX_EDITS];
	int n_edits;
	/* Nodes match_emit created, removed again if the commit is
	 * refused. */
	ir_node *emitted[MATCH_MAX_NODES];
	int n_emitted;
} match;

typedef struct match_mark {
	int n_nodes, n_retired;
} match_mark;

/* ------------------------------------------------------------ walking */

/* Start at `root`, which must be `op` in the standard domain. */
bool match_begin(match *m, ir_model *model, ir_node *root, const char *op);
/* The node of type `op` defining `value`, recorded; NULL on failure. */
ir_node *match_producer(match *m, ir_value *value, const char *op);
/* match_producer of node's input `index`. */
ir_node *match_input(match *m, ir_node *node, int index, const char *op);
/* For a two-input commutative node: the producer (of type `op`) of one
 * operand, trying input 0 first; *other receives the remaining operand.
 * Fails on a node that reads one value twice. */
ir_node *match_commuted(match *m, ir_node *node, const char *op,
                        ir_value **other);
/* The operand of a two-input node that is not `known` (for a node reading
 * `known` twice, `known` itself); NULL when `known` is not an input. */
ir_value *match_other_operand(match *m, const ir_node *node,
                              const ir_value *known);
/* Fail the match unless `condition` holds. Returns the match's state. */
bool match_check(match *m, bool condition);
bool match_same(match *m, const ir_value *a, const ir_value *b);
bool match_opset_at_least(match *m, int64_t opset);
/* The input at `index`, or NULL (failing the match) when it is absent. */
ir_value *match_operand(match *m, const ir_node *node, int index);
bool match_ok(const match *m);
bool match_is_recorded(const match *m, const ir_node *node);

match_mark match_save(const match *m);
void match_restore(match *m, match_mark mark);

/* ---------------------------------------------------------- constants */

/* Read `value` as a constant without touching a match. */
bool match_read_constant(ir_model *model, ir_value *value, match_const *out);
/* Capture a constant; fails the match when `value` is not one. */
bool match_constant(match *m, ir_value *value, match_const *out);
/* A single-element constant of a floating or integer type, as a double. */
double match_scalar(match *m, ir_value *value);
/* match_scalar that must be within rel_tol (relative) of `want`. */
bool match_scalar_near(match *m, ir_value *value, double want, double rel_tol);
/* Element i of a constant, converted to double (floats and integers). */
double match_const_get(const match_const *c, int64_t index);
/* All elements as doubles / as int64 (malloc'd, the caller frees); NULL
 * for unsupported dtypes. */
double *match_const_doubles(const match_const *c);
bool match_const_int64s(const match_const *c, int64_t *out, int max, int *n);

/* A new model-owned tensor of a floating type from doubles (rounded to
 * nearest), or of an integer type from int64s. */
ir_tensor *match_tensor_from_doubles(ir_model *model, int elem_type, int rank,
                                     const int64_t *dims, const double *values);
ir_value *match_add_initializer_doubles(ir_graph *graph, const char *hint,
                                        int elem_type, int rank,
                                        const int64_t *dims,
                                        const double *values);
ir_value *match_add_initializer_int64s(ir_graph *graph, const char *hint,
                                       int rank, const int64_t *dims,
                                       const int64_t *values);

/* Mixed precision, as normalization fusions meet it: n -> [Cast(to)] ->
 * Mul(gamma), gamma a constant of the Cast's type. */

/* The operand of `scale` (a two-input Mul) that is not its constant
 * gamma (input 1 when that is a constant, else input 0), stepping back
 * through a Cast; *gamma is the other operand, *cast_to the Cast's
 * target type or 0 when there is none. */
ir_value *match_scaled_operand(match *m, ir_node *scale, ir_value **gamma,
                               int *cast_to);
/* A constant's values as a new initializer of `elem_type` (the fused
 * node's type, when a Cast is folded away), named after the constant. */
ir_value *match_constant_as(match *m, const match_const *c, int elem_type);
/* `fused`, or a Cast of its output to cast_to when that is not 0: what
 * the pattern computed in the Cast's type. */
ir_node *match_emit_cast(match *m, ir_node *fused, int cast_to);

/* ------------------------------------------------------------- shapes */

/* The value's rank from its type, or -1. */
int match_rank(const ir_value *value);
/* Dimension `axis` (negative counts from the end) as a known number, or
 * -1 when unknown. */
int64_t match_dim(const ir_value *value, int axis);
/* True when both dims are the same number or the same symbolic name. */
bool match_dims_equal(const ir_dim *a, const ir_dim *b);
/* The value's element type, from its type or its constant data; 0 when
 * unknown. */
/* `value` (a scalar or a [1] tensor) holds a size provably equal to dim
 * `axis` of x, read off a Shape: Shape(y)[a] through Gather or a
 * one-element Slice, Shape-15's start/end, and Squeeze/Unsqueeze of
 * axis 0, where y's dim a and x's dim `axis` are the same symbol. */
bool match_holds_dim(ir_model *model, ir_value *value, const ir_value *x,
                     int axis);
int match_elem_type(ir_model *model, ir_value *value);

/* Axes of Squeeze/Unsqueeze/Reduce*: from the "axes" attribute, or from
 * the constant input at `input_index` (the opset-13/18 form). *present is
 * false when neither is given. False when the axes are not constant. */
bool match_axes(ir_model *model, const ir_node *node, int input_index,
                int64_t *axes, int max, int *n, bool *present);
/* Normalize axes against `rank` (negative ones count from the end),
 * reject out-of-range and duplicate axes, and sort them. */
bool match_normalize_axes(int64_t *axes, int n, int rank);
/* The axes of a Reduce* node with keepdims = 1, as the number k of
 * trailing axes of its input (of rank `rank`, -1 if unknown) they reduce;
 * 0 when they are absent or not the last k axes. Negative axes need no
 * rank. */
int match_trailing_axes(ir_model *model, const ir_node *reduce, int rank);
/* The axes of a Squeeze/Unsqueeze/Reduce* (attribute, or input 1),
 * normalized against `rank` (-1: unknown, then negative axes fail) and
 * sorted. Fails the match when absent or not constant. */
bool match_node_axes(match *m, const ir_node *node, int rank, int64_t *axes,
                     int *n);
/* New axes for `node`, the node match_commit will keep, in the form it
 * already uses: the attribute, or a new initializer at input 1 (the old
 * one is retired). An edit, applied by the commit. */
void match_edit_axes(match *m, const ir_node *node, const int64_t *axes, int n);
/* An INTS attribute into `out`; false when absent or too long. */
bool match_attr_ints(const ir_node *node, const char *name, int64_t *out,
                     int max, int *n);

/* Per-channel values of a constant that broadcasts against a tensor of
 * `rank` along `axis` only (every other dim 1, that one 1 or `channels`);
 * out receives `channels` values. False for any other shape. */
bool match_per_channel(const match_const *c, int rank, int axis,
                       int64_t channels, double *out);
/* The pads of a Pad node that pads with zeros in constant mode (any opset
 * form: attributes before 11, inputs after, the axes input of 18), as
 * 2*rank begin/end entries for an input of `rank`. Fails the match for
 * other modes, non-zero values, negative or non-constant pads. */
bool match_zero_pads(match *m, const ir_node *pad, int rank, int64_t *pads);
/* The zero Pad feeding input 0 of `consumer` (a Conv or pool of input
 * `rank`), padding only the spatial axes and read by nothing else, with
 * its spatial pads added to the consumer's own (its pads attribute, zeros
 * when absent) into out, 2*(rank-2) entries in the consumer's layout.
 * *consumer_padded tells whether the consumer's own pads had a non-zero.
 * Fails the match otherwise. */
ir_node *match_pad_into_pads(match *m, ir_node *consumer, int rank,
                             int64_t *out, bool *consumer_padded);

/* ------------------------------------------------------------- legality */

/* The intermediates check described at the top of this file. */
bool match_private(match *m);
/* Is `value` absent or defined outside the recorded pattern? Fails the
 * match otherwise. A value the replacement will read must be: the commit
 * removes the pattern's nodes. Patterns whose operands can be reached
 * through the pattern itself (attention's V read from K's Transpose) ask
 * this before emitting. */
bool match_from_outside(match *m, const ir_value *value);
/* True when any output of `node` other than slot 0 is used or is a graph
 * output. */
bool match_extra_outputs_used(const ir_node *node);

/* ------------------------------------------------------------ rewriting */

/* A new node in the root's graph, placed just before the root. */
ir_node *match_emit(match *m, const char *op, ir_value *const *inputs,
                    int n_inputs, int n_outputs);
/* Set input `index` of a node the pattern created (match_emit), first
 * appending absent inputs up to it. The node that match_commit keeps is
 * changed through the match_edit_* calls instead. */
void match_set_input(ir_node *node, int index, ir_value *value);

/* Edits of the kept node, the `replacement` of match_commit when it is a
 * recorded node (the Conv that absorbs a BatchNormalization): recorded
 * here and applied by match_commit only once its checks pass, so a
 * refused commit leaves that node as it was. An input edit appends
 * absent inputs up to `index` and retires the input it replaces. Too many
 * edits fail the match. */
void match_edit_input(match *m, int index, ir_value *value);
void match_edit_attr_int(match *m, const char *name, int64_t v);
void match_edit_attr_ints(match *m, const char *name, const int64_t *v, int n);
void match_edit_attr_float(match *m, const char *name, float v);
void match_edit_attr_string(match *m, const char *name, const char *v);
/* Remember a value (an initializer or Constant output) to remove in
 * match_commit if nothing reads it any more. */
void match_retire(match *m, ir_value *value);
/* Apply the edits to `replacement`, give the root's output 0 to its
 * output `index` and remove the rest of the pattern, as described above.
 * False when the match failed or the rewrite would be wrong (which is a
 * bug in the pass): then the graph is as it was before the pass began
 * this rewrite, emitted nodes and new initializers gone, and the pass
 * must not count a change. */
bool match_commit(match *m, ir_node *replacement, int index) MATCH_MUST_USE;
/* The pattern computes `value` unchanged (it cancels out): its readers
 * read `value` instead and the pattern goes. When the root's output is a
 * graph output, an Identity keeps its name. */
bool match_commit_passthrough(match *m, ir_value *value) MATCH_MUST_USE;
/* Remove the node defining `value` when nothing reads any of its
 * outputs, then the same for its inputs' producers, recursively (a shape
 * computation a rewrite made obsolete). Unused initializers go too. */
void match_remove_dead_producers(ir_value *value);
/* Remove `value` if it is an unused initializer (not a graph input or
 * output) or the unused output of a Constant node. */
void match_drop_if_unused(ir_value *value);

/* ------------------------------------------------------------- driving */

/* Call try_rewrite on every live node of every graph; returns the sum of
 * what it returned (the number of rewrites). */
int match_for_each_node(ir_model *model,
                        int (*try_rewrite)(ir_model *model, ir_node *node,
                                           void *ctx),
                        void *ctx);

#endif
