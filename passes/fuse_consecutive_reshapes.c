/*
 * fuse_consecutive_reshapes.c - a Reshape of a Reshape reshapes the
 * original tensor directly.
 *
 *   before:  x -> Reshape(s1) -> t -> Reshape(s2) -> y
 *   after:   x -> Reshape(s2') -> y
 *
 * A Reshape only reinterprets the element order, so the second one alone
 * gives the same result, provided its shape does not refer to t: with
 * allowzero = 0 an entry 0 copies the dim at that position *of t*. Such
 * an entry is rewritten as s1's entry at the same position when that
 * makes it independent of t: a positive s1[i] is t's dim i exactly, and
 * an s1[i] of 0 (allowzero 0) is x's dim i, which is what 0 means in
 * s2' too. A -1 in s2 is inferred from the element count, which x and t
 * share.
 *
 * Legality:
 *  - opset >= 5 (shape is an input); s2 is a constant;
 *  - every 0 of s2 (with allowzero 0) is resolvable as above, which needs
 *    s1 constant there; allowzero = 1 zeros are literal and need nothing;
 *  - t is read only by the second Reshape and is not a graph output.
 */
#include <stdlib.h>

#include "ir_arena.h"
#include "match.h"
#include "pass.h"

#define MAX_SHAPE 64

static int try_fuse(ir_model *model, ir_node *node, void *ctx)
{
	(void)ctx;
	match m;
	match_begin(&m, model, node, "Reshape");
	ir_node *first = match_input(&m, node, 0, "Reshape");
	ir_value *x = match_operand(&m, first, 0);
	match_const c2, c1;
	int64_t s2[MAX_SHAPE], s1[MAX_SHAPE];
	int n2 = 0, n1 = -1;
	if (!match_opset_at_least(&m, 5) ||
	    !match_constant(&m, match_operand(&m, node, 1), &c2) ||
	    !match_check(&m, c2.rank == 1 &&
	                         match_const_int64s(&c2, s2, MAX_SHAPE, &n2)) ||
	    !match_private(&m))
		return 0;
	if (first->n_inputs > 1 &&
	    match_read_constant(model, first->inputs[1], &c1) &&
	    (c1.rank != 1 || !match_const_int64s(&c1, s1, MAX_SHAPE, &n1)))
		n1 = -1;
	bool zero_is_copy2 = ir_attr_int(node, "allowzero", 0) == 0;
	bool zero_is_copy1 = ir_attr_int(first, "allowzero", 0) == 0;
	bool changed = false;
	for (int i = 0; i < n2; i++) {
		if (s2[i] != 0 || !zero_is_copy2)
			continue;
		if (i >= n1 || s1[i] < 0 || (s1[i] == 0 && !zero_is_copy1))
			return 0;
		if (s1[i] > 0) {
			s2[i] = s1[i];
			changed = true;
		}
	}
	ir_node_set_input(node, 0, x);
	if (changed) {
		int64_t dims[1] = {n2};
		match_retire(&m, node->inputs[1]);
		ir_node_set_input(node, 1,
		                  match_add_initializer_int64s(m.graph, "shape",
		                                               1, dims, s2));
	}
	return match_commit(&m, node, 0) ? 1 : 0;
}

static int run_fuse_consecutive_reshapes(ir_model *model, pass_context *ctx,
                                         ir_status *status)
{
	(void)ctx;
	(void)status;
	return match_for_each_node(model, try_fuse, NULL);
}

const pass pass_fuse_consecutive_reshapes = {
    .name = "fuse_consecutive_reshapes",
    .group = "fuse",
    .summary = "reshape the original tensor directly when a Reshape follows "
               "a Reshape",
    .run = run_fuse_consecutive_reshapes,
};
