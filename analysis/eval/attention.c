/*
 * attention.c - the Attention kernel (opset 23), so that --check can run
 * what fuse_attention writes.
 *
 * Y = softmax(Q K^T * scale + bias) V per batch and query head, with Q
 * [B, Hq, Sq, D], K [B, Hkv, Skv, D], V [B, Hkv, Skv, Dv] (4-D only; the
 * 3-D form is reported unsupported). Query head h reads key/value head
 * h / (Hq / Hkv). past_key/past_value are concatenated before K and V on
 * the sequence axis, and the concatenations are present_key/value. bias
 * is the float mask, or 0 / -inf for a boolean mask (True attends), plus
 * -inf above the diagonal with is_causal (aligned top-left, as the spec
 * says). The scores are rounded to the element type after the scale and
 * after the bias, as the decomposed MatMul, Mul and Add compute them, so
 * that a mask of the float lowest gives the same rows. softcap and the
 * qk_matmul_output are reported unsupported.
 */
#include <math.h>
#include <string.h>

#include "eval.h"

/* x, or past then x on axis 2, as doubles; dims in *out_dims. */
static double *with_past(eval_call *c, int x_index, int past_index,
                         int64_t *dims)
{
	const eval_tensor *x = &c->in[x_index];
	memcpy(dims, x->dims, 4 * sizeof *dims);
	double *xv = eval_doubles(c, x);
	if (!eval_has_input(c, past_index))
		return xv;
	const eval_tensor *p = &c->in[past_index];
	if (p->rank != 4 || p->dims[0] != x->dims[0] ||
	    p->dims[1] != x->dims[1] || p->dims[3] != x->dims[3])
		return NULL;
	double *pv = eval_doubles(c, p);
	dims[2] = p->dims[2] + x->dims[2];
	double *out = eval_alloc(c, 8 * (size_t)eval_numel(dims, 4));
	int64_t row = dims[3], outer = dims[0] * dims[1];
	for (int64_t o = 0; o < outer; o++) {
		memcpy(out + o * dims[2] * row, pv + o * p->dims[2] * row,
		       8 * (size_t)(p->dims[2] * row));
		memcpy(out + (o * dims[2] + p->dims[2]) * row,
		       xv + o * x->dims[2] * row,
		       8 * (size_t)(x->dims[2] * row));
	}
	return out;
}

static double round_to(int elem_type, double v)
{
	return elem_type == IR_DOUBLE ? v : (double)(float)v;
}

static int store_present(eval_call *c, int slot, int elem_type,
                         const int64_t *dims, const double *v)
{
	if (!eval_wants_output(c, slot))
		return EVAL_OK;
	void *out = eval_output_filled(c, slot, elem_type, 4, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	eval_store_doubles(out, elem_type, v, eval_numel(dims, 4));
	return EVAL_OK;
}

int eval_attention(eval_call *c)
{
	for (int i = 0; i < 3; i++)
		if (!eval_has_input(c, i) || !eval_is_float(c->in[i].elem_type))
			return eval_error(c, "needs float Q, K and V");
	const eval_tensor *q = &c->in[0];
	int type = q->elem_type;
	if (q->rank != 4 || c->in[1].rank != 4 || c->in[2].rank != 4)
		return eval_unsupported(c, "only 4-D Q, K and V");
	if (eval_attr_float(c, "softcap", 0) != 0 || eval_wants_output(c, 3))
		return eval_unsupported(c, "softcap and qk_matmul_output");
	int64_t kd[4], vd[4];
	double *k = with_past(c, 1, 4, kd), *v = with_past(c, 2, 5, vd);
	int64_t b = q->dims[0], hq = q->dims[1], sq = q->dims[2];
	int64_t d = q->dims[3], hkv = kd[1], t = kd[2], dv = vd[3];
	if (!k || !v || kd[0] != b || vd[0] != b || vd[1] != hkv ||
	    vd[2] != t || kd[3] != d || hkv <= 0 || hq % hkv)
		return eval_error(c, "Q, K, V and the past disagree in shape");
	int64_t scores_dims[4] = {b, hq, sq, t};
	const int64_t *mask_at = NULL;
	double *mask = NULL;
	const eval_tensor *m = eval_has_input(c, 3) ? &c->in[3] : NULL;
	if (m) {
		int rank;
		int64_t dims[EVAL_MAX_RANK];
		const eval_tensor *both[2] = {m, NULL};
		eval_tensor scores = {.present = true, .rank = 4};
		memcpy(scores.dims, scores_dims, sizeof scores_dims);
		both[1] = &scores;
		if (m->rank > 4 ||
		    !eval_broadcast_shape(c, both, 2, &rank, dims) ||
		    memcmp(dims, scores_dims, sizeof scores_dims))
			return eval_error(c, "the mask does not broadcast to "
			                     "[B, Hq, Sq, T]");
		mask_at = eval_broadcast_offsets(c, m, 4, scores_dims);
		mask = eval_doubles(c, m);
	}
	bool causal = eval_attr_int(c, "is_causal", 0) != 0;
	double scale = eval_has_attr(c, "scale")
	                   ? eval_attr_float(c, "scale", 1)
	                   : 1 / sqrt((double)d);
	int64_t yd[4] = {b, hq, sq, dv};
	void *out = eval_output_filled(c, 0, type, 4, yd);
	if (!out)
		return EVAL_UNSUPPORTED;
	double *qv = eval_doubles(c, q);
	double *y = eval_alloc(c, 8 * (size_t)eval_numel(yd, 4));
	double *row = eval_alloc(c, 8 * (size_t)(t ? t : 1));
	for (int64_t bi = 0; bi < b; bi++)
		for (int64_t h = 0; h < hq; h++) {
			int64_t kvh = h / (hq / hkv);
			const double *kh = k + (bi * hkv + kvh) * t * d;
			const double *vh = v + (bi * hkv + kvh) * t * dv;
			for (int64_t i = 0; i < sq; i++) {
				const double *qi =
				    qv + ((bi * hq + h) * sq + i) * d;
				int64_t at = ((bi * hq + h) * sq + i) * t;
				double peak = -INFINITY, sum = 0;
				for (int64_t j = 0; j < t; j++) {
					double s = 0;
					for (int64_t e = 0; e < d; e++)
						s += qi[e] * kh[j * d + e];
					s = round_to(type,
					             round_to(type, s) * scale);
					if (m && m->elem_type == IR_BOOL)
						s = mask[mask_at[at + j]]
						        ? s
						        : -INFINITY;
					else if (m)
						s = round_to(
						    type,
						    s + mask[mask_at[at + j]]);
					if (causal && j > i)
						s = -INFINITY;
					row[j] = s;
					peak = s > peak ? s : peak;
				}
				for (int64_t j = 0; j < t; j++)
					sum += (row[j] = exp(row[j] - peak));
				double *yi = y + ((bi * hq + h) * sq + i) * dv;
				for (int64_t j = 0; j < t; j++)
					for (int64_t e = 0; e < dv; e++)
						yi[e] += row[j] / sum *
						         vh[j * dv + e];
			}
		}
	eval_store_doubles(out, type, y, eval_numel(yd, 4));
	int code = store_present(c, 1, c->in[1].elem_type, kd, k);
	return code != EVAL_OK ? code
	                       : store_present(c, 2, c->in[2].elem_type, vd, v);
}
