/*
 * eliminate_nop_reshape.c - remove Reshape nodes whose target is the shape
 * the input already has.
 *
 *   before:  x:[N,3,4] -> Reshape(shape=[0,3,-1]) -> y:[N,3,4] -> A
 *   after:   x -> A
 *
 * The target must reproduce x's shape entry by entry (the output rank is
 * the target's length, so lengths must match):
 *  - a positive entry equals the known dim of x at that position;
 *  - a 0 copies x's dim (allowzero=0, the only meaning before opset 14),
 *    so any dim, even a symbolic one, is kept; with allowzero=1 a 0 is a
 *    literal 0 and x's dim must be known to be 0;
 *  - one -1 is inferred as numel(x) / (product of the other entries). When
 *    every other entry is proven equal to a known positive dim of x, that
 *    quotient is exactly x's dim at the -1, whatever it is. If another
 *    dim could be 0 the quotient is undefined, so no rewrite.
 *
 * Legality:
 *  - Reshape in the default ONNX domain; the target is the `shape`
 *    attribute before opset 5 and a constant 1-D int64 input after;
 *  - x's rank is known, and its dims where the rules above need them;
 *  - graph output names survive (see pass_remove_passthrough).
 */
#include "ops.h"
#include "pass_util.h"

static bool known_dim(const ir_dim *d, int64_t *value)
{
	if (d->kind != IR_DIM_VALUE)
		return false;
	*value = d->value;
	return true;
}

static bool target_is_input_shape(const ir_type *x, const int64_t *target,
                                  int64_t count, bool allowzero)
{
	if (!x->is_tensor || x->rank < 0 || count != x->rank)
		return false;
	int inferred = -1;
	bool others_positive = true; /* every entry but the -1 is known > 0 */
	for (int i = 0; i < x->rank; i++) {
		int64_t dim = 0;
		bool known = known_dim(&x->dims[i], &dim);
		if (target[i] == -1) {
			if (inferred >= 0)
				return false; /* two -1: invalid */
			inferred = i;
			continue;
		}
		if (target[i] > 0 || (target[i] == 0 && allowzero)) {
			if (!known || dim != target[i])
				return false;
		} else if (target[i] != 0) {
			return false; /* below -1: invalid */
		}
		if (!known || dim <= 0)
			others_positive = false;
	}
	return inferred < 0 || others_positive;
}

static bool reshape_is_nop(const ir_node *node, int64_t opset)
{
	const ir_value *x = node->inputs[0];
	const int64_t *target;
	int64_t count;
	if (op_attribute_input("Reshape", "shape", opset) < 0) {
		count = ir_attr_ints(node, "shape", &target);
		if (count < 0)
			return false;
	} else {
		if (node->n_inputs != 2 || !node->inputs[1])
			return false;
		ir_tensor *t = pass_constant_tensor(node->inputs[1]);
		if (!t || t->rank != 1 || t->elem_type != IR_INT64 ||
		    !pass_constant_ints(node->inputs[1], &target, &count))
			return false;
	}
	bool allowzero = pass_reshape_allows_zero(node, opset);
	return target_is_input_shape(&x->type, target, count, allowzero);
}

static ir_value *reshape_input(ir_node *node, int64_t opset)
{
	if (!ir_node_is(node, "Reshape") || node->n_inputs < 1 ||
	    !node->inputs[0] || node->n_outputs != 1 ||
	    !reshape_is_nop(node, opset))
		return NULL;
	return node->inputs[0];
}

static int rewrite_eliminate_nop_reshape(ir_model *model, ir_node *node,
                                         pass_context *ctx)
{
	(void)ctx;
	if (ir_model_opset(model, "") < 1)
		return 0;
	return pass_remove_passthrough_node(model, node, reshape_input);
}

const pass pass_eliminate_nop_reshape = {
    .name = "eliminate_nop_reshape",
    .group = "eliminate",
    .summary = "remove Reshape nodes whose constant target is the input's "
               "shape",
    .needs = ANALYSIS_TYPES,
    .rewrite = rewrite_eliminate_nop_reshape,
};
