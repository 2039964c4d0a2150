/*
 * match_shape.c - ranks, dims, axes and operator forms as fusions see
 * them: Squeeze/Unsqueeze/Reduce axes in either opset form, Pad in any of
 * its three forms, constants that broadcast along one channel axis.
 * Everything here only reads the IR, except match_edit_axes, which
 * creates the initializer for axes written back as an input.
 */
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "ops.h"

/* -------------------------------------------------------------- shapes */

int match_rank(const ir_value *value)
{
	if (!value)
		return -1;
	if (value->def == IR_DEF_INITIALIZER && value->tensor)
		return value->tensor->rank;
	return value->type.is_tensor ? value->type.rank : -1;
}

int64_t match_dim(const ir_value *value, int axis)
{
	int rank = match_rank(value);
	if (rank < 0)
		return -1;
	if (axis < 0)
		axis += rank;
	if (axis < 0 || axis >= rank)
		return -1;
	if (value->def == IR_DEF_INITIALIZER && value->tensor)
		return value->tensor->dims[axis];
	const ir_dim *d = &value->type.dims[axis];
	return d->kind == IR_DIM_VALUE ? d->value : -1;
}

bool match_dims_equal(const ir_dim *a, const ir_dim *b)
{
	if (a->kind == IR_DIM_VALUE && b->kind == IR_DIM_VALUE)
		return a->value == b->value;
	if (a->kind == IR_DIM_PARAM && b->kind == IR_DIM_PARAM)
		return a->param && b->param && !strcmp(a->param, b->param);
	return false;
}

int match_elem_type(ir_model *model, ir_value *value)
{
	if (!value)
		return IR_UNDEFINED;
	if (value->type.is_tensor && value->type.elem_type)
		return value->type.elem_type;
	if (value->def == IR_DEF_INITIALIZER && value->tensor)
		return value->tensor->elem_type;
	match_const c;
	if (match_read_constant(model, value, &c))
		return c.elem_type;
	return IR_UNDEFINED;
}

/* ---------------------------------------------------------------- axes */

bool match_attr_ints(const ir_node *node, const char *name, int64_t *out,
                     int max, int *n)
{
	const int64_t *values;
	int count = ir_attr_ints(node, name, &values);
	if (count < 0 || count > max)
		return false;
	if (count > 0) /* an empty list may have a NULL array */
		memcpy(out, values, sizeof *out * (size_t)count);
	*n = count;
	return true;
}

bool match_axes(ir_model *model, const ir_node *node, int input_index,
                int64_t *axes, int max, int *n, bool *present)
{
	*n = 0;
	*present = false;
	if (ir_node_attr(node, "axes")) {
		*present = true;
		return match_attr_ints(node, "axes", axes, max, n);
	}
	if (input_index >= node->n_inputs || !node->inputs[input_index])
		return true;
	*present = true;
	match_const c;
	return match_read_constant(model, node->inputs[input_index], &c) &&
	       c.rank <= 1 && match_const_int64s(&c, axes, max, n);
}

static int compare_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

bool match_normalize_axes(int64_t *axes, int n, int rank)
{
	for (int i = 0; i < n; i++) {
		if (axes[i] < 0) {
			if (rank < 0)
				return false;
			axes[i] += rank;
		}
		if (axes[i] < 0 || (rank >= 0 && axes[i] >= rank))
			return false;
	}
	qsort(axes, (size_t)n, sizeof *axes, compare_int64);
	for (int i = 1; i < n; i++)
		if (axes[i] == axes[i - 1])
			return false;
	return true;
}

int match_trailing_axes(ir_model *model, const ir_node *reduce, int rank)
{
	int64_t axes[MATCH_MAX_RANK];
	int n;
	bool present;
	if (ir_attr_int(reduce, "keepdims", 1) != 1 ||
	    !match_axes(model, reduce, 1, axes, MATCH_MAX_RANK, &n, &present) ||
	    !present || n == 0)
		return 0;
	bool all_negative = true;
	for (int i = 0; i < n; i++)
		all_negative = all_negative && axes[i] < 0;
	int r = all_negative ? n : rank;
	if (!match_normalize_axes(axes, n, r))
		return 0;
	for (int i = 0; i < n; i++)
		if (axes[i] != r - n + i)
			return 0;
	return n;
}

/* ------------------------------------------------------ operator forms */

ir_node *match_pad_into_pads(match *m, ir_node *consumer, int rank,
                             int64_t *out, bool *consumer_padded)
{
	ir_node *pad = match_input(m, consumer, 0, "Pad");
	int64_t pads[2 * MATCH_MAX_RANK];
	/* The Pad's data becomes the consumer's input, so it must be there
	 * (an opset-10 Pad with no inputs at all has no inputs array); the
	 * consumer keeps its other inputs, so none may read the Pad too
	 * (Conv(Pad(x), Pad(x)) would leave its weight on the removed Pad). */
	if (!match_operand(m, pad, 0) ||
	    !match_check(m, consumer->inputs[0]->n_uses == 1) ||
	    !match_check(m, rank >= 3 && rank <= MATCH_MAX_RANK) ||
	    !match_zero_pads(m, pad, rank, pads) ||
	    !match_check(m, pads[0] == 0 && pads[1] == 0 && pads[rank] == 0 &&
	                        pads[rank + 1] == 0) ||
	    !match_private(m))
		return NULL;
	int spatial = rank - 2, n = 0;
	for (int i = 0; i < 2 * spatial; i++)
		out[i] = 0;
	if (ir_node_attr(consumer, "pads") &&
	    !match_check(m, match_attr_ints(consumer, "pads", out,
	                                    2 * MATCH_MAX_RANK, &n) &&
	                        n == 2 * spatial))
		return NULL;
	*consumer_padded = false;
	for (int i = 0; i < 2 * spatial; i++) {
		if (!match_check(m, out[i] >= 0))
			return NULL;
		*consumer_padded = *consumer_padded || out[i] != 0;
	}
	for (int i = 0; i < spatial; i++)
		if (!match_check(m, !__builtin_add_overflow(out[i], pads[2 + i],
		                                            &out[i]) &&
		                        !__builtin_add_overflow(
		                            out[spatial + i], pads[rank + 2 + i],
		                            &out[spatial + i])))
			return NULL;
	return pad;
}

bool match_per_channel(const match_const *c, int rank, int axis,
                       int64_t channels, double *out)
{
	if (c->rank > rank || c->numel < 1 ||
	    (c->numel != 1 && c->numel != channels))
		return false;
	for (int i = 0; i < c->rank; i++) {
		int aligned = i + rank - c->rank;
		int64_t d = c->dims[i];
		if (d != 1 && !(aligned == axis && d == channels))
			return false;
	}
	for (int64_t k = 0; k < channels; k++)
		out[k] = match_const_get(c, c->numel == 1 ? 0 : k);
	return true;
}

bool match_zero_pads(match *m, const ir_node *pad, int rank, int64_t *pads)
{
	if (m->failed || rank <= 0 || rank > MATCH_MAX_RANK)
		return match_check(m, false);
	const char *mode = ir_attr_string(pad, "mode", "constant");
	if (strcmp(mode, "constant") != 0)
		return match_check(m, false);
	int64_t given[2 * MATCH_MAX_RANK];
	int n = 0;
	int64_t axes[MATCH_MAX_RANK];
	int n_axes = rank;
	for (int i = 0; i < rank; i++)
		axes[i] = i;
	if (op_attribute_input("Pad", "pads", m->opset) < 0) {
		/* Pad-2: pads and value are attributes. */
		if (!match_attr_ints(pad, "pads", given, 2 * MATCH_MAX_RANK,
		                     &n) ||
		    ir_attr_float(pad, "value", 0.0f) != 0.0f)
			return match_check(m, false);
	} else {
		match_const c;
		if (!match_constant(m, match_operand(m, pad, 1), &c) ||
		    !match_check(m, match_const_int64s(&c, given,
		                                       2 * MATCH_MAX_RANK, &n)))
			return false;
		if (pad->n_inputs > 2 && pad->inputs[2]) {
			double value = match_scalar(m, pad->inputs[2]);
			if (!match_check(m, value == 0.0))
				return false;
		}
		if (pad->n_inputs > 3 && pad->inputs[3]) {
			bool present;
			if (!match_check(m, match_axes(m->model, pad, 3, axes,
			                               MATCH_MAX_RANK, &n_axes,
			                               &present)))
				return false;
			for (int i = 0; i < n_axes; i++)
				if (axes[i] < 0)
					axes[i] += rank;
		}
	}
	if (!match_check(m, n == 2 * n_axes))
		return false;
	for (int i = 0; i < 2 * rank; i++)
		pads[i] = 0;
	bool seen[MATCH_MAX_RANK] = {false};
	for (int i = 0; i < n_axes; i++) {
		/* An axis named twice is an invalid Pad: leave it alone. */
		if (!match_check(m, axes[i] >= 0 && axes[i] < rank &&
		                        !seen[axes[i]] && given[i] >= 0 &&
		                        given[n_axes + i] >= 0))
			return false;
		seen[axes[i]] = true;
		pads[axes[i]] = given[i];
		pads[rank + axes[i]] = given[n_axes + i];
	}
	return true;
}

bool match_node_axes(match *m, const ir_node *node, int rank, int64_t *axes,
                     int *n)
{
	bool present = false;
	if (m->failed)
		return false;
	return match_check(m, match_axes(m->model, node, 1, axes,
	                                 MATCH_MAX_RANK, n, &present) &&
	                          present &&
	                          match_normalize_axes(axes, *n, rank));
}

void match_edit_axes(match *m, const ir_node *node, const int64_t *axes, int n)
{
	if (m->failed)
		return;
	if (ir_node_attr(node, "axes")) {
		match_edit_attr_ints(m, "axes", axes, n);
		return;
	}
	int64_t dims[1] = {n};
	match_edit_input(
	    m, 1,
	    match_add_initializer_int64s(node->graph, "axes", 1, dims, axes));
}

/* ----------------------------------------------------- shape values */

/* The constant int64 of one element `value` holds (a scalar or [1]). */
static bool single_int(ir_model *model, ir_value *value, int64_t *out)
{
	match_const c;
	int n = 0;
	return value && match_read_constant(model, value, &c) &&
	       match_const_int64s(&c, out, 1, &n) && n == 1;
}

/* Axis `a` of a shape of rank `rank`, normalized; -1 when out of range. */
static int64_t shape_axis(int64_t a, int rank)
{
	a = a < 0 ? a + rank : a;
	return a >= 0 && a < rank ? a : -1;
}

bool match_holds_dim(ir_model *model, ir_value *value, const ir_value *x,
                     int axis)
{
	const ir_node *p = ir_value_producer(value);
	if (!p || !p->n_inputs || !p->inputs[0] || axis < 0 ||
	    axis >= match_rank(x))
		return false;
	int64_t a, b, zero;
	/* Squeeze/Unsqueeze of axis 0 turn [1] into a scalar and back. */
	if ((ir_node_is(p, "Squeeze") || ir_node_is(p, "Unsqueeze")) &&
	    p->n_inputs == 2 && single_int(model, p->inputs[1], &zero) &&
	    zero == 0)
		return match_holds_dim(model, p->inputs[0], x, axis);
	const ir_node *shape = ir_value_producer(p->inputs[0]);
	if (ir_node_is(p, "Shape") && p->n_inputs == 1) {
		int rank = match_rank(p->inputs[0]);
		if (rank < 0)
			return false;
		a = shape_axis(ir_attr_int(p, "start", 0), rank);
		b = ir_attr_int(p, "end", rank);
		return a >= 0 && b > INT64_MIN && shape_axis(b - 1, rank) == a &&
		       match_dims_equal(&p->inputs[0]->type.dims[a],
		                        &x->type.dims[axis]);
	}
	if (!shape || !ir_node_is(shape, "Shape") || shape->n_inputs != 1 ||
	    ir_node_attr(shape, "start") || ir_node_attr(shape, "end"))
		return false;
	const ir_value *of = shape->inputs[0];
	int rank = match_rank(of);
	if (rank < 0)
		return false;
	if (ir_node_is(p, "Gather") && p->n_inputs == 2 &&
	    ir_attr_int(p, "axis", 0) == 0 &&
	    single_int(model, p->inputs[1], &a) &&
	    match_rank(p->inputs[1]) == 0) {
		a = shape_axis(a, rank);
	} else if (ir_node_is(p, "Slice") && p->n_inputs >= 3 &&
	           single_int(model, p->inputs[1], &a) &&
	           single_int(model, p->inputs[2], &b) &&
	           (p->n_inputs < 4 || !p->inputs[3] ||
	            (single_int(model, p->inputs[3], &zero) && zero == 0)) &&
	           (p->n_inputs < 5 || !p->inputs[4] ||
	            (single_int(model, p->inputs[4], &zero) && zero == 1))) {
		/* [a, b) of the shape, one element: b = a + 1, or the end. */
		a = shape_axis(a, rank);
		int64_t end = b < 0 ? b + rank : b;
		if (a < 0 || !(end == a + 1 || (a == rank - 1 && end >= rank)))
			return false;
	} else {
		return false;
	}
	return a >= 0 &&
	       match_dims_equal(&of->type.dims[a], &x->type.dims[axis]);
}
