/*
 * convert_opset.h - what the opset conversion driver (convert_opset.c)
 * shares with its per-op adapters (convert_opset_ops.c).
 *
 * Conversion runs twice over the model: once with `apply` false, where
 * every node is only checked (nothing may change), and, when every node
 * can be converted, once with `apply` true. An adapter therefore checks
 * first and returns before any change while !c->apply, so a refused
 * conversion leaves the model untouched.
 */
#ifndef ONNXOPT_CONVERT_OPSET_H
#define ONNXOPT_CONVERT_OPSET_H

#include <stdbool.h>
#include <stdint.h>

#include "ops.h"
#include "pass.h"

typedef struct convert {
	ir_model *model;
	int64_t from, to; /* the default domain's opsets */
	bool apply;       /* false: check only */
	ir_status *status;
	int changes;
} convert;

/* Record why `node` cannot be converted (one line naming the op and both
 * opsets); returns false. */
bool convert_refuse(convert *c, const ir_node *node, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Does the conversion cross opset `since` upward (from < since <= to) or
 * downward (to < since <= from)? */
bool convert_upgrades_past(const convert *c, int since);
bool convert_downgrades_past(const convert *c, int since);

/* An output that nothing reads and that is not a graph output. */
bool convert_output_unused(const ir_node *node, int index);

/* New initializers in node's graph, for an input slot. */
ir_value *convert_const_ints(convert *c, ir_node *node, const char *hint,
                             const int64_t *values, int n, bool scalar);
ir_value *convert_const_floats(convert *c, ir_node *node, const char *hint,
                               int elem_type, const double *values, int n,
                               bool scalar);

/* Set input `slot`, growing the input list with absent inputs. */
void convert_set_input(ir_node *node, int slot, ir_value *value);
/* Drop trailing absent inputs. */
void convert_trim_inputs(ir_node *node);

/* One op's own conversion, run after the table-driven moves of
 * op_versions.def. `owns` names, space-separated, the attributes and slots
 * ("in2", "out1") of the op's ADDED_ and ATTRIBUTE_INPUT rows that the
 * adapter converts itself, so that the table-driven step leaves them. */
typedef struct convert_adapter {
	const char *op;
	bool (*convert)(convert *c, ir_node *node);
	const char *owns;
} convert_adapter;

const convert_adapter *convert_find_adapter(const char *op_type);

#endif
