/*
 * fuse_concat_into_reshape.c - a Reshape whose target shape is computed in
 * the graph gets a constant shape instead, using Reshape's own 0 ("copy
 * this dim") and -1 ("whatever is left") entries for the dynamic dims.
 *
 *   before:  x [batch, seq, 32] -> Shape -> Gather(0) -> Unsqueeze -+
 *                                  Shape -> Gather(1) -> Unsqueeze -+-> Concat
 *                                           Constant [4], [8] ------+     |
 *            x ------------------------------------------------> Reshape -> y
 *   after:   x -> Reshape(shape = [0, 0, 4, 8]) -> y
 *
 * Shape inference evaluates the shape tensor element by element as
 * expressions in the model's dims (shape_value_of). Each element becomes:
 *  - its value, when it is a known number;
 *  - 0, when it is provably x's dim at the same position and allowzero
 *    is 0 (Reshape then copies exactly that dim);
 *  - -1, for at most one element that is neither, when the shape has no
 *    -1 of its own and every other entry is a known positive number:
 *    Reshape infers it from the element count, which determines it only
 *    then (a copied dim or a 0 could be zero for an empty input).
 * The Concat of constants is the simplest case: every element is known.
 * The shape computation left without readers is removed.
 *
 * Legality:
 *  - opset >= 5 (shape is an input); the shape input is not already a
 *    constant, and has at most 16 elements;
 *  - with allowzero = 1 a 0 is a literal size, so only known numbers and
 *    one -1 are used; a known 0 element is kept as a literal 0 only where
 *    it means the same (allowzero = 1), never written where it would
 *    start copying;
 *  - the Reshape's output does not change: the new shape denotes the same
 *    dims for every input the old one accepted.
 */
#include "match.h"
#include "pass.h"
#include "pass_util.h"
#include "shape/shape.h"

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	if (!match_begin(&m, model, node, "Reshape") ||
	    !match_opset_at_least(&m, 5) || node->n_inputs < 2 ||
	    !node->inputs[0] || !node->inputs[1])
		return 0;
	ir_value *x = node->inputs[0], *shape = node->inputs[1];
	match_const probe;
	shape_value sv;
	if (match_read_constant(model, shape, &probe) ||
	    !shape_value_of(shape, &sv) || sv.rank != 1 || sv.n < 1)
		return 0;
	bool allow_zero =
	    pass_reshape_allows_zero(node, ir_model_opset(model, ""));
	int x_rank = x->type.is_tensor ? x->type.rank : -1;
	int64_t out[SHAPE_VALUE_MAX];
	bool copied[SHAPE_VALUE_MAX] = {false};
	int free_entry = -1;
	bool introduced_free = false;
	for (int i = 0; i < sv.n; i++) {
		int64_t c;
		if (dim_is_const(&sv.elems[i], &c)) {
			/* A known 0 copies a dim unless allowzero; keeping it
			 * at the same position keeps that meaning. */
			out[i] = c;
			if (c == -1) {
				if (free_entry >= 0)
					return 0;
				free_entry = i;
			}
			continue;
		}
		if (!allow_zero && i < x_rank) {
			dim_expr xd = dim_from_ir(&x->type.dims[i]);
			if (dim_equal(&xd, &sv.elems[i])) {
				out[i] = 0;
				copied[i] = true;
				continue;
			}
		}
		if (free_entry >= 0)
			return 0;
		free_entry = i;
		introduced_free = true;
		out[i] = -1;
	}
	/* A -1 we introduce is only determined when every other entry is a
	 * known positive size: next to a copied dim or a literal 0 that may
	 * be zero at run time (an empty batch), Reshape cannot infer it and
	 * rejects an input the computed shape accepted. */
	if (introduced_free)
		for (int i = 0; i < sv.n; i++)
			if (i != free_entry && (out[i] <= 0 || copied[i]))
				return 0;
	int64_t dims[1] = {sv.n};
	ir_value *constant_shape =
	    match_add_initializer_int64s(m.graph, "shape", 1, dims, out);
	ir_node_set_input(node, 1, constant_shape);
	match_remove_dead_producers(shape);
	return 1;
}

static int rewrite_fuse_concat_into_reshape(ir_model *model, ir_node *node,
                                            pass_context *ctx)
{
	if (ir_model_opset(model, "") < 5)
		return 0;
	return try_fuse(model, node, ctx);
}

const pass pass_fuse_concat_into_reshape = {
    .name = "fuse_concat_into_reshape",
    .group = "fuse",
    .summary = "give a Reshape with a computed target shape a constant one, "
               "with 0 and -1 entries for dynamic dims",
    .needs = ANALYSIS_TYPES,
    .rewrite = rewrite_fuse_concat_into_reshape,
};
