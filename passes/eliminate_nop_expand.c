/*
 * eliminate_nop_expand.c - remove Expand nodes that do not change the shape.
 *
 *   before:  x:[N,3,4] -> Expand(shape=[1,4]) -> y:[N,3,4] -> A
 *   after:   x -> A
 *
 * Expand broadcasts x against `shape`; the output has x's shape exactly
 * when broadcasting adds no dimension and grows none: `shape` has no more
 * entries than x has dims, and each entry is 1 or equals the known dim it
 * lines up with. A 1 keeps any dim, including a symbolic or zero one.
 *
 * A computed `shape` counts when shape inference proves each entry (its
 * symbolic contents, shape_value_of): x.expand(x.size()) exports
 *   x:[batch,seq] -> Shape -> Expand(x, .)
 * whose entries are x's own dims, batch and seq. An entry equals x's dim
 * only as the same expression; two different symbols, or an unknown dim,
 * are never assumed equal (either may be 1 while the other is not).
 *
 * Legality:
 *  - Expand in the default ONNX domain (opset 8 or later);
 *  - `shape` is a constant 1-D int64 tensor, or one whose every entry
 *    shape inference derives;
 *  - x's rank is known (unless `shape` is empty), and its dims wherever
 *    an entry is not 1;
 *  - graph output names survive (see pass_remove_passthrough).
 */
#include "pass_util.h"
#include "shape/shape.h"

/* Each entry of a computed shape is 1 or provably x's dim it lines up
 * with, and there are no more entries than x has dims. */
static bool computed_shape_keeps(const ir_value *x, ir_value *shape)
{
	shape_value sv;
	if (!x->type.is_tensor || x->type.rank < 0 ||
	    !shape_value_of(shape, &sv) || sv.rank != 1 || sv.n > x->type.rank)
		return false;
	for (int i = 0; i < sv.n; i++) {
		int64_t c;
		if (dim_is_const(&sv.elems[i], &c) && c == 1)
			continue;
		dim_expr d =
		    dim_from_ir(&x->type.dims[x->type.rank - sv.n + i]);
		if (!dim_equal(&d, &sv.elems[i]))
			return false;
	}
	return true;
}

static ir_value *expand_input(ir_node *node, int64_t opset)
{
	(void)opset;
	if (!ir_node_is(node, "Expand") || node->n_inputs != 2 ||
	    node->n_outputs != 1 || !node->inputs[0])
		return NULL;
	ir_value *x = node->inputs[0];
	if (!node->inputs[1])
		return NULL;
	ir_tensor *shape_tensor = pass_constant_tensor(node->inputs[1]);
	if (!shape_tensor)
		return computed_shape_keeps(x, node->inputs[1]) ? x : NULL;
	const int64_t *shape;
	int64_t count;
	if (!shape_tensor || shape_tensor->rank != 1 ||
	    shape_tensor->elem_type != IR_INT64 ||
	    !pass_constant_ints(node->inputs[1], &shape, &count))
		return NULL;
	if (!pass_broadcast_keeps_shape(&x->type, shape, (int)count))
		return NULL;
	return x;
}

static int rewrite_eliminate_nop_expand(ir_model *model, ir_node *node,
                                        pass_context *ctx)
{
	(void)ctx;
	if (ir_model_opset(model, "") < 8)
		return 0;
	return pass_remove_passthrough_node(model, node, expand_input);
}

const pass pass_eliminate_nop_expand = {
    .name = "eliminate_nop_expand",
    .group = "eliminate",
    .summary = "remove Expand nodes whose constant or provable shape "
               "leaves the input shape unchanged",
    .needs = ANALYSIS_TYPES,
    .rewrite = rewrite_eliminate_nop_expand,
};
