/*
 * matmul.c - products: MatMul, Gemm, MatMulInteger, QLinearMatMul, Einsum
 * and Det.
 *
 * One inner product kernel serves MatMul, Gemm and the integer forms: it
 * multiplies row-major blocks in i-k-j order, so the innermost loop runs
 * over contiguous rows of B and of the result, with no calls in it.
 * Floats accumulate in double (more exact than the float32 reference);
 * integers accumulate exactly in 64 bits and wrap when narrowed.
 */
#include <math.h>
#include <string.h>

#ifdef ONNXOPT_HAVE_CBLAS
#include <cblas.h>
#endif

#include "eval.h"

/* c[m x n] += a[m x k] * b[k x n], all row-major, in wide type T. The
 * loops run in tiles of B (KC rows by NC columns) so that a tile stays
 * in cache while every row of A passes over it. */
enum { TILE_K = 64, TILE_N = 512 };
#define DEFINE_PRODUCT(NAME, T)                                                \
	static void NAME(T *restrict c, const T *restrict a,                   \
	                 const T *restrict b, int64_t m, int64_t k, int64_t n) \
	{                                                                      \
		for (int64_t j0 = 0; j0 < n; j0 += TILE_N) {                   \
			int64_t j1 = j0 + TILE_N < n ? j0 + TILE_N : n;        \
			for (int64_t p0 = 0; p0 < k; p0 += TILE_K) {           \
				int64_t p1 =                                   \
				    p0 + TILE_K < k ? p0 + TILE_K : k;         \
				for (int64_t i = 0; i < m; i++) {              \
					T *row = c + i * n;                    \
					for (int64_t p = p0; p < p1; p++) {    \
						T x = a[i * k + p];            \
						const T *brow = b + p * n;     \
						if (x == 0)                    \
							continue;              \
						for (int64_t j = j0; j < j1;   \
						     j++)                      \
							row[j] += x * brow[j]; \
					}                                      \
				}                                              \
			}                                                      \
		}                                                              \
	}
DEFINE_PRODUCT(product_double, double)
DEFINE_PRODUCT(product_uint64, uint64_t) /* signed wraps identically */
#undef DEFINE_PRODUCT

/* NaN * 0 must still give NaN: the zero skip above is only sound when b
 * holds no NaN or infinity. */
static bool all_finite(const double *v, int64_t n)
{
#ifdef ONNXOPT_HAVE_CBLAS
	/* BLAS has no zero skip: nothing to decide, no pass over b. */
	(void)v;
	(void)n;
	return true;
#endif
	for (int64_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

static void product(bool is_float, void *c, const void *a, const void *b,
                    int64_t m, int64_t k, int64_t n, bool b_finite)
{
	if (!is_float) {
		product_uint64(c, a, b, m, k, n);
		return;
	}
#ifdef ONNXOPT_HAVE_CBLAS
	/* The same sums in the same double precision, in an optimized
	 * order; BLAS propagates NaN and infinity by itself. */
	if (m > 0 && n > 0 && k > 0 && m < INT32_MAX && n < INT32_MAX &&
	    k < INT32_MAX) {
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m,
		            (int)n, (int)k, 1.0, a, (int)k, b, (int)n, 1.0, c,
		            (int)n);
		return;
	}
#endif
	if (b_finite) {
		product_double(c, a, b, m, k, n);
		return;
	}
	double *cd = c;
	const double *ad = a, *bd = b;
	for (int64_t i = 0; i < m; i++)
		for (int64_t p = 0; p < k; p++)
			for (int64_t j = 0; j < n; j++)
				cd[i * n + j] += ad[i * k + p] * bd[p * n + j];
}

void eval_matrix_product(double *c, const double *a, const double *b, int64_t m,
                         int64_t k, int64_t n)
{
	product(true, c, a, b, m, k, n, all_finite(b, k * n));
}

/* ------------------------------------------------------------- MatMul */

/* numpy matmul: batch dims broadcast, 1-D operands gain and lose a dim.
 * a and b are wide arrays (double or 64-bit integers). */
static int batched_product(eval_call *c, const eval_tensor *ta,
                           const eval_tensor *tb, const void *a, const void *b,
                           bool is_float, int out_type)
{
	if (ta->rank == 0 || tb->rank == 0)
		return eval_error(c, "on a scalar");
	eval_tensor ea = *ta, eb = *tb;
	if (ea.rank == 1) {
		ea.dims[1] = ea.dims[0];
		ea.dims[0] = 1;
		ea.rank = 2;
	}
	if (eb.rank == 1) {
		eb.dims[1] = 1;
		eb.rank = 2;
	}
	int64_t m = ea.dims[ea.rank - 2], k = ea.dims[ea.rank - 1];
	int64_t n = eb.dims[eb.rank - 1];
	if (eb.dims[eb.rank - 2] != k)
		return eval_error(c, "inner dims %lld and %lld differ",
		                  (long long)k,
		                  (long long)eb.dims[eb.rank - 2]);
	/* Broadcast the batch dims as if they were whole tensors. */
	eval_tensor ba = {.present = true, .rank = ea.rank - 2};
	eval_tensor bb = {.present = true, .rank = eb.rank - 2};
	memcpy(ba.dims, ea.dims, sizeof(int64_t) * (size_t)ba.rank);
	memcpy(bb.dims, eb.dims, sizeof(int64_t) * (size_t)bb.rank);
	ba.numel = eval_numel(ba.dims, ba.rank);
	bb.numel = eval_numel(bb.dims, bb.rank);
	const eval_tensor *both[2] = {&ba, &bb};
	int brank;
	int64_t bdims[EVAL_MAX_RANK];
	if (!eval_broadcast_shape(c, both, 2, &brank, bdims))
		return EVAL_ERROR;
	int64_t batches = eval_numel(bdims, brank);
	int64_t dims[EVAL_MAX_RANK];
	int rank = 0;
	for (int i = 0; i < brank; i++)
		dims[rank++] = bdims[i];
	if (ta->rank > 1)
		dims[rank++] = m;
	if (tb->rank > 1)
		dims[rank++] = n;
	void *out = eval_output_filled(c, 0, out_type, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	if (eval_numel(dims, rank) == 0)
		return EVAL_OK; /* empty: no offsets for maybe huge batches */
	const int64_t *oa = eval_broadcast_offsets(c, &ba, brank, bdims);
	const int64_t *ob = eval_broadcast_offsets(c, &bb, brank, bdims);
	void *acc = eval_alloc(c, 8 * (size_t)(batches * m * n));
	bool b_finite = !is_float || all_finite(b, tb->numel);
	for (int64_t i = 0; i < batches; i++)
		product(is_float, (char *)acc + (size_t)(i * m * n) * 8,
		        (const char *)a + (size_t)(oa[i] * m * k) * 8,
		        (const char *)b + (size_t)(ob[i] * k * n) * 8, m, k, n,
		        b_finite);
	eval_narrow(out, out_type, acc, batches * m * n);
	return EVAL_OK;
}

/* EVAL_OK when input k is a present numeric (non-bool) tensor. */
static int check_numeric(eval_call *c, int k)
{
	if (!eval_has_input(c, k))
		return eval_error(c, "input %d is absent", k);
	eval_kind kind = eval_kind_of(c->in[k].elem_type);
	if (kind == EVAL_KIND_NONE || kind == EVAL_KIND_STRING ||
	    c->in[k].elem_type == IR_BOOL)
		return eval_unsupported(c, "on %s",
		                        ir_elem_name(c->in[k].elem_type));
	return EVAL_OK;
}

int eval_matmul(eval_call *c)
{
	int code;
	if ((code = check_numeric(c, 0)) || (code = check_numeric(c, 1)))
		return code;
	const eval_tensor *a = &c->in[0], *b = &c->in[1];
	if (a->elem_type != b->elem_type)
		return eval_error(c, "multiplies %s by %s",
		                  ir_elem_name(a->elem_type),
		                  ir_elem_name(b->elem_type));
	bool is_float = eval_is_float(a->elem_type);
	return batched_product(c, a, b, eval_widen(c, a), eval_widen(c, b),
	                       is_float, a->elem_type);
}

/* Integers of at most 32 bits: their differences fit int64. The ops
 * allow only 8-bit ones (float8 in QLinearMatMul-21 is not integer). */
static bool narrow_int(int elem_type)
{
	return elem_type == IR_INT8 || elem_type == IR_UINT8 ||
	       elem_type == IR_INT16 || elem_type == IR_UINT16 ||
	       elem_type == IR_INT32 || elem_type == IR_UINT32;
}

/* x - zero point, per tensor or per row/column, as int64. */
static int64_t *minus_zero_point(eval_call *c, const eval_tensor *x,
                                 int zp_index, bool per_row)
{
	const eval_tensor *zp =
	    eval_has_input(c, zp_index) ? &c->in[zp_index] : NULL;
	/* untrusted types: 64-bit or float values could overflow x - zp */
	int bad = !narrow_int(x->elem_type)          ? x->elem_type
	          : zp && !narrow_int(zp->elem_type) ? zp->elem_type
	                                             : -1;
	if (bad >= 0) {
		eval_unsupported(c, "on %s", ir_elem_name(bad));
		return NULL;
	}
	int64_t *v = eval_int64s(c, x);
	if (!zp)
		return v;
	const int64_t *z = eval_int64s(c, zp);
	if (zp->numel == 1) {
		for (int64_t i = 0; i < x->numel; i++)
			v[i] -= z[0];
		return v;
	}
	/* Per row of A (dim -2) or per column of B (dim -1). */
	int64_t rows = x->rank >= 2 ? x->dims[x->rank - 2] : 1;
	int64_t cols = x->rank ? x->dims[x->rank - 1] : 1; /* scalar x */
	if (zp->numel != (per_row ? rows : cols)) {
		eval_unsupported(c, "zero point of %lld entries",
		                 (long long)zp->numel);
		return NULL;
	}
	for (int64_t i = 0; i < x->numel; i++)
		v[i] -= z[per_row ? (i / cols) % rows : i % cols];
	return v;
}

int eval_matmul_integer(eval_call *c)
{
	int code;
	if ((code = check_numeric(c, 0)) || (code = check_numeric(c, 1)))
		return code;
	const eval_tensor *a = &c->in[0], *b = &c->in[1];
	const int64_t *av = minus_zero_point(c, a, 2, true);
	const int64_t *bv = minus_zero_point(c, b, 3, false);
	if (!av || !bv)
		return EVAL_UNSUPPORTED;
	return batched_product(c, a, b, av, bv, false, IR_INT32);
}

/* y = saturate(round(sum (a - za)(b - zb) * sa * sb / sy) + zy). */
int eval_qlinear_matmul(eval_call *c)
{
	for (int k = 0; k < 8; k++)
		if (!eval_has_input(c, k))
			return eval_error(c, "input %d is absent", k);
	const eval_tensor *a = &c->in[0], *b = &c->in[3];
	if (c->in[1].numel != 1 || c->in[4].numel != 1 || c->in[6].numel != 1 ||
	    c->in[7].numel != 1)
		return eval_unsupported(c, "with per-axis scales");
	const int64_t *av = minus_zero_point(c, a, 2, true);
	const int64_t *bv = minus_zero_point(c, b, 5, false);
	if (!av || !bv)
		return EVAL_UNSUPPORTED;
	int out_type = c->in[7].elem_type;
	if (out_type != IR_UINT8 && out_type != IR_INT8)
		return eval_unsupported(c, "to %s", ir_elem_name(out_type));
	/* Compute the int64 product into a scratch output, then requantize
	 * it into the real one. */
	eval_call inner = *c;
	inner.outputs = eval_alloc(c, sizeof(ir_tensor *) * 2);
	int code = batched_product(&inner, a, b, av, bv, false, IR_INT64);
	if (code != EVAL_OK) {
		memcpy(c->reason, inner.reason, sizeof c->reason);
		return code;
	}
	const ir_tensor *p = inner.outputs[0];
	const int64_t *sum = p->raw;
	int64_t n = p->raw_size / 8;
	double scale = eval_doubles(c, &c->in[1])[0] *
	               eval_doubles(c, &c->in[4])[0] /
	               eval_doubles(c, &c->in[6])[0];
	double zy = eval_doubles(c, &c->in[7])[0];
	double lo = out_type == IR_UINT8 ? 0 : -128;
	double hi = out_type == IR_UINT8 ? 255 : 127;
	void *out = eval_output(c, 0, out_type, p->rank, p->dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	double *y = eval_alloc(c, 8 * (size_t)n);
	for (int64_t i = 0; i < n; i++) {
		double r = nearbyint((double)sum[i] * scale) + zy;
		y[i] = r < lo ? lo : (r > hi ? hi : r);
	}
	eval_store_doubles(out, out_type, y, n);
	return EVAL_OK;
}

/* ---------------------------------------------------------------- Gemm */

int eval_gemm(eval_call *c)
{
	int code;
	if ((code = check_numeric(c, 0)) || (code = check_numeric(c, 1)))
		return code;
	/* Gemm before opset 7 broadcast C only with broadcast=1; numpy
	 * broadcasting of C to [M, N] below covers both forms. */
	const eval_tensor *a = &c->in[0], *b = &c->in[1];
	if (a->rank != 2 || b->rank != 2 || a->elem_type != b->elem_type)
		return eval_error(c, "needs two 2-D inputs of one type");
	bool ta = eval_attr_int(c, "transA", 0),
	     tb = eval_attr_int(c, "transB", 0);
	double alpha = eval_attr_float(c, "alpha", 1.0f);
	double beta = eval_attr_float(c, "beta", 1.0f);
	int64_t m = ta ? a->dims[1] : a->dims[0],
	        k = ta ? a->dims[0] : a->dims[1];
	int64_t kb = tb ? b->dims[1] : b->dims[0],
	        n = tb ? b->dims[0] : b->dims[1];
	if (k != kb)
		return eval_error(c, "inner dims differ");
	int type = a->elem_type;
	bool is_float = eval_is_float(type);
	if (!is_float && (alpha != 1 || beta != 1))
		return eval_unsupported(c, "integer Gemm with alpha/beta");
	int64_t dims[2] = {m, n};
	void *out = eval_output(c, 0, type, 2, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	/* Transpose into row-major A[m x k] and B[k x n] first. */
	uint64_t *av = eval_widen(c, a), *bv = eval_widen(c, b);
	if (ta) {
		uint64_t *t = eval_alloc(c, 8 * (size_t)(m * k));
		for (int64_t i = 0; i < m; i++)
			for (int64_t p = 0; p < k; p++)
				t[i * k + p] = av[p * m + i];
		av = t;
	}
	if (tb) {
		uint64_t *t = eval_alloc(c, 8 * (size_t)(k * n));
		for (int64_t p = 0; p < k; p++)
			for (int64_t j = 0; j < n; j++)
				t[p * n + j] = bv[j * k + p];
		bv = t;
	}
	uint64_t *acc = eval_alloc(c, 8 * (size_t)(m * n));
	product(is_float, acc, av, bv, m, k, n,
	        !is_float || all_finite((double *)bv, k * n));
	if (eval_has_input(c, 2)) {
		const eval_tensor *ct = &c->in[2];
		if (ct->elem_type != type || ct->rank > 2)
			return eval_error(c, "C must be of rank <= 2 and the "
			                     "same type");
		int64_t out_dims[2] = {m, n};
		eval_tensor full = {.present = true, .rank = 2};
		full.dims[0] = m;
		full.dims[1] = n;
		const eval_tensor *both[2] = {&full, ct};
		int rank;
		int64_t bdims[EVAL_MAX_RANK];
		if (!eval_broadcast_shape(c, both, 2, &rank, bdims) ||
		    bdims[0] != m || bdims[1] != n)
			return eval_error(c, "C does not broadcast to [M, N]");
		const int64_t *off = eval_broadcast_offsets(c, ct, 2, out_dims);
		const void *cv = eval_widen(c, ct);
		for (int64_t i = 0; i < m * n; i++) {
			if (is_float) {
				double *d = (double *)acc;
				d[i] = alpha * d[i] +
				       beta * ((const double *)cv)[off[i]];
			} else {
				acc[i] += ((const uint64_t *)cv)[off[i]];
			}
		}
	} else if (is_float && alpha != 1) {
		double *d = (double *)acc;
		for (int64_t i = 0; i < m * n; i++)
			d[i] *= alpha;
	}
	eval_narrow(out, type, acc, m * n);
	return EVAL_OK;
}

/* ----------------------------------------------------------------- Det */

int eval_det(eval_call *c)
{
	if (!eval_has_input(c, 0) || !eval_is_float(c->in[0].elem_type) ||
	    c->in[0].rank < 2)
		return eval_error(c, "needs float matrices");
	const eval_tensor *x = &c->in[0];
	int64_t n = x->dims[x->rank - 1];
	if (x->dims[x->rank - 2] != n)
		return eval_error(c, "needs square matrices");
	int64_t count = eval_numel(x->dims, x->rank - 2);
	void *out = eval_output(c, 0, x->elem_type, x->rank - 2, x->dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	double *v = eval_doubles(c, x);
	double *det = eval_alloc(c, 8 * (size_t)count);
	/* Gaussian elimination with partial pivoting, in place. */
	for (int64_t m = 0; m < count; m++) {
		double *a = v + m * n * n, d = 1;
		for (int64_t col = 0; col < n && d != 0; col++) {
			int64_t pivot = col;
			for (int64_t r = col + 1; r < n; r++)
				if (fabs(a[r * n + col]) >
				    fabs(a[pivot * n + col]))
					pivot = r;
			if (a[pivot * n + col] == 0) {
				d = 0;
				break;
			}
			if (pivot != col) {
				for (int64_t j = 0; j < n; j++) {
					double t = a[col * n + j];
					a[col * n + j] = a[pivot * n + j];
					a[pivot * n + j] = t;
				}
				d = -d;
			}
			d *= a[col * n + col];
			for (int64_t r = col + 1; r < n; r++) {
				double f = a[r * n + col] / a[col * n + col];
				for (int64_t j = col; j < n; j++)
					a[r * n + j] -= f * a[col * n + j];
			}
		}
		det[m] = d;
	}
	eval_store_doubles(out, x->elem_type, det, count);
	return EVAL_OK;
}
