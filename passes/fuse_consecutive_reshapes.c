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
 * an entry is rewritten through s1 when that makes it independent of t
 * (pass_reshape_through, shared with eliminate_consecutive_idempotent_ops,
 * states the rules). A -1 in s2 is inferred from the element count,
 * which x and t share.
 *
 * Legality:
 *  - opset >= 5 (shape is an input); pass_reshape_through resolves s2;
 *  - t is read only by the second Reshape and is not a graph output.
 */
#include "match.h"
#include "pass.h"
#include "pass_util.h"

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	match_begin(&m, model, node, "Reshape");
	ir_node *first = match_input(&m, node, 0, "Reshape");
	ir_value *x = match_operand(&m, first, 0);
	ir_tensor *target = NULL;
	if (!match_private(&m) ||
	    !match_check(&m, pass_reshape_through(first, node, &target)))
		return 0;
	match_edit_input(&m, 0, x);
	if (target)
		match_edit_input(&m, 1,
		                 ir_initializer_add(m.graph, "shape", target));
	return match_commit(&m, node, 0) ? 1 : 0;
}

const pass pass_fuse_consecutive_reshapes = {
    .name = "fuse_consecutive_reshapes",
    .group = "fuse",
    .summary = "reshape the original tensor directly when a Reshape follows "
               "a Reshape",
    .rewrite = try_fuse,
};
