/*
 * convert_opset_ops.c - the per-op adapters of convert_opset: version
 * changes that are more than an attribute becoming an input (those are
 * table-driven, in convert_opset.c).
 *
 *   Softmax, LogSoftmax, Hardmax at 13: before, the input is coerced to
 *     2-D at `axis` (default 1) and normalized over the second dim; from
 *     13 on, over the single `axis` (default -1). Going up, when the axis
 *     is the last one nothing changes; otherwise
 *         x -> Flatten(axis) -> Op(axis=1) -> Reshape(., Shape(x))
 *     which is the old definition spelled out. Going down, only the last
 *     axis converts (other axes would need a Transpose).
 *   Upsample (gone at 10) becomes Resize; Resize-10 becomes Resize-11 with
 *     the coordinate mode Resize-10 implied (asymmetric, floor for
 *     nearest), and back where the node uses only what Resize-10 had.
 *   BatchNormalization: `spatial` left at 9 (only spatial=1 converts); the
 *     training outputs changed at 14 (converted when unused).
 *   Dropout: the mask output became bool at 10; training_mode and seed
 *     came at 12 (going down: training_mode must be a constant false).
 *   Cast, CastLike: `saturate` (19) only applies to float8 types, which
 *     older opsets do not have: dropped going down.
 *   Split: from 18 on, a Split without `split` needs num_outputs.
 *   Scatter (gone at 11) is ScatterElements.
 *   GridSample at 20 renamed its modes; RoiAlign at 16 changed the
 *     default coordinate mode; DFT at 20 moved axis to an input with
 *     another default; GroupNormalization at 21 changed the shape of
 *     scale and bias (refused); Scan at 9 dropped its batch axis
 *     (refused); Pad's wrap mode came at 19.
 */
#include <string.h>

#include "convert_opset.h"
#include "pass_util.h"

static int input_rank(const ir_node *node)
{
	if (node->n_inputs < 1 || !node->inputs[0] ||
	    !node->inputs[0]->type.is_tensor)
		return -1;
	return node->inputs[0]->type.rank;
}

static bool attr_string_is(const ir_node *node, const char *name,
                           const char *fallback, const char *want)
{
	return !strcmp(ir_attr_string(node, name, fallback), want);
}

/* ----------------------------------------------------------- Softmax */

/* Replace node (one input, one output) by
 * Flatten(x, axis) -> node's op (axis 1) -> Reshape(., Shape(x)). */
static void spell_out_coerced_2d(convert *c, ir_node *node, int64_t axis)
{
	ir_graph *g = node->graph;
	ir_value *x = node->inputs[0];
	ir_node *flatten = ir_node_create(g, "Flatten", "", &x, 1, 1);
	ir_node_set_attr_int(flatten, "axis", axis);
	ir_node *op =
	    ir_node_create(g, node->op_type, "", &flatten->outputs[0], 1, 1);
	ir_node_set_attr_int(op, "axis", 1);
	ir_node *shape = ir_node_create(g, "Shape", "", &x, 1, 1);
	ir_value *reshape_in[2] = {op->outputs[0], shape->outputs[0]};
	ir_node *reshape = ir_node_create(g, "Reshape", "", reshape_in, 2, 1);
	ir_node_insert_before(node, flatten);
	ir_node_insert_before(node, op);
	ir_node_insert_before(node, shape);
	ir_node_insert_before(node, reshape);
	ir_value_move_definition(node->outputs[0], reshape, 0);
	ir_node_remove(node);
	(void)c;
}

static bool convert_softmax(convert *c, ir_node *node)
{
	int rank = input_rank(node);
	if (convert_upgrades_past(c, 13)) {
		int64_t axis = ir_attr_int(node, "axis", 1);
		bool last = axis == -1 || (rank > 0 && axis == rank - 1);
		if (!last && (node->n_outputs != 1 || node->n_inputs != 1 ||
		              !node->inputs[0]))
			return convert_refuse(c, node,
			                      "unexpected inputs or outputs");
		if (!c->apply)
			return true;
		if (last)
			ir_node_set_attr_int(node, "axis", -1);
		else
			spell_out_coerced_2d(c, node, axis);
		return true;
	}
	if (convert_downgrades_past(c, 13)) {
		int64_t axis = ir_attr_int(node, "axis", -1);
		bool last = (axis == -1 && (c->to >= 11 || rank > 0)) ||
		            (rank > 0 && (axis == rank - 1));
		if (!last)
			return convert_refuse(
			    c, node,
			    "axis %lld is not the last of an input of rank %d",
			    (long long)axis, rank);
		if (c->apply)
			ir_node_set_attr_int(node, "axis",
			                     c->to >= 11 ? -1 : rank - 1);
	}
	return true;
}

/* ------------------------------------------------- Upsample and Resize */

/* Resize-11 and -12 need roi (and scales) even when unused: empty. */
static ir_value *empty_floats(convert *c, ir_node *node, const char *hint)
{
	return convert_const_floats(c, node, hint, IR_FLOAT, NULL, 0, false);
}

/* Resize-10's (x, scales) as Resize-11 on: what 10 meant, spelled out. */
static void resize_10_to_11(convert *c, ir_node *node)
{
	ir_value *scales = node->n_inputs > 1 ? node->inputs[1] : NULL;
	convert_set_input(node, 2, scales);
	ir_node_set_input(node, 1,
	                  c->to < 13 ? empty_floats(c, node, "roi") : NULL);
	ir_node_set_attr_string(node, "coordinate_transformation_mode",
	                        "asymmetric");
	if (attr_string_is(node, "mode", "nearest", "nearest"))
		ir_node_set_attr_string(node, "nearest_mode", "floor");
}

static bool convert_upsample(convert *c, ir_node *node)
{
	if (c->to < 10)
		return true; /* scales moved by the table at 9 */
	const char *mode = ir_attr_string(node, "mode", "nearest");
	if (strcmp(mode, "nearest") && strcmp(mode, "linear"))
		return convert_refuse(c, node, "mode '%s'", mode);
	if (!c->apply)
		return true;
	ir_node_set_op_type(node, "Resize");
	if (c->to >= 11)
		resize_10_to_11(c, node);
	return true;
}

static bool empty_or_absent(const ir_node *node, int slot)
{
	if (node->n_inputs <= slot || !node->inputs[slot])
		return true;
	ir_tensor *t = pass_constant_tensor(node->inputs[slot]);
	return t && ir_tensor_numel(t) == 0;
}

/* Only what Resize-10 could say: asymmetric coordinates, floor rounding
 * for nearest, no cubic, scales rather than sizes. */
static bool resize_fits_10(const ir_node *node)
{
	static const char *const allowed[] = {
	    "mode", "coordinate_transformation_mode", "nearest_mode"};
	for (int i = 0; i < node->n_attrs; i++) {
		bool ok = false;
		for (int k = 0; k < 3; k++)
			ok |= !strcmp(node->attrs[i].name, allowed[k]);
		if (!ok)
			return false;
	}
	bool nearest = attr_string_is(node, "mode", "nearest", "nearest");
	return (nearest || attr_string_is(node, "mode", "nearest", "linear")) &&
	       attr_string_is(node, "coordinate_transformation_mode",
	                      "half_pixel", "asymmetric") &&
	       (!nearest || attr_string_is(node, "nearest_mode",
	                                   "round_prefer_floor", "floor")) &&
	       empty_or_absent(node, 1) && empty_or_absent(node, 3) &&
	       node->n_inputs > 2 && node->inputs[2];
}

/* Upsample-7 (a Resize going below 9) has scales as an attribute. */
static bool scales_to_attribute(convert *c, ir_node *node, int slot)
{
	const ir_value *v = node->n_inputs > slot ? node->inputs[slot] : NULL;
	ir_tensor *t = v ? pass_constant_tensor(v) : NULL;
	const void *data;
	size_t size;
	int64_t n = t ? ir_tensor_numel(t) : -1;
	if (!t || t->elem_type != IR_FLOAT || n < 1 || n > 16 ||
	    !ir_tensor_raw(c->model, t, &data, &size))
		return convert_refuse(c, node, "scales are not a constant");
	if (c->apply)
		ir_node_set_attr_floats(node, "scales", data, (int)n);
	return true;
}

/* tf_half_pixel_for_nn (gone at 13) maps x to (x + 0.5) / scale, half a
 * pixel past half_pixel's (x + 0.5) / scale - 0.5; rounding y + 0.5 down
 * is rounding y half up, and rounding it half down is ceil(y). */
static bool tf_half_pixel_to_13(convert *c, ir_node *node)
{
	const char *rounding =
	    ir_attr_string(node, "nearest_mode", "round_prefer_floor");
	const char *now = !strcmp(rounding, "floor") ? "round_prefer_ceil"
	                  : !strcmp(rounding, "round_prefer_floor") ? "ceil"
	                                                            : NULL;
	if (!now || !attr_string_is(node, "mode", "nearest", "nearest"))
		return convert_refuse(c, node,
		                      "tf_half_pixel_for_nn with "
		                      "nearest_mode '%s' (gone from "
		                      "opset 13 on)",
		                      rounding);
	if (c->apply) {
		ir_node_set_attr_string(node, "coordinate_transformation_mode",
		                        "half_pixel");
		ir_node_set_attr_string(node, "nearest_mode", now);
	}
	return true;
}

static bool convert_resize(convert *c, ir_node *node)
{
	const char *coords = ir_attr_string(
	    node, "coordinate_transformation_mode", "half_pixel");
	if (convert_upgrades_past(c, 13) && c->from >= 11 &&
	    !strcmp(coords, "tf_half_pixel_for_nn") &&
	    !tf_half_pixel_to_13(c, node))
		return false;
	if (convert_downgrades_past(c, 19) &&
	    !strcmp(coords, "half_pixel_symmetric"))
		return convert_refuse(c, node,
		                      "coordinate mode '%s' came at "
		                      "opset 19",
		                      coords);
	if (convert_downgrades_past(c, 11) && !resize_fits_10(node))
		return convert_refuse(c, node,
		                      "uses more than Resize-10 "
		                      "had (asymmetric coordinates, "
		                      "floor, scales)");
	if (c->to < 9 && !scales_to_attribute(c, node, 2))
		return false;
	if (!c->apply)
		return true;
	if (convert_upgrades_past(c, 11)) {
		resize_10_to_11(c, node);
	} else if (convert_downgrades_past(c, 11)) {
		ir_value *scales = node->inputs[2];
		ir_node_set_input(node, 1, scales);
		ir_node_truncate_inputs(node, 2);
		ir_node_remove_attr(node, "coordinate_transformation_mode");
		ir_node_remove_attr(node, "nearest_mode");
		if (c->to < 10)
			ir_node_set_op_type(node, "Upsample");
		if (c->to < 9) /* scales went to the attribute */
			ir_node_truncate_inputs(node, 1);
	} else if (convert_downgrades_past(c, 13)) {
		if (node->n_inputs < 2 || !node->inputs[1])
			convert_set_input(node, 1,
			                  empty_floats(c, node, "roi"));
		if (node->n_inputs < 3 || !node->inputs[2])
			convert_set_input(node, 2,
			                  empty_floats(c, node, "scales"));
	}
	return true;
}

/* ------------------------------------------- BatchNormalization, Dropout */

/* Outputs from `first` on must be unused; they are dropped. */
static bool drop_outputs_from(convert *c, ir_node *node, int first,
                              const char *why)
{
	for (int i = first; i < node->n_outputs; i++)
		if (!convert_output_unused(node, i))
			return convert_refuse(c, node, "output %d is used: %s",
			                      i, why);
	if (c->apply && node->n_outputs > first)
		ir_node_truncate_outputs(node, first);
	return true;
}

static bool convert_batch_norm(convert *c, ir_node *node)
{
	if (convert_upgrades_past(c, 9) && ir_node_attr(node, "spatial")) {
		if (ir_attr_int(node, "spatial", 1) != 1)
			return convert_refuse(c, node,
			                      "spatial=0 is gone from "
			                      "opset 9 on");
		if (c->apply)
			ir_node_remove_attr(node, "spatial");
	}
	if (convert_upgrades_past(c, 14) || convert_downgrades_past(c, 14))
		return drop_outputs_from(c, node, 1,
		                         "the training outputs changed at "
		                         "opset 14");
	return true;
}

static bool convert_dropout(convert *c, ir_node *node)
{
	if ((convert_upgrades_past(c, 10) || convert_downgrades_past(c, 10)) &&
	    !drop_outputs_from(c, node, 1, "the mask became bool at opset 10"))
		return false;
	if (!convert_downgrades_past(c, 12))
		return true;
	if (node->n_inputs > 2 && node->inputs[2]) {
		bool training = true;
		if (!pass_constant_bool(node->inputs[2], &training) || training)
			return convert_refuse(c, node,
			                      "training_mode is not a "
			                      "constant false");
	}
	if (c->apply) {
		if (node->n_inputs > 2)
			ir_node_set_input(node, 2, NULL);
		convert_trim_inputs(node);
		ir_node_remove_attr(node, "seed");
	}
	return true;
}

/* ---------------------------------------------------------- Cast, Split */

static bool convert_cast(convert *c, ir_node *node)
{
	/* A float8 target was refused with the element types. */
	if (convert_downgrades_past(c, 19) && c->apply)
		ir_node_remove_attr(node, "saturate");
	return true;
}

static bool split_sizes_given(const ir_node *node)
{
	return ir_node_attr(node, "split") ||
	       (node->n_inputs > 1 && node->inputs[1]);
}

static bool convert_split(convert *c, ir_node *node)
{
	if (convert_upgrades_past(c, 18)) {
		if (c->apply && !split_sizes_given(node))
			ir_node_set_attr_int(node, "num_outputs",
			                     node->n_outputs);
		return true;
	}
	if (!convert_downgrades_past(c, 18) ||
	    !ir_node_attr(node, "num_outputs"))
		return true;
	int64_t n = ir_attr_int(node, "num_outputs", 0);
	int rank = input_rank(node);
	int64_t axis = ir_attr_int(node, "axis", 0);
	if (axis < 0 && rank >= 0)
		axis += rank;
	/* A known rank means input 0 is present (input_rank). */
	const ir_type *t = rank >= 0 ? &node->inputs[0]->type : NULL;
	if (n != node->n_outputs || !t || axis < 0 || axis >= rank ||
	    t->dims[axis].kind != IR_DIM_VALUE || t->dims[axis].value < 0 ||
	    n < 1 || n > 64)
		return convert_refuse(c, node,
		                      "num_outputs needs the size of "
		                      "the split axis");
	/* Parts of ceil(dim / n), the last one smaller: it must not come
	 * out negative (5 in 4 parts of 2), which Split-18 rejects too. */
	int64_t dim = t->dims[axis].value;
	int64_t chunk = dim / n + (dim % n != 0), last = dim - chunk * (n - 1);
	if (last < 0)
		return convert_refuse(c, node,
		                      "num_outputs parts of ceil(size / n) "
		                      "overrun the split axis");
	if (!c->apply)
		return true;
	ir_node_remove_attr(node, "num_outputs");
	if (dim % n == 0)
		return true; /* equal parts: the older default */
	int64_t sizes[64];
	for (int64_t i = 0; i < n; i++)
		sizes[i] = i + 1 < n ? chunk : last;
	if (c->to >= 13)
		convert_set_input(
		    node, 1,
		    convert_const_ints(c, node, "split", sizes, (int)n, false));
	else
		ir_node_set_attr_ints(node, "split", sizes, (int)n);
	return true;
}

/* --------------------------------------------------------------- others */

static bool convert_scatter(convert *c, ir_node *node)
{
	if (c->to >= 11 && c->apply)
		ir_node_set_op_type(node, "ScatterElements");
	return true;
}

static bool convert_scatter_elements(convert *c, ir_node *node)
{
	if (c->to < 11 && c->apply)
		ir_node_set_op_type(node, "Scatter");
	return true;
}

static bool rename_attr_value(convert *c, ir_node *node, const char *name,
                              const char *from, const char *to)
{
	if (c->apply && ir_node_attr(node, name) &&
	    attr_string_is(node, name, "", from))
		ir_node_set_attr_string(node, name, to);
	return true;
}

static bool convert_grid_sample(convert *c, ir_node *node)
{
	if (convert_upgrades_past(c, 20)) {
		rename_attr_value(c, node, "mode", "bilinear", "linear");
		rename_attr_value(c, node, "mode", "bicubic", "cubic");
	} else if (convert_downgrades_past(c, 20)) {
		if (input_rank(node) != 4)
			return convert_refuse(c, node,
			                      "GridSample-16 takes "
			                      "4-D inputs only");
		rename_attr_value(c, node, "mode", "linear", "bilinear");
		rename_attr_value(c, node, "mode", "cubic", "bicubic");
		if (!ir_node_attr(node, "mode") && c->apply)
			ir_node_set_attr_string(node, "mode", "bilinear");
	}
	return true;
}

static bool convert_roi_align(convert *c, ir_node *node)
{
	const char *mode = "coordinate_transformation_mode";
	if (convert_upgrades_past(c, 16) && !ir_node_attr(node, mode) &&
	    c->apply)
		ir_node_set_attr_string(node, mode, "output_half_pixel");
	if (convert_downgrades_past(c, 16)) {
		if (!attr_string_is(node, mode, "half_pixel",
		                    "output_half_pixel"))
			return convert_refuse(c, node,
			                      "%s other than "
			                      "output_half_pixel",
			                      mode);
		if (c->apply)
			ir_node_remove_attr(node, mode);
	}
	return true;
}

static bool convert_dft(convert *c, ir_node *node)
{
	if (convert_upgrades_past(c, 20)) {
		int64_t axis = ir_attr_int(node, "axis", 1);
		if (c->apply) {
			ir_node_remove_attr(node, "axis");
			convert_set_input(node, 2,
			                  convert_const_ints(c, node, "axis",
			                                     &axis, 1, true));
		}
		return true;
	}
	if (!convert_downgrades_past(c, 20))
		return true;
	const int64_t *axis;
	int64_t count = 0, value = -2;
	if (node->n_inputs > 2 && node->inputs[2]) {
		if (!pass_constant_ints(node->inputs[2], &axis, &count) ||
		    count != 1)
			return convert_refuse(c, node,
			                      "axis is not a constant");
		value = axis[0];
	}
	if (value < 0 && input_rank(node) >= 0)
		value += input_rank(node);
	if (value < 0 || input_rank(node) < 0)
		return convert_refuse(c, node, "axis needs the input's rank");
	if (c->apply) {
		ir_node_truncate_inputs(
		    node, node->n_inputs > 2 ? 2 : node->n_inputs);
		ir_node_set_attr_int(node, "axis", value);
	}
	return true;
}

static bool convert_group_norm(convert *c, ir_node *node)
{
	if (convert_upgrades_past(c, 21) || convert_downgrades_past(c, 21))
		return convert_refuse(c, node,
		                      "scale and bias changed from "
		                      "per group to per channel at "
		                      "opset 21");
	return true;
}

static bool convert_scan(convert *c, ir_node *node)
{
	if (convert_upgrades_past(c, 9) || convert_downgrades_past(c, 9))
		return convert_refuse(c, node,
		                      "Scan-8's batch axis is gone "
		                      "from opset 9 on");
	return true;
}

static bool convert_pad(convert *c, ir_node *node)
{
	if (convert_downgrades_past(c, 19) &&
	    attr_string_is(node, "mode", "constant", "wrap"))
		return convert_refuse(c, node, "mode 'wrap' came at opset 19");
	return true;
}

/* Sorted by op. */
static const convert_adapter adapters[] = {
    {"BatchNormalization", convert_batch_norm, NULL},
    {"Cast", convert_cast, "saturate"},
    {"CastLike", convert_cast, "saturate"},
    {"DFT", convert_dft, "axis"},
    {"Dropout", convert_dropout, "seed in2 out1"},
    {"GridSample", convert_grid_sample, NULL},
    {"GroupNormalization", convert_group_norm, NULL},
    {"Hardmax", convert_softmax, NULL},
    {"LogSoftmax", convert_softmax, NULL},
    {"Pad", convert_pad, NULL},
    {"Resize", convert_resize, "scales in3"},
    {"RoiAlign", convert_roi_align, NULL},
    {"Scan", convert_scan, NULL},
    {"Scatter", convert_scatter, NULL},
    {"ScatterElements", convert_scatter_elements, NULL},
    {"Softmax", convert_softmax, NULL},
    {"Split", convert_split, "num_outputs"},
    {"Upsample", convert_upsample, NULL},
};

const convert_adapter *convert_find_adapter(const char *op_type)
{
	for (size_t i = 0; i < sizeof adapters / sizeof *adapters; i++)
		if (!strcmp(adapters[i].op, op_type))
			return &adapters[i];
	return NULL;
}
