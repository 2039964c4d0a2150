/*
 * fuse_consecutive_unsqueezes.c - two Unsqueezes in a row become one.
 *
 *   before:  x -> Unsqueeze(a1) -> t -> Unsqueeze(a2) -> y
 *   after:   x -> Unsqueeze(a2 + where a1's new axes end up in y) -> y
 *
 * Unsqueeze axes name positions in its output. a2 are positions in y; the
 * axes of t land, in order, on the positions of y that a2 does not take,
 * so a1 (positions in t) maps to y by counting the free positions. That
 * needs no rank; negative axes are normalized first, against rank(t) =
 * rank(x) + |a1| and rank(y) = rank(t) + |a2|, which needs x's rank.
 *
 * Legality:
 *  - both Unsqueezes have constant axes (attribute before opset 13,
 *    input from 13), in range and without duplicates;
 *  - t is read only by the second Unsqueeze and is not a graph output;
 *  - the merged axes are written in the form the second Unsqueeze uses;
 *  - every axis is below MATCH_MAX_RANK.
 */
#include "match.h"
#include "pass.h"

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	match_begin(&m, model, node, "Unsqueeze");
	ir_node *first = match_input(&m, node, 0, "Unsqueeze");
	ir_value *x = match_operand(&m, first, 0);
	int rank = match_rank(x);
	int64_t a1[MATCH_MAX_RANK], a2[MATCH_MAX_RANK];
	int n1 = 0, n2 = 0;
	/* The counts are needed before normalizing: read them raw first. */
	bool present;
	if (!match_check(&m, first &&
	                         match_axes(model, first, 1, a1, MATCH_MAX_RANK,
	                                    &n1, &present) &&
	                         present) ||
	    !match_check(&m, match_axes(model, node, 1, a2, MATCH_MAX_RANK, &n2,
	                                &present) &&
	                         present))
		return 0;
	int mid_rank = rank < 0 ? -1 : rank + n1;
	int out_rank = rank < 0 ? -1 : rank + n1 + n2;
	if (!match_check(&m, match_normalize_axes(a1, n1, mid_rank) &&
	                         match_normalize_axes(a2, n2, out_rank) &&
	                         n1 + n2 <= MATCH_MAX_RANK) ||
	    !match_private(&m))
		return 0;
	/* An axis names one of at most MATCH_MAX_RANK dims: a larger one
	 * (from a bad model, where x's rank is unknown and nothing bounds
	 * it) would make the count below run that long. */
	for (int i = 0; i < n1 + n2; i++) {
		int64_t a = i < n1 ? a1[i] : a2[i - n1];
		if (a < 0 || a >= MATCH_MAX_RANK)
			return 0;
	}
	int64_t merged[MATCH_MAX_RANK];
	int n = 0;
	for (int j = 0; j < n2; j++)
		merged[n++] = a2[j];
	/* Axis i of t is the i-th position of y not taken by a2. */
	for (int i = 0; i < n1; i++) {
		int64_t position = 0, free_seen = -1;
		for (;; position++) {
			bool taken = false;
			for (int j = 0; j < n2; j++)
				taken = taken || a2[j] == position;
			if (!taken && ++free_seen == a1[i])
				break;
		}
		merged[n++] = position;
	}
	if (!match_normalize_axes(merged, n, -1))
		return 0;
	match_edit_input(&m, 0, x);
	match_edit_axes(&m, node, merged, n);
	return match_commit(&m, node, 0) ? 1 : 0;
}

const pass pass_fuse_consecutive_unsqueezes = {
    .name = "fuse_consecutive_unsqueezes",
    .group = "fuse",
    .summary = "merge two Unsqueezes in a row into one",
    .needs = ANALYSIS_TYPES,
    .rewrite = try_fuse,
};
