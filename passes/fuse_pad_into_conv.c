/*
 * fuse_pad_into_conv.c - a zero Pad on the spatial axes before a Conv
 * becomes part of the Conv's own padding.
 *
 *   before:  x -> Pad(pads p, constant 0) -> t -> Conv(pads q) -> y
 *   after:   x -> Conv(pads q + p restricted to the spatial axes) -> y
 *
 * Legality:
 *  - Pad pads with zeros in constant mode: mode "constant" (the default),
 *    value/constant_value absent or 0, pads constant and non-negative, in
 *    any opset form (attributes before 11, inputs from 11, axes from 18);
 *  - nothing is padded on the batch and channel axes;
 *  - the Conv's auto_pad is NOTSET, so its pads attribute is what counts;
 *  - the input rank is known (from the pads or from W), and matches W;
 *  - t is read only by the Conv (as its data input) and is not a graph
 *    output; standard domain, one graph.
 */
#include <string.h>

#include "match.h"
#include "pass.h"

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	match_begin(&m, model, node, "Conv");
	int rank = match_rank(match_operand(&m, node, 1));
	const char *auto_pad = ir_attr_string(node, "auto_pad", "NOTSET");
	int64_t conv_pads[2 * MATCH_MAX_RANK];
	bool padded;
	if (!match_check(&m, !strcmp(auto_pad, "NOTSET")))
		return 0;
	ir_node *pad = match_pad_into_pads(&m, node, rank, conv_pads, &padded);
	if (!pad)
		return 0;
	int spatial = rank - 2;
	match_edit_input(&m, 0, pad->inputs[0]);
	match_edit_attr_ints(&m, "pads", conv_pads, 2 * spatial);
	return match_commit(&m, node, 0) ? 1 : 0;
}

const pass pass_fuse_pad_into_conv = {
    .name = "fuse_pad_into_conv",
    .group = "fuse",
    .summary = "merge a zero, spatial-only Pad into the padding of the "
               "Conv after it",
    .rewrite = try_fuse,
};
