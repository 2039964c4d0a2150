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
 *    every step is 1 and every axis is distinct and, when x's rank is
 *    known, valid;
 *  - graph output names survive (see pass_remove_passthrough).
 */
#include "ops.h"
#include "pass_util.h"

typedef struct slice_args {
	const int64_t *starts, *ends, *axes, *steps;
	int64_t count, n_axes, n_steps;
} slice_args;

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
	if (op_attribute_input("Slice", "starts", opset) < 0) {
		if (!attribute_ints(node, "starts", &args->starts,
		                    &args->count) ||
		    !attribute_ints(node, "ends", &args->ends, &n_ends))
			return false;
		if (ir_node_attr(node, "axes") &&
		    !attribute_ints(node, "axes", &args->axes, &args->n_axes))
			return false;
	} else {
		if (!input_ints(node, 1, &args->starts, &args->count) ||
		    !input_ints(node, 2, &args->ends, &n_ends))
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

static bool takes_whole_axis(int64_t start, int64_t end, const ir_dim *dim)
{
	bool known = dim && dim->kind == IR_DIM_VALUE;
	int64_t d = known ? dim->value : 0;
	bool from_first =
	    start == 0 || start == INT64_MIN || (known && start <= -d);
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
		if (!takes_whole_axis(args.starts[i], args.ends[i], dim))
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
