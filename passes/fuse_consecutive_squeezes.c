/*
 * fuse_consecutive_squeezes.c - two Squeezes in a row become one.
 *
 *   before:  x -> Squeeze(a1) -> t -> Squeeze(a2) -> y
 *   after:   x -> Squeeze(a1 + the axes of x that a2 names) -> y
 *
 * Axis j of t is the j-th axis of x that a1 keeps, so a2 maps back to x's
 * axes by counting the kept ones; that needs no rank. Negative axes are
 * normalized first, which needs x's rank (a2 against rank(x) - |a1|).
 *
 * Legality:
 *  - both Squeezes name their axes (attribute before opset 13, constant
 *    input from 13); a Squeeze without axes removes every 1-dim, which is
 *    unknown without shapes, so it is left alone;
 *  - t is read only by the second Squeeze and is not a graph output;
 *  - the merged axes are written in the form the second Squeeze uses;
 *  - every axis is below MATCH_MAX_RANK.
 */
#include "match.h"
#include "pass.h"

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	match_begin(&m, model, node, "Squeeze");
	ir_node *first = match_input(&m, node, 0, "Squeeze");
	ir_value *x = match_operand(&m, first, 0);
	int rank = match_rank(x);
	int64_t a1[MATCH_MAX_RANK], a2[MATCH_MAX_RANK];
	int n1 = 0, n2 = 0;
	if (!match_node_axes(&m, first, rank, a1, &n1) ||
	    !match_node_axes(&m, node, rank < 0 ? -1 : rank - n1, a2, &n2) ||
	    !match_check(&m, n1 + n2 <= MATCH_MAX_RANK) || !match_private(&m))
		return 0;
	/* An axis names one of at most MATCH_MAX_RANK dims: a larger one
	 * (from a bad model; axes are untrusted) would make the count below
	 * run that long. */
	for (int i = 0; i < n1 + n2; i++) {
		int64_t a = i < n1 ? a1[i] : a2[i - n1];
		if (a < 0 || a >= MATCH_MAX_RANK)
			return 0;
	}
	int64_t merged[MATCH_MAX_RANK];
	int n = 0;
	for (int i = 0; i < n1; i++)
		merged[n++] = a1[i];
	/* a2[j] is the a2[j]-th axis (from 0) that a1 did not remove. */
	for (int j = 0; j < n2; j++) {
		int64_t axis = 0, kept = -1;
		for (;; axis++) {
			bool removed = false;
			for (int i = 0; i < n1; i++)
				removed = removed || a1[i] == axis;
			if (!removed && ++kept == a2[j])
				break;
		}
		merged[n++] = axis;
	}
	if (!match_normalize_axes(merged, n, -1))
		return 0;
	match_edit_input(&m, 0, x);
	match_edit_axes(&m, node, merged, n);
	return match_commit(&m, node, 0) ? 1 : 0;
}

const pass pass_fuse_consecutive_squeezes = {
    .name = "fuse_consecutive_squeezes",
    .group = "fuse",
    .summary = "merge two Squeezes in a row into one",
    .needs = ANALYSIS_TYPES,
    .rewrite = try_fuse,
};
