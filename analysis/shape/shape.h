/*
 * shape.h - shape and type inference: the analysis that passes query.
 *
 *     shape_infer_model(model);
 *     ... value->type now holds the inferred element type and dims ...
 *
 *     shape_value target;
 *     if (shape_value_of(reshape->inputs[1], &target)) ...
 *
 * Inference walks every graph in topological order (bodies of If, Loop
 * and Scan included) and asks each node's entry in the operator table
 * (analysis/ops.def) for its output types. Results only ever refine a
 * value's type: a known element type, rank or static dim is never
 * replaced, and a value whose inferred type would contradict what the
 * model states is left exactly as it was. Unknown ops leave their
 * outputs unknown. Symbolic dims come out as dim_params: plain symbols
 * keep their names, derived ones are spelled as expressions such as
 * "batch*sequence" or "(n+1)/2" (see dim.h), which read back as the same
 * expressions on the next run.
 *
 * A dim that inference cannot derive, of a value whose rank is known,
 * gets a fresh symbol "unk__N" when it first appears, so that it stays
 * equal to itself downstream: Shape(x)[1] is x's dim 1 even when nothing
 * else is known about it, and a Reshape can copy it. Fresh symbols are
 * written to value_info like any other dim. They cannot collide with the
 * model's own dim_params: N is always past every "unk__N" the model holds
 * when the symbol is made (a model's own "unk__N" keeps its meaning; it
 * is only never reused). Graph inputs are never given one. A later run
 * that can derive such a dim replaces the fresh symbol.
 */
#ifndef ONNXOPT_SHAPE_H
#define ONNXOPT_SHAPE_H

#include <stdbool.h>

#include "dim.h"
#include "ir.h"

/* Infer types for every value of the model. It cannot fail: an op it
 * does not know, or a node it cannot read, leaves its outputs' types as
 * they are, which is always safe. */
void shape_infer_model(ir_model *model);
/* The same, returning how many values' types were refined. */
int shape_infer_refine(ir_model *model);

/* The contents of a small integer tensor of rank 0 or 1 (a "shape
 * tensor"), element by element, as expressions in the model's symbols:
 * Shape(x) of x:[batch,128,64] is {batch, 128, 64}, and Gather, Slice,
 * Concat, Unsqueeze, Squeeze, Reshape, Cast, Identity, Add, Sub, Mul, Div,
 * Neg, Min, Max, Size, ConstantOfShape, Equal and Where carry such values
 * through (bool results are 0 and 1).
 * Elements that cannot be derived are unknown (dim_expr.known false). */
#define SHAPE_VALUE_MAX 16

#define SHAPE_FRESH_PREFIX "unk__"
/* Is this dim a fresh symbol (a dim_param "unk__N")? */
bool shape_dim_is_fresh(const ir_dim *dim);

typedef struct shape_value {
	int elem_type; /* IR_INT64, IR_INT32, ... */
	int rank;      /* 0 or 1 */
	int n;         /* number of elements */
	dim_expr elems[SHAPE_VALUE_MAX];
} shape_value;

/* False when the value is not such a tensor or its length is unknown.
 * Reads types as they are: run shape_infer_model first. */
bool shape_value_of(ir_value *value, shape_value *out);
/* All elements as constants; false if any is not a known constant or the
 * value has more than max elements. */
bool shape_value_ints(ir_value *value, int64_t *out, int max, int *n);

/* Many questions about one graph share one analysis (each value is
 * evaluated once): begin, ask, end. Nothing in the graph may change
 * between begin and end, since results are memoized per value. */
typedef struct shape_analysis shape_analysis;
shape_analysis *shape_values_begin(ir_model *model);
bool shape_values_get(shape_analysis *analysis, ir_value *value,
                      shape_value *out);
void shape_values_end(shape_analysis *analysis);

/* The same tensor for every value of the symbols: equal element types,
 * ranks and elements, every element known (an unknown element is never
 * equal to anything, itself included). */
bool shape_value_equal(const shape_value *a, const shape_value *b);
/* Agrees with shape_value_equal. */
uint64_t shape_value_hash(const shape_value *v);

#endif
