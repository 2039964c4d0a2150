/*
 * eliminate_nop_slice.c - remove Slice nodes that provably take everything.
 *
 *   before:  x:[N,T,C] -> Slice(starts=[0], ends=[INT64_MAX], axes=[1]) -> y
 *   after:   x
 *
 * On each sliced axis of size d, with step 1, a negative start or end has
 * d added and both are then clamped to [0, d]. The axis is taken whole
 * when the start becomes 0 and the end becomes d:
 *  - start 0, or INT64_MIN (<= -d for every d), or <= -d with d known;
 *  - end INT64_MAX (>= d for every d), or >= d with d known.
 * INT32_MAX is not enough for an unknown d: a dim may exceed it.
 *
 * Where the indices live depends on the opset: attributes starts, ends and
 * axes before opset 10; inputs starts, ends, axes, steps from opset 10 on
 * (negative axes from opset 11). Axes default to 0..n-1, steps to 1.
 *
 * Legality:
 *  - Slice in the default ONNX domain;
 *  - starts, ends and any axes and steps are constant, of equal length;
 *    from opset 10 the ends may instead be computed in the graph when
 *    shape inference derives each one: an end that is exactly the
 *    sliced dim's expression (x[:, :x.size(1)], Shape(x)[1] as the end)
 *    takes the whole axis; a min() or any other symbol does not;
 *    every step is 1 and every axis is distinct and, when x's rank is
 *    known, valid;
 *  - graph output names survive (see pass_remove_passthrough).
 */
#include "ops.h"
#include "pass_util.h"
#include "shape/shape.h"

typedef struct slice_args {
	const int64_t *starts, *ends, *axes, *steps;
	int64_t count, n_axes, n_steps;
	/* Ends computed in the graph (from opset 10), as shape inference
	 * derives them; `ends` is then NULL. */
	bool ends_computed;
	shape_value computed_ends;
} slice_args;

/* Ends computed in the graph whose every element shape inference
 * derives: x[:, :x.size(1)] exports Shape(x)[1] as the end. */
static bool read_computed_ends(const ir_node *node, slice_args *args,
                               int64_t *count)
{
	shape_value *sv = &args->computed_ends;
	if (!shape_value_of(node->inputs[2], sv) || sv->rank != 1)
		return false;
	for (int i = 0; i < sv->n; i++)
		if (!sv->elems[i].known)
			return false;
	args->ends = NULL;
	args->ends_computed = true;
	*count = sv->n;
	return true;
}

static bool attribute_ints(const ir_node *node, const char *name,
                           const int64_t **data, int64_t *count)
{
	*count = ir_attr_ints(node, name, data);
	return *count >= 0;
}

static bool input_ints(const ir_node *node, int index, const int64_t **data,
                       int64_t *count)
{
	if (node->n_inputs <= index || !node->inputs[index])
		return false;
	ir_tensor *t = pass_constant_tensor(node->inputs[index]);
	return t && t->rank == 1 &&
	       pass_constant_ints(node->inputs[index], data, count);
}

static bool read_args(const ir_node *node, int64_t opset, slice_args *args)
{
	int64_t n_ends;
	args->axes = args->steps = NULL;
	args->n_axes = args->n_steps = -1;
	args->ends_computed = false;
	if (op_attribute_input("Slice", "starts", opset) < 0) {
		if (!attribute_ints(node, "starts", &args->starts,
		                    &args->count) ||
		    !attribute_ints(node, "ends", &args->ends, &n_ends))
			return false;
		if (ir_node_attr(node, "axes") &&
		    !attribute_ints(node, "axes", &args->axes, &args->n_axes))
			return false;
	} else {
		if (!input_ints(node, 1, &args->starts, &args->count))
			return false;
		if (!input_ints(node, 2, &args->ends, &n_ends) &&
		    (node->n_inputs <= 2 || !node->inputs[2] ||
		     !read_computed_ends(node, args, &n_ends)))
			return false;
		bool has_axes = node->n_inputs > 3 && node->inputs[3];
		bool has_steps = node->n_inputs > 4 && node->inputs[4];
		if (has_axes &&
		    !input_ints(node, 3, &args->axes, &args->n_axes))
			return false;
		if (has_steps &&
		    !input_ints(node, 4, &args->steps, &args->n_steps))
			return false;
	}
	return n_ends == args->count &&
	       (!args->axes || args->n_axes == args->count) &&
	       (!args->steps || args->n_steps == args->count);
}

/* A computed end takes the axis to its last element when it is that dim
 * exactly (the same expression), or a constant the rules below accept. A
 * min() or another symbol is not the dim without bounds, and a dim with
 * no symbol equals nothing. */
static bool takes_whole_axis(int64_t start, int64_t end,
                             const dim_expr *computed_end, const ir_dim *dim)
{
	bool known = dim && dim->kind == IR_DIM_VALUE && dim->value >= 0;
	int64_t d = known ? dim->value : 0;
	bool from_first =
	    start == 0 || start == INT64_MIN || (known && start <= -d);
	if (computed_end && !dim_is_const(computed_end, &end)) {
		dim_expr size = dim ? dim_from_ir(dim) : dim_unknown();
		return from_first && dim_equal(computed_end, &size);
	}
	bool to_last = end == INT64_MAX || (known && end >= d);
	return from_first && to_last;
}

static bool slice_is_nop(const ir_node *node, int64_t opset)
{
	slice_args args;
	if (!read_args(node, opset, &args))
		return false;
	const ir_value *x = node->inputs[0];
	int rank = x->type.is_tensor ? x->type.rank : -1;
	for (int64_t i = 0; i < args.count; i++) {
		if (args.steps && args.steps[i] != 1)
			return false;
		int64_t axis = args.axes ? args.axes[i] : i;
		if (axis < 0 && opset < 11)
			return false;
		if (rank >= 0) {
			if (axis < -rank || axis >= rank)
				return false;
			if (axis < 0)
				axis += rank;
		}
		for (int64_t j = 0; j < i && args.axes; j++) {
			int64_t other = args.axes[j];
			if (other < 0 && rank >= 0)
				other += rank;
			if (other == axis)
				return false;
		}
		const ir_dim *dim =
		    rank >= 0 && axis >= 0 ? &x->type.dims[axis] : NULL;
		const dim_expr *computed_end =
		    args.ends_computed ? &args.computed_ends.elems[i] : NULL;
		int64_t end = args.ends_computed ? 0 : args.ends[i];
		if (!takes_whole_axis(args.starts[i], end, computed_end, dim))
			return false;
	}
	return true;
}

static ir_value *slice_input(ir_node *node, int64_t opset)
{
	if (!ir_node_is(node, "Slice") || node->n_inputs < 1 ||
	    !node->inputs[0] || node->n_outputs != 1 ||
	    !slice_is_nop(node, opset))
		return NULL;
	return node->inputs[0];
}

static int rewrite_eliminate_nop_slice(ir_model *model, ir_node *node,
                                       pass_context *ctx)
{
	(void)ctx;
	if (ir_model_opset(model, "") < 1)
		return 0;
	return pass_remove_passthrough_node(model, node, slice_input);
}

const pass pass_eliminate_nop_slice = {
    .name = "eliminate_nop_slice",
    .group = "eliminate",
    .summary = "remove Slice nodes that take every element",
    .needs = ANALYSIS_TYPES,
    .rewrite = rewrite_eliminate_nop_slice,
};
