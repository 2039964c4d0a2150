/*
 * fuse_consecutive_concats.c - a Concat that feeds another Concat along
 * the same axis is spliced into it.
 *
 *   before:  a, b -> Concat(axis k) -> t;  t, c -> Concat(axis k) -> y
 *   after:   a, b, c -> Concat(axis k) -> y
 *
 * Concatenation along one axis is associative, so the inner inputs take
 * the inner Concat's place in the outer list, in order. Every input that
 * qualifies is spliced in one rewrite.
 *
 * Legality:
 *  - same axis: equal attributes, or equal once normalized against the
 *    rank (known from an input's type) when one is negative;
 *  - the inner output is read only by the outer Concat (possibly at
 *    several positions, each spliced) and is not a graph output;
 *  - Concat-1's default axis of 1 is honoured below opset 4.
 */
#include "match.h"
#include "pass.h"

#define MAX_SPLICED 256

static bool concat_axis(const match *m, const ir_node *concat, int64_t *axis)
{
	const ir_attr *a = ir_node_attr(concat, "axis");
	if (!a) {
		*axis = 1; /* Concat-1's default; required from opset 4 */
		return m->opset < 4;
	}
	*axis = ir_attr_int(concat, "axis", 0);
	return true;
}

static int known_rank(const ir_node *concat)
{
	for (int i = 0; i < concat->n_inputs; i++)
		if (match_rank(concat->inputs[i]) >= 0)
			return match_rank(concat->inputs[i]);
	return match_rank(concat->outputs[0]);
}

static bool same_axis(int64_t a, int64_t b, int rank)
{
	if (a == b)
		return true;
	if (rank < 0)
		return false;
	return (a < 0 ? a + rank : a) == (b < 0 ? b + rank : b);
}

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	int64_t axis, inner_axis;
	if (!match_begin(&m, model, node, "Concat") ||
	    !concat_axis(&m, node, &axis))
		return 0;
	int rank = known_rank(node);
	ir_value *spliced[MAX_SPLICED], *merged_values[MAX_SPLICED];
	int n = 0, merged = 0, n_merged_values = 0;
	for (int i = 0; i < node->n_inputs; i++) {
		ir_value *in = node->inputs[i];
		/* Read again at a later position (Concat(t, t)): the inner
		 * Concat is in the pattern already, so splice it again. */
		bool again = false;
		for (int j = 0; j < n_merged_values; j++)
			again = again || merged_values[j] == in;
		if (again) {
			ir_node *inner = in->producer;
			if (n + inner->n_inputs > MAX_SPLICED)
				return 0;
			for (int k = 0; k < inner->n_inputs; k++)
				spliced[n++] = inner->inputs[k];
			merged++;
			continue;
		}
		match_mark mark = match_save(&m);
		ir_node *inner = match_producer(&m, in, "Concat");
		bool ok = inner && concat_axis(&m, inner, &inner_axis) &&
		          same_axis(axis, inner_axis, rank) &&
		          n + inner->n_inputs <= MAX_SPLICED &&
		          !ir_value_is_graph_output(in);
		for (int u = 0; ok && u < in->n_uses; u++)
			ok = in->uses[u].node == node;
		if (!ok) {
			match_restore(&m, mark);
			if (n == MAX_SPLICED)
				return 0;
			spliced[n++] = in;
			continue;
		}
		for (int k = 0; k < inner->n_inputs; k++)
			spliced[n++] = inner->inputs[k];
		merged_values[n_merged_values++] = in;
		merged++;
	}
	/* A value kept whole at one position and spliced at another would
	 * still be read once its Concat is gone (found by the fuzzer). */
	for (int k = 0; k < n; k++)
		for (int j = 0; j < n_merged_values; j++)
			if (spliced[k] == merged_values[j])
				return 0;
	if (merged == 0 || !match_private(&m))
		return 0;
	ir_node *fused = match_emit(&m, "Concat", spliced, n, 1);
	ir_node_set_attr_int(fused, "axis", axis);
	return match_commit(&m, fused, 0) ? 1 : 0;
}

const pass pass_fuse_consecutive_concats = {
    .name = "fuse_consecutive_concats",
    .group = "fuse",
    .summary = "splice a Concat into the Concat after it when both use the "
               "same axis",
    .needs = ANALYSIS_TYPES,
    .rewrite = try_fuse,
};
