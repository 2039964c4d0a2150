/*
 * eliminate_nop_tile.c - remove Tile nodes that repeat everything once.
 *
 *   before:  x:[N,T,C] -> Tile(repeats=[1,1,1]) -> y -> A
 *            x:[N,T,C] -> Tile(repeats = Concat([1], Shape(w)))   w:[1,1]
 *   after:   x -> A
 *
 * Tile's output dim i is x's dim i times repeats[i], holding x's data
 * repeats[i] times, so with every repeat 1 the output is x.
 *
 * Legality:
 *  - Tile in the default ONNX domain, opset 6 or later (repeats is an
 *    input; opset 1's tiles/axis inputs are left alone);
 *  - every element of repeats is provably 1: a constant, or a computed
 *    tensor whose every element shape inference derives as the constant 1
 *    (shape_value_of); a symbolic repeat is never assumed to be 1;
 *  - repeats has as many elements as x has dims when x's rank is known
 *    (another length fails at run time, and that error stays);
 *  - graph output names survive (see pass_remove_passthrough).
 */
#include "pass_util.h"
#include "shape/shape.h"

static ir_value *tile_input(ir_node *node, int64_t opset)
{
	if (opset < 6 || !ir_node_is(node, "Tile") || node->n_inputs != 2 ||
	    node->n_outputs != 1 || !node->inputs[0] || !node->inputs[1])
		return NULL;
	ir_value *x = node->inputs[0];
	int64_t repeats[SHAPE_VALUE_MAX];
	int n;
	if (!x->type.is_tensor || x->type.rank < 0 ||
	    !shape_value_ints(node->inputs[1], repeats, SHAPE_VALUE_MAX, &n) ||
	    n != x->type.rank)
		return NULL;
	for (int i = 0; i < n; i++)
		if (repeats[i] != 1)
			return NULL;
	return x;
}

static int rewrite_eliminate_nop_tile(ir_model *model, ir_node *node,
                                      pass_context *ctx)
{
	(void)ctx;
	return pass_remove_passthrough_node(model, node, tile_input);
}

const pass pass_eliminate_nop_tile = {
    .name = "eliminate_nop_tile",
    .group = "eliminate",
    .summary = "remove Tile nodes whose repeats are provably all 1",
    .needs = ANALYSIS_TYPES,
    .rewrite = rewrite_eliminate_nop_tile,
};
