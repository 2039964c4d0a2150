/*
 * fuse_relu_clip.c - a Relu next to a Clip is folded into the Clip's
 * lower bound.
 *
 *   before:  x -> Relu -> t -> Clip(lo, hi) -> y
 *            x -> Clip(lo, hi) -> t -> Relu -> y
 *   after:   x -> Clip(max(lo, 0), hi) -> y
 *
 * max(min(max(x, lo), hi), 0) and min(max(max(x, 0), lo), hi) both equal
 * min(max(x, max(lo, 0)), hi) as long as hi >= max(lo, 0). When hi is
 * below that, the Clip's bounds would cross, whose meaning differs
 * between versions, so the pair is left alone.
 *
 * Legality:
 *  - Clip-6 (min/max attributes, float) before opset 11; from 11, min and
 *    max are optional constant scalar inputs of x's dtype. A missing min
 *    needs x's dtype known to create the new bound;
 *  - the bounds' dtype is float, double or float16 (integer Relu/Clip are
 *    legal too but rare; they are left alone);
 *  - t is read only by the second node and is not a graph output.
 */
#include <math.h>

#include "match.h"
#include "ops.h"
#include "pass.h"

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	ir_node *clip = NULL;
	ir_value *x = NULL;
	bool relu_first = ir_node_is(node, "Clip");
	if (relu_first) {
		match_begin(&m, model, node, "Clip");
		ir_node *relu = match_input(&m, node, 0, "Relu");
		x = match_operand(&m, relu, 0);
		clip = node;
	} else {
		match_begin(&m, model, node, "Relu");
		clip = match_input(&m, node, 0, "Clip");
		x = match_operand(&m, clip, 0);
	}
	if (!match_private(&m))
		return 0;
	double lo = -INFINITY, hi = INFINITY;
	int elem_type = 0;
	bool bounds_are_attributes =
	    op_attribute_input("Clip", "min", m.opset) < 0;
	if (bounds_are_attributes) {
		lo = ir_attr_float(clip, "min", -INFINITY);
		hi = ir_attr_float(clip, "max", INFINITY);
		elem_type = IR_FLOAT;
	} else {
		for (int i = 1; i < clip->n_inputs && i < 3; i++) {
			if (!clip->inputs[i])
				continue;
			match_const c;
			if (!match_constant(&m, clip->inputs[i], &c) ||
			    !match_check(&m, c.numel == 1))
				return 0;
			elem_type = c.elem_type;
			*(i == 1 ? &lo : &hi) = match_const_get(&c, 0);
		}
		if (!elem_type)
			elem_type = match_elem_type(model, x);
	}
	if (!ir_elem_is_float(elem_type) || elem_type == IR_BFLOAT16 ||
	    isnan(lo) || isnan(hi))
		return 0;
	double new_lo = lo > 0 ? lo : 0.0;
	if (!(hi >= new_lo))
		return 0;
	match_edit_input(&m, 0, x);
	if (bounds_are_attributes) {
		match_edit_attr_float(&m, "min", (float)new_lo);
	} else {
		match_edit_input(
		    &m, 1,
		    match_add_initializer_doubles(m.graph, "clip_min",
		                                  elem_type, 0, NULL, &new_lo));
	}
	return match_commit(&m, clip, 0) ? 1 : 0;
}

const pass pass_fuse_relu_clip = {
    .name = "fuse_relu_clip",
    .group = "fuse",
    .summary = "fold a Relu before or after a Clip into the Clip's lower "
               "bound",
    .needs = ANALYSIS_TYPES,
    .rewrite = try_fuse,
};
