/*
 * movement.c - ops that move elements without computing on them:
 * Identity, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat,
 * Split. (Slice, Expand, Tile and Pad are in region.c.)
 *
 * They work on element bytes, so one kernel serves every element type,
 * strings included (an element is then one ProtobufCBinaryData).
 *
 * Transpose first merges axes that stay adjacent and drops unit axes,
 * so what remains is the real data movement: contiguous rows are copied
 * whole, anything else is copied in cache-sized tiles, and a 768x3072
 * float transpose is one blocked 2-D pass.
 */
#include <string.h>

#include "eval.h"
#include "ops.h"

/* ------------------------------------------------------------ helpers */

static int copy_input(eval_call *c, int rank, const int64_t *dims)
{
	const eval_tensor *t = &c->in[0];
	void *out = eval_output_filled(c, 0, t->elem_type, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	if (t->numel)
		memcpy(out, t->data, (size_t)t->numel * t->elem_size);
	return EVAL_OK;
}

static bool need_input(eval_call *c, int index)
{
	if (eval_has_input(c, index))
		return true;
	eval_error(c, "input %d is absent", index);
	return false;
}

/* -------------------------------------------------- reshaping, no copy */

int eval_identity(eval_call *c)
{
	if (!need_input(c, 0))
		return EVAL_ERROR;
	return copy_input(c, c->in[0].rank, c->in[0].dims);
}

int eval_reshape(eval_call *c)
{
	if (!need_input(c, 0))
		return EVAL_ERROR;
	const eval_tensor *t = &c->in[0];
	const int64_t *shape;
	int64_t n;
	if (op_attribute_input("Reshape", "shape", c->opset) < 0) {
		int k = eval_attr_ints(c, "shape", &shape);
		if (k < 0)
			return eval_error(c, "has no shape attribute");
		n = k;
	} else if (!eval_input_ints(c, 1, &shape, &n)) {
		return EVAL_ERROR;
	}
	if (n > EVAL_MAX_RANK)
		return eval_unsupported(c, "to rank %lld", (long long)n);
	bool allow_zero =
	    c->opset >= op_attribute_added_in("Reshape", "allowzero") &&
	    eval_attr_int(c, "allowzero", 0);
	int64_t dims[EVAL_MAX_RANK], known = 1;
	int infer = -1;
	for (int i = 0; i < n; i++) {
		dims[i] = shape[i];
		if (shape[i] == 0 && !allow_zero) {
			if (i >= t->rank)
				return eval_error(c, "copies missing dim %d",
				                  i);
			dims[i] = t->dims[i];
		} else if (shape[i] == -1) {
			if (infer >= 0)
				return eval_error(c, "has two -1 dims");
			infer = i;
			continue;
		} else if (shape[i] < 0) {
			return eval_error(c, "dim %lld", (long long)shape[i]);
		}
		/* Target sizes are data: an absurd one must be an error, not
		 * an overflow. */
		if (__builtin_mul_overflow(known, dims[i], &known))
			return eval_error(c, "target shape overflows");
	}
	if (infer >= 0) {
		if (known == 0 || t->numel % known)
			return eval_error(c, "cannot infer the -1 dim");
		dims[infer] = t->numel / known;
	} else if (known != t->numel) {
		return eval_error(c, "changes the element count");
	}
	return copy_input(c, (int)n, dims);
}

int eval_flatten(eval_call *c)
{
	if (!need_input(c, 0))
		return EVAL_ERROR;
	const eval_tensor *t = &c->in[0];
	int64_t axis = eval_attr_int(c, "axis", 1);
	if (axis < 0)
		axis += t->rank;
	if (axis < 0 || axis > t->rank)
		return eval_error(c, "axis out of range");
	/* eval_numel saturates: the dims of an empty input can be huge */
	int64_t dims[2] = {eval_numel(t->dims, (int)axis),
	                   eval_numel(t->dims + axis, t->rank - (int)axis)};
	return copy_input(c, 2, dims);
}

/* Axes from the attribute or, from the opset that moved them
 * (op_versions.def), from input 1. */
static bool read_axes(eval_call *c, const int64_t **axes, int64_t *n)
{
	if (op_attribute_input(c->node->op_type, "axes", c->opset) < 0) {
		int k = eval_attr_ints(c, "axes", axes);
		*n = k;
		return true;
	}
	if (!eval_has_input(c, 1)) {
		*n = -1;
		return true;
	}
	return eval_input_ints(c, 1, axes, n);
}

int eval_squeeze(eval_call *c)
{
	if (!need_input(c, 0))
		return EVAL_ERROR;
	const eval_tensor *t = &c->in[0];
	const int64_t *axes;
	int64_t n;
	if (!read_axes(c, &axes, &n))
		return EVAL_ERROR;
	/* An empty axes list reads as "none" or as "all" depending on
	 * whom you ask; leave it to the runtime. */
	if (n == 0)
		return eval_unsupported(c, "with an empty axes list");
	bool drop[EVAL_MAX_RANK] = {false};
	for (int i = 0; i < t->rank; i++)
		drop[i] = n < 0 && t->dims[i] == 1;
	for (int64_t k = 0; k < n; k++) {
		int a;
		if (!eval_axis(c, axes[k], t->rank, &a))
			return EVAL_ERROR;
		if (t->dims[a] != 1)
			return eval_error(c, "squeezes dim %d of size %lld", a,
			                  (long long)t->dims[a]);
		drop[a] = true;
	}
	int64_t dims[EVAL_MAX_RANK];
	int rank = 0;
	for (int i = 0; i < t->rank; i++)
		if (!drop[i])
			dims[rank++] = t->dims[i];
	return copy_input(c, rank, dims);
}

int eval_unsqueeze(eval_call *c)
{
	if (!need_input(c, 0))
		return EVAL_ERROR;
	const eval_tensor *t = &c->in[0];
	const int64_t *axes;
	int64_t n;
	if (!read_axes(c, &axes, &n))
		return EVAL_ERROR;
	if (n < 0)
		return eval_error(c, "has no axes");
	int rank = t->rank + (int)n;
	if (rank > EVAL_MAX_RANK)
		return eval_unsupported(c, "to rank %d", rank);
	bool added[EVAL_MAX_RANK] = {false};
	for (int64_t k = 0; k < n; k++) {
		int a;
		if (!eval_axis(c, axes[k], rank, &a))
			return EVAL_ERROR;
		if (added[a])
			return eval_error(c, "repeats axis %d", a);
		added[a] = true;
	}
	int64_t dims[EVAL_MAX_RANK];
	for (int i = 0, j = 0; i < rank; i++)
		dims[i] = added[i] ? 1 : t->dims[j++];
	return copy_input(c, rank, dims);
}

/* ----------------------------------------------------------- Transpose */

/* One tile of a 2-D transpose: dst[i][j] = src[i * row_stride + j *
 * col_stride] for i in [i0, i1), j in [j0, j1); dst rows are `cols` long. */
typedef struct tile {
	int64_t i0, i1, j0, j1, cols, row_stride, col_stride;
} tile;
#define TRANSPOSE_TILE(T)                                                      \
	static void transpose_tile_##T(void *dst, const void *src,             \
	                               const tile *t)                          \
	{                                                                      \
		T *d = dst;                                                    \
		const T *s = src;                                              \
		int64_t cols = t->cols, rs = t->row_stride,                    \
		        cs = t->col_stride, j0 = t->j0, j1 = t->j1;            \
		for (int64_t i = t->i0; i < t->i1; i++)                        \
			for (int64_t j = j0; j < j1; j++)                      \
				d[i * cols + j] = s[i * rs + j * cs];          \
	}
typedef ProtobufCBinaryData binary;
TRANSPOSE_TILE(uint8_t)
TRANSPOSE_TILE(uint16_t)
TRANSPOSE_TILE(uint32_t)
TRANSPOSE_TILE(uint64_t)
TRANSPOSE_TILE(binary)
#undef TRANSPOSE_TILE

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* Copy a 2-D block transposed in TILE x TILE tiles, so both sides stay in
 * cache, and the tiles in BLOCK x BLOCK blocks, whose pages stay in the
 * TLB while the block's tiles use them: a weight's rows are a page or
 * more apart, so a sweep of tiles across all of its rows would miss the
 * TLB at every tile. */
enum { TILE = 32, BLOCK = 256 };
static void transpose_block(void *dst, const void *src, size_t elem_size,
                            int64_t rows, int64_t cols, int64_t row_stride,
                            int64_t col_stride)
{
	void (*copy_tile)(void *, const void *, const tile *) =
	    elem_size == 1   ? transpose_tile_uint8_t
	    : elem_size == 2 ? transpose_tile_uint16_t
	    : elem_size == 4 ? transpose_tile_uint32_t
	    : elem_size == 8 ? transpose_tile_uint64_t
	                     : transpose_tile_binary;
	tile t = {
	    .cols = cols, .row_stride = row_stride, .col_stride = col_stride};
	for (int64_t b0 = 0; b0 < rows; b0 += BLOCK)
		for (int64_t c0 = 0; c0 < cols; c0 += BLOCK)
			for (t.i0 = b0; t.i0 < min64(b0 + BLOCK, rows);
			     t.i0 += TILE)
				for (t.j0 = c0; t.j0 < min64(c0 + BLOCK, cols);
				     t.j0 += TILE) {
					t.i1 = min64(t.i0 + TILE, rows);
					t.j1 = min64(t.j0 + TILE, cols);
					copy_tile(dst, src, &t);
				}
}

int eval_transpose(eval_call *c)
{
	if (!need_input(c, 0))
		return EVAL_ERROR;
	const eval_tensor *t = &c->in[0];
	int rank = t->rank;
	int64_t perm[EVAL_MAX_RANK];
	const int64_t *attr;
	int k = eval_attr_ints(c, "perm", &attr);
	bool seen[EVAL_MAX_RANK] = {false};
	for (int i = 0; i < rank; i++) {
		perm[i] = k < 0 ? rank - 1 - i : (i < k ? attr[i] : -1);
		if (perm[i] < 0 || perm[i] >= rank || seen[perm[i]] ||
		    (k >= 0 && k != rank))
			return eval_error(c, "has an invalid perm");
		seen[perm[i]] = true;
	}
	int64_t out_dims[EVAL_MAX_RANK], in_strides[EVAL_MAX_RANK];
	eval_strides(t->dims, rank, in_strides);
	for (int i = 0; i < rank; i++)
		out_dims[i] = t->dims[perm[i]];
	char *out = eval_output_filled(c, 0, t->elem_type, rank, out_dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	if (t->numel == 0)
		return EVAL_OK;
	/* Merge output axes that read adjacent input axes, and drop
	 * size-1 axes: what remains is the real data movement. */
	int64_t dims[EVAL_MAX_RANK], strides[EVAL_MAX_RANK];
	int r = 0;
	for (int i = 0; i < rank; i++) {
		int64_t d = out_dims[i], s = in_strides[perm[i]];
		if (d == 1)
			continue;
		if (r > 0 && strides[r - 1] == s * d) {
			dims[r - 1] *= d;
			strides[r - 1] = s;
			continue;
		}
		dims[r] = d;
		strides[r++] = s;
	}
	size_t es = t->elem_size;
	if (r == 0 || strides[r - 1] == 1) {
		/* Rows stay contiguous: copy them whole, walking the outer
		 * axes with an odometer. */
		int64_t row = r ? dims[r - 1] : 1;
		int64_t rows = eval_numel(dims, r ? r - 1 : 0);
		int64_t index[EVAL_MAX_RANK] = {0}, base = 0;
		for (int64_t o = 0; o < rows; o++) {
			memcpy(out + (size_t)(o * row) * es,
			       (const char *)t->data + (size_t)base * es,
			       (size_t)row * es);
			for (int i = r - 2; i >= 0; i--) {
				base += strides[i];
				if (++index[i] < dims[i])
					break;
				base -= strides[i] * dims[i];
				index[i] = 0;
			}
		}
		return EVAL_OK;
	}
	/* Tile the last two merged axes; walk the others. */
	int64_t rows = r >= 2 ? dims[r - 2] : 1;
	int64_t row_stride = r >= 2 ? strides[r - 2] : 0;
	int64_t cols = dims[r - 1], block = rows * cols;
	int outer_rank = r >= 2 ? r - 2 : 0;
	int64_t outer = eval_numel(dims, outer_rank);
	int64_t index[EVAL_MAX_RANK] = {0}, base = 0;
	for (int64_t o = 0; o < outer; o++) {
		transpose_block(out + (size_t)(o * block) * es,
		                (const char *)t->data + (size_t)base * es, es,
		                rows, cols, row_stride, strides[r - 1]);
		for (int i = outer_rank - 1; i >= 0; i--) {
			base += strides[i];
			if (++index[i] < dims[i])
				break;
			base -= strides[i] * dims[i];
			index[i] = 0;
		}
	}
	return EVAL_OK;
}

/* ------------------------------------------------------- Concat, Split */

int eval_concat(eval_call *c)
{
	if (c->n_inputs < 1 || !need_input(c, 0))
		return EVAL_ERROR;
	const eval_tensor *first = &c->in[0];
	if (!eval_has_attr(c, "axis"))
		return eval_unsupported(c, "without an axis");
	int axis;
	if (!eval_axis(c, eval_attr_int(c, "axis", 0), first->rank, &axis))
		return EVAL_ERROR;
	int64_t dims[EVAL_MAX_RANK];
	memcpy(dims, first->dims, sizeof dims);
	dims[axis] = 0;
	for (int k = 0; k < c->n_inputs; k++) {
		const eval_tensor *t = &c->in[k];
		if (!need_input(c, k))
			return EVAL_ERROR;
		if (t->elem_type != first->elem_type || t->rank != first->rank)
			return eval_error(c, "input %d differs in type or rank",
			                  k);
		for (int i = 0; i < t->rank; i++)
			if (i != axis && t->dims[i] != first->dims[i])
				return eval_error(c,
				                  "input %d differs in dim "
				                  "%d",
				                  k, i);
		if (__builtin_add_overflow(dims[axis], t->dims[axis],
		                           &dims[axis]))
			return eval_unsupported(c, "concat dim overflows");
	}
	char *out =
	    eval_output_filled(c, 0, first->elem_type, first->rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	size_t es = first->elem_size;
	int64_t outer = eval_numel(dims, axis);
	int64_t inner = eval_numel(dims + axis + 1, first->rank - axis - 1);
	size_t row = (size_t)(dims[axis] * inner) * es;
	size_t offset = 0;
	for (int k = 0; k < c->n_inputs; k++) {
		const eval_tensor *t = &c->in[k];
		size_t chunk = (size_t)(t->dims[axis] * inner) * es;
		for (int64_t o = 0; o < outer && chunk; o++)
			memcpy(out + (size_t)o * row + offset,
			       (const char *)t->data + (size_t)o * chunk,
			       chunk);
		offset += chunk;
	}
	return EVAL_OK;
}

int eval_split(eval_call *c)
{
	if (!need_input(c, 0))
		return EVAL_ERROR;
	const eval_tensor *t = &c->in[0];
	int axis;
	if (!eval_axis(c, eval_attr_int(c, "axis", 0), t->rank, &axis))
		return EVAL_ERROR;
	int n = c->n_outputs;
	if (n < 1) /* the equal parts divide by n */
		return eval_error(c, "has no outputs");
	int64_t *sizes = eval_alloc(c, sizeof *sizes * (size_t)(n + 1));
	const int64_t *split = NULL;
	int64_t n_split = -1;
	if (op_attribute_input("Split", "split", c->opset) < 0) {
		n_split = eval_attr_ints(c, "split", &split);
	} else if (eval_has_input(c, 1)) {
		if (!eval_input_ints(c, 1, &split, &n_split))
			return EVAL_ERROR;
	}
	int64_t d = t->dims[axis];
	if (n_split >= 0) {
		if (n_split != n)
			return eval_error(c,
			                  "split has %lld entries for %d "
			                  "outputs",
			                  (long long)n_split, n);
		int64_t total = 0;
		for (int i = 0; i < n; i++) {
			if (split[i] < 0)
				return eval_error(c, "negative split");
			/* untrusted split: a sum past d could overflow */
			if (split[i] > d - total)
				return eval_error(c, "split sums past dim %lld",
				                  (long long)d);
			sizes[i] = split[i];
			total += split[i];
		}
		if (total != d)
			return eval_error(c, "split sums to %lld, dim is %lld",
			                  (long long)total, (long long)d);
	} else {
		/* Equal parts; from opset 18 the last may be smaller. */
		/* not (d + n - 1) / n, which may overflow */
		int64_t part = d / n + (d % n != 0);
		if (d % n && c->opset < 18)
			return eval_error(c, "dim %lld does not split in %d",
			                  (long long)d, n);
		if (c->opset >= 18 && eval_has_attr(c, "num_outputs") &&
		    eval_attr_int(c, "num_outputs", n) != n)
			return eval_error(c, "num_outputs differs from the "
			                     "outputs");
		for (int i = 0; i < n; i++) {
			int64_t left = d - part * i;
			sizes[i] = left < 0 ? 0 : (left < part ? left : part);
		}
	}
	size_t es = t->elem_size;
	int64_t outer = eval_numel(t->dims, axis);
	int64_t inner = eval_numel(t->dims + axis + 1, t->rank - axis - 1);
	size_t row = (size_t)(d * inner) * es;
	size_t offset = 0;
	for (int i = 0; i < n; i++) {
		int64_t dims[EVAL_MAX_RANK];
		memcpy(dims, t->dims, sizeof dims);
		dims[axis] = sizes[i];
		size_t chunk = (size_t)(sizes[i] * inner) * es;
		if (eval_wants_output(c, i)) {
			char *out = eval_output_filled(c, i, t->elem_type,
			                               t->rank, dims);
			if (!out)
				return EVAL_UNSUPPORTED;
			for (int64_t o = 0; o < outer && chunk; o++)
				memcpy(out + (size_t)o * chunk,
				       (const char *)t->data + (size_t)o * row +
				           offset,
				       chunk);
		}
		offset += chunk;
	}
	return EVAL_OK;
}
