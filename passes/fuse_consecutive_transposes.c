/*
 * fuse_consecutive_transposes.c - two Transposes in a row become one, or
 * none when they cancel.
 *
 *   before:  x -> Transpose(p1) -> t -> Transpose(p2) -> y
 *   after:   x -> Transpose(q) -> y,   q[i] = p1[p2[i]]
 *            (x -> y directly when q is the identity)
 *
 * Output axis i of the second Transpose is axis p2[i] of t, which is axis
 * p1[p2[i]] of x. A missing perm reverses the axes; two missing perms
 * cancel whatever the rank, otherwise the rank comes from the perm that
 * is present or from x's type.
 *
 * Legality:
 *  - both perms are permutations of 0..r-1 for the same r;
 *  - t is read only by the second Transpose and is not a graph output;
 *  - when the result is the identity and y is a graph output, an Identity
 *    node keeps y's name.
 */
#include <stdbool.h>

#include "match.h"
#include "pass.h"

static bool read_perm(const ir_node *transpose, int rank, int64_t *perm)
{
	int n = 0;
	if (!ir_node_attr(transpose, "perm")) {
		for (int i = 0; i < rank; i++)
			perm[i] = rank - 1 - i;
		return rank >= 0;
	}
	if (!match_attr_ints(transpose, "perm", perm, MATCH_MAX_RANK, &n) ||
	    n != rank)
		return false;
	bool seen[MATCH_MAX_RANK] = {false};
	for (int i = 0; i < n; i++) {
		if (perm[i] < 0 || perm[i] >= n || seen[perm[i]])
			return false;
		seen[perm[i]] = true;
	}
	return true;
}

static int perm_length(const ir_node *transpose)
{
	const ir_attr *a = ir_node_attr(transpose, "perm");
	return a ? (int)a->proto->n_ints : -1;
}

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	match_begin(&m, model, node, "Transpose");
	ir_node *first = match_input(&m, node, 0, "Transpose");
	ir_value *x = match_operand(&m, first, 0);
	if (!match_private(&m))
		return 0;
	bool both_absent = perm_length(first) < 0 && perm_length(node) < 0;
	if (both_absent)
		return match_commit_passthrough(&m, x) ? 1 : 0;
	int rank =
	    perm_length(first) >= 0 ? perm_length(first) : perm_length(node);
	int64_t p1[MATCH_MAX_RANK], p2[MATCH_MAX_RANK], q[MATCH_MAX_RANK];
	if (rank > MATCH_MAX_RANK || !read_perm(first, rank, p1) ||
	    !read_perm(node, rank, p2))
		return 0;
	bool identity = true;
	for (int i = 0; i < rank; i++) {
		q[i] = p1[p2[i]];
		identity = identity && q[i] == i;
	}
	if (identity)
		return match_commit_passthrough(&m, x) ? 1 : 0;
	match_edit_input(&m, 0, x);
	match_edit_attr_ints(&m, "perm", q, rank);
	return match_commit(&m, node, 0) ? 1 : 0;
}

const pass pass_fuse_consecutive_transposes = {
    .name = "fuse_consecutive_transposes",
    .group = "fuse",
    .summary = "merge two Transposes in a row into one, or drop both when "
               "they cancel",
    .needs = ANALYSIS_TYPES,
    .rewrite = try_fuse,
};
