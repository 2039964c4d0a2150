/*
 * fuse_mul_into_conv.c - a Mul by a per-channel constant after a Conv is
 * folded into the Conv's weights and bias.
 *
 *   before:  x -> Conv(W[, b]) -> t -> Mul(t, s) -> y
 *   after:   x -> Conv(W', b') -> y
 *            W'[c, ...] = W[c, ...] * s[c],  b'[c] = b[c] * s[c]
 *
 * Legality:
 *  - t is read only by the Mul and is not a graph output;
 *  - s is a constant that broadcasts along the channel axis only ([],
 *    [1], [M, 1, ..., 1], [1, M, 1, ..., 1] against the rank-r output);
 *  - W (and b if present) are constants of one float dtype, the dtype of
 *    s; new initializers are written, the old ones go only when unused;
 *  - either operand order of the Mul; standard domain, one graph.
 */
#include <stdlib.h>

#include "ir_arena.h"
#include "match.h"
#include "pass.h"

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	ir_value *scale_value = NULL;
	match_begin(&m, model, node, "Mul");
	ir_node *conv = match_commuted(&m, node, "Conv", &scale_value);
	match_const w, b, s;
	bool has_b = conv && conv->n_inputs > 2 && conv->inputs[2];
	if (!match_constant(&m, match_operand(&m, conv, 1), &w) ||
	    !match_check(&m, ir_elem_is_float(w.elem_type) && w.rank >= 3 &&
	                         w.numel > 0) ||
	    !match_constant(&m, scale_value, &s) ||
	    !match_check(&m, s.elem_type == w.elem_type) ||
	    (has_b && !match_constant(&m, conv->inputs[2], &b)) ||
	    !match_check(&m, !has_b || (b.rank == 1 && b.numel == w.dims[0] &&
	                                b.elem_type == w.elem_type)) ||
	    !match_private(&m))
		return 0;
	int64_t channels = w.dims[0];
	double *factor = ir_xmalloc(sizeof(double) * (size_t)channels);
	if (!match_per_channel(&s, w.rank, 1, channels, factor)) {
		free(factor);
		return 0;
	}
	double *weights = match_const_doubles(&w);
	int64_t per_channel = w.numel / channels;
	for (int64_t i = 0; i < w.numel; i++)
		weights[i] *= factor[i / per_channel];
	ir_value *new_w = match_add_initializer_doubles(
	    m.graph, w.value->name, w.elem_type, w.rank, w.dims, weights);
	match_retire(&m, w.value);
	match_edit_input(&m, 1, new_w);
	if (has_b) {
		double *bias = match_const_doubles(&b);
		for (int64_t c = 0; c < channels; c++)
			bias[c] *= factor[c];
		ir_value *new_b = match_add_initializer_doubles(
		    m.graph, b.value->name, b.elem_type, 1, &channels, bias);
		free(bias);
		match_retire(&m, b.value);
		match_edit_input(&m, 2, new_b);
	}
	free(weights);
	free(factor);
	return match_commit(&m, conv, 0) ? 1 : 0;
}

const pass pass_fuse_mul_into_conv = {
    .name = "fuse_mul_into_conv",
    .group = "fuse",
    .summary = "fold a Mul by a per-channel constant after a Conv into its "
               "weights and bias",
    .rewrite = try_fuse,
};
