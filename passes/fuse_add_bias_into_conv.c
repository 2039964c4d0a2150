/*
 * fuse_add_bias_into_conv.c - an Add of a per-channel constant after a
 * Conv becomes the Conv's bias.
 *
 *   before:  x -> Conv(W[, b]) -> t -> Add(t, B) -> y
 *   after:   x -> Conv(W, b') -> y         b'[c] = b[c] + B[c]
 *
 * Legality:
 *  - t is read only by the Add and is not a graph output;
 *  - B is a constant that broadcasts along the channel axis only: against
 *    the Conv output of rank r = rank(W) it is [], [1], [M, 1, ..., 1] or
 *    [1, M, 1, ..., 1] (any dim 1 or M on axis 1, 1 elsewhere), so the Add
 *    neither changes t's shape nor mixes channels;
 *  - B has the Conv's float dtype; an existing bias b is constant too;
 *  - W's rank and output channel count M are known (from its data or its
 *    type);
 *  - either operand order of the Add; standard domain, one graph.
 */
#include <stdlib.h>

#include "ir_arena.h"
#include "match.h"
#include "pass.h"

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	ir_value *bias_value = NULL;
	match_begin(&m, model, node, "Add");
	ir_node *conv = match_commuted(&m, node, "Conv", &bias_value);
	ir_value *w = match_operand(&m, conv, 1);
	int rank = match_rank(w);
	int64_t channels = match_dim(w, 0);
	int elem_type = match_elem_type(model, w);
	match_const bias, old;
	bool has_old = conv && conv->n_inputs > 2 && conv->inputs[2];
	if (!match_check(&m, rank >= 3 && channels > 0 &&
	                         ir_elem_is_float(elem_type)) ||
	    !match_constant(&m, bias_value, &bias) ||
	    !match_check(&m, bias.elem_type == elem_type) ||
	    (has_old && !match_constant(&m, conv->inputs[2], &old)) ||
	    /* The new bias has `channels` elements: take that count from
	     * data (W's own tensor, or a bias or old bias that long), never
	     * from a declared dim alone, which may claim 2^61. */
	    !match_check(&m, w->def == IR_DEF_INITIALIZER ||
	                         bias.numel == channels ||
	                         (has_old && old.numel == channels)) ||
	    !match_private(&m))
		return 0;
	double *values = ir_xmalloc(sizeof(double) * (size_t)channels);
	bool ok = match_per_channel(&bias, rank, 1, channels, values) &&
	          (!has_old || (old.rank == 1 && old.numel == channels &&
	                        old.elem_type == elem_type));
	if (ok) {
		for (int64_t c = 0; has_old && c < channels; c++)
			values[c] += match_const_get(&old, c);
		ir_value *new_bias = match_add_initializer_doubles(
		    m.graph, "bias", elem_type, 1, &channels, values);
		match_edit_input(&m, 2, new_bias);
	}
	free(values);
	return match_check(&m, ok) && match_commit(&m, conv, 0) ? 1 : 0;
}

const pass pass_fuse_add_bias_into_conv = {
    .name = "fuse_add_bias_into_conv",
    .group = "fuse",
    .summary = "turn an Add of a per-channel constant after a Conv into "
               "the Conv's bias",
    .needs = ANALYSIS_TYPES,
    .rewrite = try_fuse,
};
