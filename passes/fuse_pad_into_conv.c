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

static int try_fuse(ir_model *model, ir_node *node, void *ctx)
{
	(void)ctx;
	match m;
	match_begin(&m, model, node, "Conv");
	ir_node *pad = match_input(&m, node, 0, "Pad");
	int rank = match_rank(match_operand(&m, node, 1));
	const char *auto_pad = ir_attr_string(node, "auto_pad", "NOTSET");
	if (!match_check(&m, rank >= 3 && rank <= MATCH_MAX_RANK &&
	                         !strcmp(auto_pad, "NOTSET")))
		return 0;
	int64_t pads[2 * MATCH_MAX_RANK];
	if (!match_zero_pads(&m, pad, rank, pads) ||
	    !match_check(&m, pads[0] == 0 && pads[1] == 0 && pads[rank] == 0 &&
	                         pads[rank + 1] == 0) ||
	    !match_private(&m))
		return 0;
	int spatial = rank - 2;
	int64_t conv_pads[2 * MATCH_MAX_RANK] = {0};
	int n = 0;
	if (ir_node_attr(node, "pads") &&
	    (!match_attr_ints(node, "pads", conv_pads, 2 * MATCH_MAX_RANK,
	                      &n) ||
	     n != 2 * spatial))
		return 0;
	for (int i = 0; i < spatial; i++) {
		conv_pads[i] += pads[2 + i];
		conv_pads[spatial + i] += pads[rank + 2 + i];
	}
	ir_node_set_input(node, 0, pad->inputs[0]);
	ir_node_set_attr_ints(node, "pads", conv_pads, 2 * spatial);
	match_commit(&m, node, 0);
	return 1;
}

static int run_fuse_pad_into_conv(ir_model *model, pass_context *ctx,
                                  ir_status *status)
{
	(void)ctx;
	(void)status;
	return match_for_each_node(model, try_fuse, NULL);
}

const pass pass_fuse_pad_into_conv = {
    .name = "fuse_pad_into_conv",
    .group = "fuse",
    .summary = "merge a zero, spatial-only Pad into the padding of the "
               "Conv after it",
    .run = run_fuse_pad_into_conv,
};
