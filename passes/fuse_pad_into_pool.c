/*
 * fuse_pad_into_pool.c - a zero Pad on the spatial axes before an
 * AveragePool becomes the pool's own padding, counted in the average.
 *
 *   before:  x -> Pad(pads p, constant 0) -> t -> AveragePool(pads q) -> y
 *   after:   x -> AveragePool(pads q + p, count_include_pad = 1) -> y
 *
 * The explicit zeros of the Pad are real elements that the pool averages
 * over, so the fused pool must count its padding: count_include_pad = 1.
 * That is only equivalent when the pool's own padding was already
 * counted, or there was none.
 *
 * Legality:
 *  - AveragePool only: MaxPool pads with -inf, not zero, and LpPool's
 *    padding does not match a zero Pad in general;
 *  - opset >= 7 (count_include_pad exists);
 *  - Pad pads with zeros in constant mode (see fuse_pad_into_conv), and
 *    only on the spatial axes;
 *  - the pool's auto_pad is NOTSET and ceil_mode is 0 (a partial window
 *    at the edge would otherwise see a different count); its pads are
 *    all zero, or count_include_pad is already 1;
 *  - t is read only by the pool and is not a graph output.
 */
#include <string.h>

#include "match.h"
#include "pass.h"

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	match_begin(&m, model, node, "AveragePool");
	int64_t kernel[MATCH_MAX_RANK];
	int spatial = 0;
	const char *auto_pad = ir_attr_string(node, "auto_pad", "NOTSET");
	if (!match_opset_at_least(&m, 7) ||
	    !match_check(&m, match_attr_ints(node, "kernel_shape", kernel,
	                                     MATCH_MAX_RANK - 2, &spatial) &&
	                         spatial >= 1 && !strcmp(auto_pad, "NOTSET") &&
	                         ir_attr_int(node, "ceil_mode", 0) == 0))
		return 0;
	int64_t pool_pads[2 * MATCH_MAX_RANK];
	bool padded;
	ir_node *pad =
	    match_pad_into_pads(&m, node, spatial + 2, pool_pads, &padded);
	bool counted = ir_attr_int(node, "count_include_pad", 0) == 1;
	if (!pad || (padded && !counted))
		return 0;
	match_edit_input(&m, 0, pad->inputs[0]);
	match_edit_attr_ints(&m, "pads", pool_pads, 2 * spatial);
	match_edit_attr_int(&m, "count_include_pad", 1);
	return match_commit(&m, node, 0) ? 1 : 0;
}

const pass pass_fuse_pad_into_pool = {
    .name = "fuse_pad_into_pool",
    .group = "fuse",
    .summary = "merge a zero, spatial-only Pad into the padding of the "
               "AveragePool after it (count_include_pad = 1)",
    .rewrite = try_fuse,
};
