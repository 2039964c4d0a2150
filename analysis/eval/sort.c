/*
 * sort.c - ops that order elements: TopK and Unique.
 *
 * Both sort positions, not values, with one stable merge sort whose
 * comparator reads the widened data, so ties keep their original order
 * (TopK's "lower index first" and Unique's "first occurrence" rules fall
 * out of stability).
 */
#include <math.h>
#include <string.h>

#include "eval.h"
#include "ops.h"

typedef struct sort_keys {
	eval_kind kind;
	const void *wide; /* doubles, int64s, uint64s or binary strings */
	int64_t stride;   /* element distance between positions */
	int64_t run;      /* elements compared per position (slices) */
	int64_t run_stride;
	bool descending;
} sort_keys;

static int compare_scalar(const sort_keys *k, int64_t x, int64_t y)
{
	switch (k->kind) {
	case EVAL_KIND_FLOAT: {
		double a = ((const double *)k->wide)[x];
		double b = ((const double *)k->wide)[y];
		/* NaN sorts after every number, like numpy. */
		if (isnan(a) || isnan(b))
			return isnan(a) - isnan(b);
		return (a > b) - (a < b);
	}
	case EVAL_KIND_SIGNED: {
		int64_t a = ((const int64_t *)k->wide)[x];
		int64_t b = ((const int64_t *)k->wide)[y];
		return (a > b) - (a < b);
	}
	case EVAL_KIND_STRING: {
		const ProtobufCBinaryData *a =
		    &((const ProtobufCBinaryData *)k->wide)[x];
		const ProtobufCBinaryData *b =
		    &((const ProtobufCBinaryData *)k->wide)[y];
		size_t n = a->len < b->len ? a->len : b->len;
		int r = n ? memcmp(a->data, b->data, n) : 0;
		if (r)
			return r < 0 ? -1 : 1;
		return (a->len > b->len) - (a->len < b->len);
	}
	default: {
		uint64_t a = ((const uint64_t *)k->wide)[x];
		uint64_t b = ((const uint64_t *)k->wide)[y];
		return (a > b) - (a < b);
	}
	}
}

/* Lexicographic comparison of the runs at positions x and y. */
static int compare_positions(const sort_keys *k, int64_t x, int64_t y)
{
	for (int64_t j = 0; j < k->run; j++) {
		int r = compare_scalar(k, x * k->stride + j * k->run_stride,
		                       y * k->stride + j * k->run_stride);
		if (r)
			return k->descending ? -r : r;
	}
	return 0;
}

static void merge_sort(const sort_keys *k, int64_t *items, int64_t *tmp,
                       int64_t n)
{
	if (n < 2)
		return;
	int64_t half = n / 2;
	merge_sort(k, items, tmp, half);
	merge_sort(k, items + half, tmp, n - half);
	int64_t i = 0, j = half, o = 0;
	while (i < half && j < n)
		tmp[o++] = compare_positions(k, items[j], items[i]) < 0
		               ? items[j++]
		               : items[i++];
	while (i < half)
		tmp[o++] = items[i++];
	while (j < n)
		tmp[o++] = items[j++];
	memcpy(items, tmp, sizeof *items * (size_t)n);
}

static const void *sortable(eval_call *c, const eval_tensor *t)
{
	return t->elem_type == IR_STRING ? t->data : eval_widen(c, t);
}

/* ----------------------------------------------------------------- TopK */

int eval_topk(eval_call *c)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *x = &c->in[0];
	eval_kind kind = eval_kind_of(x->elem_type);
	if (kind == EVAL_KIND_NONE || kind == EVAL_KIND_STRING)
		return eval_unsupported(c, "on %s", ir_elem_name(x->elem_type));
	int64_t k;
	if (op_attribute_input("TopK", "k", c->opset) < 0) {
		k = eval_attr_int(c, "k", -1);
	} else {
		const int64_t *kv;
		int64_t n;
		if (!eval_input_ints(c, 1, &kv, &n) || n != 1)
			return eval_error(c, "K must be one integer");
		k = kv[0];
	}
	int axis;
	if (!eval_axis(c, eval_attr_int(c, "axis", -1), x->rank, &axis))
		return EVAL_ERROR;
	int64_t len = x->dims[axis];
	if (k < 0 || k > len)
		return eval_error(c, "K=%lld for an axis of %lld", (long long)k,
		                  (long long)len);
	bool largest = c->opset < 11 || eval_attr_int(c, "largest", 1);
	int64_t dims[EVAL_MAX_RANK];
	memcpy(dims, x->dims, sizeof dims);
	dims[axis] = k;
	char *values = eval_output(c, 0, x->elem_type, x->rank, dims);
	int64_t *indices = eval_output(c, 1, IR_INT64, x->rank, dims);
	if (!values || !indices)
		return EVAL_UNSUPPORTED;
	/* Nothing to sort, and the axis of an empty input may still be
	 * long enough to make the scratch below costly. */
	if (x->numel == 0)
		return EVAL_OK;
	int64_t outer = eval_numel(x->dims, axis);
	int64_t inner = eval_numel(x->dims + axis + 1, x->rank - axis - 1);
	sort_keys keys = {kind, sortable(c, x), 1, 1, 1, largest};
	int64_t *order = eval_alloc(c, sizeof *order * (size_t)(len + 1));
	int64_t *tmp = eval_alloc(c, sizeof *tmp * (size_t)(len + 1));
	size_t es = x->elem_size;
	/* Sorted output is the only order the spec pins down; unsorted
	 * output may come in any order, so sorted serves both. */
	for (int64_t o = 0; o < outer; o++)
		for (int64_t r = 0; r < inner; r++) {
			int64_t base = o * len * inner + r;
			for (int64_t i = 0; i < len; i++)
				order[i] = base + i * inner;
			merge_sort(&keys, order, tmp, len);
			for (int64_t i = 0; i < k; i++) {
				int64_t at = o * k * inner + i * inner + r;
				memcpy(values + (size_t)at * es,
				       (const char *)x->data +
				           (size_t)order[i] * es,
				       es);
				indices[at] = (order[i] - base) / inner;
			}
		}
	return EVAL_OK;
}

/* --------------------------------------------------------------- Unique */

int eval_unique(eval_call *c)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *x = &c->in[0];
	eval_kind kind = eval_kind_of(x->elem_type);
	if (kind == EVAL_KIND_NONE)
		return eval_unsupported(c, "on %s", ir_elem_name(x->elem_type));
	bool flat = !eval_has_attr(c, "axis");
	bool sorted = eval_attr_int(c, "sorted", 1) != 0;
	int axis = 0;
	if (!flat && !eval_axis(c, eval_attr_int(c, "axis", 0), x->rank, &axis))
		return EVAL_ERROR;
	/* A position is one element (flat) or one slice along the axis;
	 * a slice is compared in row-major order of its elements. */
	int64_t len = flat ? x->numel : x->dims[axis];
	int64_t inner =
	    flat ? 1 : eval_numel(x->dims + axis + 1, x->rank - axis - 1);
	int64_t outer = flat ? 1 : eval_numel(x->dims, axis);
	/* The scratch below is five int64 per position, and an empty input
	 * can still have 2^24 positions ([0, 2^24] along axis 1): ask for
	 * the inverse_indices output (one int64 per position) up front, so
	 * that scratch stays a small multiple of the fold size limit. */
	if (!eval_output_size_allowed(c, 2, 8 * (long long)len))
		return EVAL_UNSUPPORTED;
	int64_t *order = eval_alloc(c, sizeof *order * (size_t)(len + 1));
	int64_t *tmp = eval_alloc(c, sizeof *tmp * (size_t)(len + 1));
	int64_t *group = eval_alloc(c, sizeof *group * (size_t)(len + 1));
	for (int64_t i = 0; i < len; i++)
		order[i] = i;
	/* Pack each slice contiguously (its blocks in outer order), so
	 * that position p's elements are p*run .. p*run + run - 1. */
	const void *wide = sortable(c, x);
	int64_t run = outer * inner;
	size_t ws = kind == EVAL_KIND_STRING ? sizeof(ProtobufCBinaryData) : 8;
	char *packed = eval_alloc(c, ws * (size_t)(len * run));
	for (int64_t p = 0; p < len; p++)
		for (int64_t o = 0; o < outer; o++)
			memcpy(packed + (size_t)((p * outer + o) * inner) * ws,
			       (const char *)wide +
			           (size_t)((o * len + p) * inner) * ws,
			       (size_t)inner * ws);
	sort_keys slice_keys = {kind, packed, run, run, 1, false};
	merge_sort(&slice_keys, order, tmp, len);
	/* Groups of equal positions; the first of each is its first
	 * occurrence, thanks to stability. */
	int64_t n_unique = 0;
	int64_t *first = eval_alloc(c, sizeof *first * (size_t)(len + 1));
	int64_t *count = eval_alloc(c, sizeof *count * (size_t)(len + 1));
	for (int64_t i = 0; i < len; i++) {
		if (i == 0 || compare_positions(&slice_keys, order[i - 1],
		                                order[i]) != 0) {
			first[n_unique] = order[i];
			count[n_unique++] = 0;
		}
		group[order[i]] = n_unique - 1;
		count[n_unique - 1]++;
	}
	/* Unsorted: renumber groups by first occurrence. */
	int64_t *rank_of =
	    eval_alloc(c, sizeof *rank_of * (size_t)(n_unique + 1));
	int64_t *by_rank =
	    eval_alloc(c, sizeof *by_rank * (size_t)(n_unique + 1));
	for (int64_t g = 0; g < n_unique; g++)
		rank_of[g] = g;
	if (!sorted) {
		int64_t next = 0;
		bool *seen = eval_alloc(c, (size_t)(n_unique + 1));
		for (int64_t p = 0; p < len; p++)
			if (!seen[group[p]]) {
				seen[group[p]] = true;
				rank_of[group[p]] = next++;
			}
	}
	for (int64_t g = 0; g < n_unique; g++)
		by_rank[rank_of[g]] = g;
	int64_t dims[EVAL_MAX_RANK];
	int rank = flat ? 1 : x->rank;
	if (flat)
		dims[0] = n_unique;
	else {
		memcpy(dims, x->dims, sizeof dims);
		dims[axis] = n_unique;
	}
	char *y = eval_output(c, 0, x->elem_type, rank, dims);
	if (!y)
		return EVAL_UNSUPPORTED;
	size_t es = x->elem_size;
	for (int64_t u = 0; u < n_unique; u++) {
		int64_t p = first[by_rank[u]];
		for (int64_t o = 0; o < outer; o++)
			memcpy(y + (size_t)((o * n_unique + u) * inner) * es,
			       (const char *)x->data +
			           (size_t)((o * len + p) * inner) * es,
			       (size_t)inner * es);
	}
	int64_t n_u = n_unique;
	if (eval_wants_output(c, 1)) {
		int64_t *out = eval_output(c, 1, IR_INT64, 1, &n_u);
		if (!out)
			return EVAL_UNSUPPORTED;
		for (int64_t u = 0; u < n_unique; u++)
			out[u] = first[by_rank[u]];
	}
	if (eval_wants_output(c, 2)) {
		int64_t *out = eval_output(c, 2, IR_INT64, 1, &len);
		if (!out)
			return EVAL_UNSUPPORTED;
		for (int64_t p = 0; p < len; p++)
			out[p] = rank_of[group[p]];
	}
	if (eval_wants_output(c, 3)) {
		int64_t *out = eval_output(c, 3, IR_INT64, 1, &n_u);
		if (!out)
			return EVAL_UNSUPPORTED;
		for (int64_t u = 0; u < n_unique; u++)
			out[u] = count[by_rank[u]];
	}
	return EVAL_OK;
}
