/*
 * value.h - symbolic shape tensors, shared by value.c (the memoizing
 * analysis, constants) and value_ops.c (one follower per op). Internal to
 * analysis/shape/.
 */
#ifndef ONNXOPT_SHAPE_VALUE_H
#define ONNXOPT_SHAPE_VALUE_H

#include "infer.h"

/* The node whose first output is being evaluated. */
typedef struct value_env {
	shape_analysis *analysis;
	ir_node *node;
	int64_t opset;
} value_env;

/* Compute the contents of env->node's first output from its inputs'
 * (value_ops.c); false when the op is not followed or not exact. */
bool value_follow(value_env *env, shape_value *out);

/* Integer types (bool included, as 0 and 1) that shape tensors use. */
bool value_is_integer_elem(int elem);
/* A small constant integer tensor of rank 0 or 1. */
bool value_read_tensor(ir_model *model, const ir_tensor *tensor,
                       shape_value *out);
/* The value of a Constant node (value, value_int, value_ints). */
bool value_read_constant_node(ir_model *model, const ir_node *node,
                              shape_value *out);

#endif
