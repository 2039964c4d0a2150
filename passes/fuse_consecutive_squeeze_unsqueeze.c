/*
 * fuse_consecutive_squeeze_unsqueeze.c - a Squeeze and an Unsqueeze that
 * undo each other disappear.
 *
 *   before:  x -> Unsqueeze(a) -> t -> Squeeze(b) -> y     (b = a)
 *            x -> Squeeze(a) -> t -> Unsqueeze(b) -> y     (b = a)
 *   after:   x -> y
 *
 * Unsqueeze(a) inserts 1-dims at positions a of t; Squeeze(b) on t
 * removes exactly those when b = a (both in t's coordinates). Squeeze(a)
 * removes 1-dims at positions a of x; Unsqueeze(b) puts 1-dims back at
 * exactly those positions when b = a (both in x's = y's coordinates).
 * Negative axes are normalized against the rank they refer to, which
 * needs x's rank; axes are compared as sets.
 *
 * Legality:
 *  - both nodes have constant axes (attribute before 13, input from 13);
 *    a Squeeze without axes is left alone;
 *  - t is read only by the second node and is not a graph output;
 *  - when y is a graph output, an Identity keeps its name.
 */
#include "match.h"
#include "pass.h"

static bool same_axes(const int64_t *a, int na, const int64_t *b, int nb)
{
	if (na != nb)
		return false;
	for (int i = 0; i < na; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	bool squeeze_last = ir_node_is(node, "Squeeze");
	if (!squeeze_last && !ir_node_is(node, "Unsqueeze"))
		return 0;
	match m;
	match_begin(&m, model, node, node->op_type);
	ir_node *first =
	    match_input(&m, node, 0, squeeze_last ? "Unsqueeze" : "Squeeze");
	ir_value *x = match_operand(&m, first, 0);
	int rank = match_rank(x);
	int64_t a[MATCH_MAX_RANK], b[MATCH_MAX_RANK];
	int na = 0, nb = 0;
	bool present;
	if (!match_check(&m, first &&
	                         match_axes(model, first, 1, a, MATCH_MAX_RANK,
	                                    &na, &present) &&
	                         present) ||
	    !match_check(&m, match_axes(model, node, 1, b, MATCH_MAX_RANK, &nb,
	                                &present) &&
	                         present))
		return 0;
	/* Both sets live in t's coordinates (Unsqueeze then Squeeze) or in
	 * x's (Squeeze then Unsqueeze, whose output rank is rank(x)). */
	int common = rank < 0 ? -1 : (squeeze_last ? rank + na : rank);
	if (!match_check(&m, match_normalize_axes(a, na, common) &&
	                         match_normalize_axes(b, nb, common) &&
	                         same_axes(a, na, b, nb)) ||
	    !match_private(&m))
		return 0;
	return match_commit_passthrough(&m, x) ? 1 : 0;
}

const pass pass_fuse_consecutive_squeeze_unsqueeze = {
    .name = "fuse_consecutive_squeeze_unsqueeze",
    .group = "fuse",
    .summary = "drop a Squeeze/Unsqueeze pair that undo each other",
    .needs = ANALYSIS_TYPES,
    .rewrite = try_fuse,
};
