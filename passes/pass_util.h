/*
 * pass_util.h - small helpers that many passes need: reading constants,
 * reasoning about broadcasting, and taking a node out of the graph without
 * renaming a graph output.
 *
 * Everything here works through the IR's mutation API (ir.h); nothing
 * edits use lists or node lists by hand. Constants are read from
 * non-overridable initializers and from Constant nodes alike, so a pass
 * does not care which of the two an exporter chose.
 */
#ifndef ONNXOPT_PASS_UTIL_H
#define ONNXOPT_PASS_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "pass.h"

/* The tensor a Constant node defines, from whichever attribute carries it
 * (value, value_float(s), value_int(s), value_string(s)). NULL for a
 * sparse_value, a reference attribute, or a malformed node. Scalar and
 * list attributes become new model-owned tensors. */
ir_tensor *pass_constant_node_tensor(const ir_node *constant);

/* The tensor behind a value whose content is fixed at optimization time:
 * an initializer that is not also a graph input (those are only defaults),
 * or the output of a Constant node in the default domain. NULL otherwise. */
ir_tensor *pass_constant_tensor(const ir_value *value);

/* The elements of a constant INT64 or INT32 tensor of rank 0 or 1, widened
 * to int64 in a model-owned array. */
bool pass_constant_ints(const ir_value *value, const int64_t **data,
                        int64_t *count);

/* The value of a constant BOOL tensor with exactly one element. */
bool pass_constant_bool(const ir_value *value, bool *out);

/* Element i of little-endian data of a numeric type (bool included) as a
 * double; false for other types (strings, float8, ...). Every value
 * converts exactly except 64-bit integers beyond 2^53, which cannot equal
 * the small numbers passes ask about. */
bool pass_element_as_double(int elem_type, const void *data, int64_t i,
                            double *out);
/* Element i of INT64 or INT32 data as an int64; false for other types. */
bool pass_element_as_int64(int elem_type, const void *data, int64_t i,
                           int64_t *out);

/* True when the value is constant, of a numeric or bool type, and every
 * element equals `number` exactly. For floating types the sign of a zero
 * must match too (x + -0.0 is x, x + 0.0 is not when x is -0.0). */
bool pass_constant_all_equal(const ir_value *value, double number);

/* The element type of a tensor value, IR_UNDEFINED when unknown or when
 * the value is not a tensor. */
int pass_elem_type(const ir_value *value);

/* Would broadcasting a tensor of shape dims[rank] against a tensor of
 * `type` leave `type`'s shape unchanged? True when rank <= type's rank and
 * each trailing dim is 1 or equals the known dim it lines up with. */
bool pass_broadcast_keeps_shape(const ir_type *type, const int64_t *dims,
                                int rank);

/* Read by exactly one node input and not a graph output: the value can go
 * away together with its reader. */
bool pass_value_has_one_use(const ir_value *value);

/* Can every reader of node->outputs[index] be given `replacement` instead,
 * without renaming a graph output? See pass_redirect_output. */
bool pass_can_redirect_output(const ir_node *node, int index,
                              const ir_value *replacement);

/* Make node->outputs[index] redundant: its readers now read `replacement`
 * (which must compute the same thing). When the output is a graph output,
 * its name is kept by moving its definition onto replacement's producer
 * and pointing replacement's readers at it. Afterwards the slot is unused
 * or empty. Returns false, changing nothing, when that is impossible
 * (pass_can_redirect_output is false). */
bool pass_redirect_output(ir_node *node, int index, ir_value *replacement);

/* Remove a node that passes `replacement` through unchanged at output
 * `index`; its other outputs must be absent or unread and not graph
 * outputs. Returns false, changing nothing, when that is not legal. */
bool pass_remove_passthrough(ir_node *node, int index, ir_value *replacement);

/* Remove the node if nothing reads any of its outputs. */
bool pass_remove_if_dead(ir_node *node);

/* A 0 in this Reshape's shape is a literal size (allowzero = 1, which came
 * with Reshape-14); otherwise a 0 copies the input's dim. */
bool pass_reshape_allows_zero(const ir_node *reshape, int64_t opset);

/* Reshape(Reshape(x, s1), s2) as one Reshape(x, s2'): whether the outer
 * Reshape may read x instead of the inner one's output. Reshape only
 * looks at its input's element count, except where a target has a 0:
 * with allowzero = 0 (the only meaning before opset 14) it copies the dim
 * of the Reshape's own input, the inner output for the outer one. So
 * unless the outer allowzero is 1 (its zeros are literal), s2 must be
 * constant and each such 0 resolvable through s1: a positive
 * s1[i] is that dim exactly and replaces the 0; an s1[i] of 0 that copies
 * (inner allowzero = 0) is x's dim i, which the 0 then copies directly;
 * anything else (a -1, s1 not constant or shorter) is not resolvable.
 * *new_target is the resolved s2' as a new tensor, or NULL when s2 serves
 * as it is. Both nodes must be Reshapes of the input form (opset 5 on). */
bool pass_reshape_through(const ir_node *inner, const ir_node *outer,
                          ir_tensor **new_target);

/* An If (default domain) whose condition is a constant one-element BOOL
 * is replaced by the branch it takes (ir_graph_inline_subgraph). False,
 * with nothing changed, for any other node, or a branch that does not fit
 * the If (which then fails at run time, as it did before). */
bool pass_inline_constant_if(ir_node *node);

/* Call fn on the main graph and on every nested subgraph, parents first,
 * and add up what it returns. The list of graphs is taken before each
 * call's children are visited, so fn may remove nodes (and with them
 * subgraphs) of the graph it is given. */
int pass_for_each_graph(ir_model *model, int (*fn)(ir_graph *graph, void *ctx),
                        void *ctx);

/* Most eliminate_nop_* passes have one shape: a node that, under some
 * conditions, outputs its first input unchanged. Such a pass writes the
 * conditions as `passed_through` (return the value the node passes
 * through, or NULL) and makes this its .rewrite (pass.h): it removes the
 * node if passed_through() answers, keeping graph output names
 * (pass_remove_passthrough). A pass whose conditions read types declares
 * .needs = ANALYSIS_TYPES. `opset` is the model's default-domain opset.
 * Returns the number of nodes removed (0 or 1). */
typedef ir_value *(*pass_passthrough_fn)(ir_node *node, int64_t opset);
int pass_remove_passthrough_node(ir_model *model, ir_node *node,
                                 pass_passthrough_fn passed_through);

#endif
