/*
 * fuse_consecutive_slices.c - two Slices of different axes become one.
 *
 *   before:  x -> Slice(s1, e1, axes A1, steps p1) -> t
 *              -> Slice(s2, e2, axes A2, steps p2) -> y
 *   after:   x -> Slice(s1 + s2, e1 + e2, A1 + A2, p1 + p2) -> y
 *            (lists concatenated)
 *
 * Slicing works on each axis independently: it clamps starts and ends to
 * that axis's size and keeps that axis's other dims untouched. When A1
 * and A2 share no axis, each axis of y sees exactly one of the slices, so
 * one Slice with both lists is the same. Overlapping axes would need the
 * sizes to compose, and are left alone.
 *
 * Legality:
 *  - opset >= 10: starts, ends and the optional axes and steps are
 *    constant inputs (any of int32/int64; the result is int64); before 10
 *    they are attributes (no steps) and the result is written as such;
 *  - A1 and A2 are disjoint after normalization; negative axes need x's
 *    rank unless both lists use the same sign convention throughout;
 *  - t is read only by the second Slice and is not a graph output.
 */
#include <stdbool.h>

#include "match.h"
#include "ops.h"
#include "pass.h"

typedef struct slice_spec {
	int64_t starts[MATCH_MAX_RANK], ends[MATCH_MAX_RANK];
	int64_t axes[MATCH_MAX_RANK], steps[MATCH_MAX_RANK];
	int n;
} slice_spec;

/* Slice-1 to 9 take starts, ends and axes as attributes; inputs since. */
static bool indices_are_attributes(const match *m)
{
	return op_attribute_input("Slice", "starts", m->opset) < 0;
}

static bool read_list(match *m, const ir_node *slice, int index,
                      const char *attr, int64_t *out, int *n)
{
	if (indices_are_attributes(m))
		return match_attr_ints(slice, attr, out, MATCH_MAX_RANK, n);
	match_const c;
	return index < slice->n_inputs && slice->inputs[index] &&
	       match_constant(m, slice->inputs[index], &c) && c.rank == 1 &&
	       match_const_int64s(&c, out, MATCH_MAX_RANK, n);
}

static bool optional_present(const match *m, const ir_node *slice, int index,
                             const char *attr)
{
	if (indices_are_attributes(m))
		return ir_node_attr(slice, attr) != NULL;
	return index < slice->n_inputs && slice->inputs[index];
}

static bool read_slice(match *m, const ir_node *slice, slice_spec *spec)
{
	int n_ends = 0, n = 0;
	if (!read_list(m, slice, 1, "starts", spec->starts, &spec->n) ||
	    !read_list(m, slice, 2, "ends", spec->ends, &n_ends) ||
	    n_ends != spec->n)
		return false;
	for (int i = 0; i < spec->n; i++) {
		spec->axes[i] = i;
		spec->steps[i] = 1;
	}
	if (optional_present(m, slice, 3, "axes") &&
	    (!read_list(m, slice, 3, "axes", spec->axes, &n) || n != spec->n))
		return false;
	if (!indices_are_attributes(m) &&
	    optional_present(m, slice, 4, "steps") &&
	    (!read_list(m, slice, 4, "steps", spec->steps, &n) || n != spec->n))
		return false;
	return true;
}

/* Normalize both axis lists against `rank` when needed; false when they
 * cannot be compared or overlap. */
static bool disjoint_axes(slice_spec *a, slice_spec *b, int rank)
{
	int negatives = 0, total = a->n + b->n;
	for (int i = 0; i < a->n; i++)
		negatives += a->axes[i] < 0;
	for (int i = 0; i < b->n; i++)
		negatives += b->axes[i] < 0;
	if (negatives != 0 && negatives != total) {
		if (rank < 0)
			return false;
		for (int i = 0; i < a->n; i++)
			a->axes[i] += a->axes[i] < 0 ? rank : 0;
		for (int i = 0; i < b->n; i++)
			b->axes[i] += b->axes[i] < 0 ? rank : 0;
	}
	for (int i = 0; i < a->n; i++)
		for (int j = 0; j < b->n; j++)
			if (a->axes[i] == b->axes[j])
				return false;
	for (int i = 0; i < a->n; i++)
		for (int j = i + 1; j < a->n; j++)
			if (a->axes[i] == a->axes[j])
				return false;
	for (int i = 0; i < b->n; i++)
		for (int j = i + 1; j < b->n; j++)
			if (b->axes[i] == b->axes[j])
				return false;
	return true;
}

static ir_value *int64_list(ir_graph *graph, const char *hint,
                            const int64_t *values, int n)
{
	int64_t dims[1] = {n};
	return match_add_initializer_int64s(graph, hint, 1, dims, values);
}

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	match_begin(&m, model, node, "Slice");
	ir_node *first = match_input(&m, node, 0, "Slice");
	ir_value *x = match_operand(&m, first, 0);
	slice_spec a, b;
	if (!match_ok(&m) || !read_slice(&m, first, &a) ||
	    !read_slice(&m, node, &b) || a.n + b.n > MATCH_MAX_RANK ||
	    !disjoint_axes(&a, &b, match_rank(x)) || !match_private(&m))
		return 0;
	for (int i = 0; i < b.n; i++) {
		a.starts[a.n + i] = b.starts[i];
		a.ends[a.n + i] = b.ends[i];
		a.axes[a.n + i] = b.axes[i];
		a.steps[a.n + i] = b.steps[i];
	}
	int n = a.n + b.n;
	match_edit_input(&m, 0, x);
	if (indices_are_attributes(&m)) {
		match_edit_attr_ints(&m, "starts", a.starts, n);
		match_edit_attr_ints(&m, "ends", a.ends, n);
		match_edit_attr_ints(&m, "axes", a.axes, n);
	} else {
		ir_graph *g = m.graph;
		match_edit_input(&m, 1, int64_list(g, "starts", a.starts, n));
		match_edit_input(&m, 2, int64_list(g, "ends", a.ends, n));
		match_edit_input(&m, 3, int64_list(g, "axes", a.axes, n));
		match_edit_input(&m, 4, int64_list(g, "steps", a.steps, n));
	}
	return match_commit(&m, node, 0) ? 1 : 0;
}

const pass pass_fuse_consecutive_slices = {
    .name = "fuse_consecutive_slices",
    .group = "fuse",
    .summary = "merge two Slices of disjoint axes into one",
    .needs = ANALYSIS_TYPES,
    .rewrite = try_fuse,
};
