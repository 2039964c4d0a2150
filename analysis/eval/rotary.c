/*
 * rotary.c - the RotaryEmbedding kernel (opset 23), so that --check can
 * run what fuse_rotary_embedding writes.
 *
 * X is [B, H, S, D] (or [B, S, H * D] with num_heads). The first
 * rotary_embedding_dim (default D) elements of each head vector are
 * rotated in pairs: (x[i], x[i + half]) (rotate-half), or (x[2i],
 * x[2i + 1]) with interleaved, by the angle whose cos and sin are
 * cos_cache[p][i] and sin_cache[p][i]: p = position_ids[b][s] with
 * position ids ([max_position, half] caches), or the caches are [B, S,
 * half] without them. The rest of each vector passes through.
 */
#include <string.h>

#include "eval.h"

int eval_rotary_embedding(eval_call *c)
{
	for (int i = 0; i < 3; i++)
		if (!eval_has_input(c, i) || !eval_is_float(c->in[i].elem_type))
			return eval_error(c,
			                  "needs float X, cos and sin caches");
	const eval_tensor *x = &c->in[0], *cs = &c->in[1], *sn = &c->in[2];
	int64_t b, h, s, d;
	bool bsh = x->rank == 3;
	if (x->rank == 4) {
		b = x->dims[0], h = x->dims[1], s = x->dims[2], d = x->dims[3];
	} else if (bsh && eval_attr_int(c, "num_heads", 0) > 0 &&
	           x->dims[2] % eval_attr_int(c, "num_heads", 0) == 0) {
		b = x->dims[0], s = x->dims[1],
		h = eval_attr_int(c, "num_heads", 0);
		d = x->dims[2] / h;
	} else {
		return eval_error(c, "X must be 4-D, or 3-D with num_heads");
	}
	int64_t rotary = eval_attr_int(c, "rotary_embedding_dim", 0);
	rotary = rotary ? rotary : d;
	int64_t half = rotary / 2;
	bool interleaved = eval_attr_int(c, "interleaved", 0) != 0;
	const int64_t *pos = NULL;
	bool with_ids = eval_has_input(c, 3);
	if (rotary % 2 || rotary > d || cs->rank < 2 ||
	    cs->numel != sn->numel || cs->dims[cs->rank - 1] != half)
		return eval_error(c,
		                  "caches and rotary_embedding_dim disagree");
	if (with_ids) {
		const eval_tensor *ids = &c->in[3];
		if (ids->numel != b * s)
			return eval_error(c, "position_ids is not [B, S]");
		pos = eval_int64s(c, ids);
	} else if (cs->numel != b * s * half) {
		return eval_error(c, "caches without position_ids are not "
		                     "[B, S, half]");
	}
	int64_t rows = cs->numel / half;
	void *out = eval_output_like(c, 0, x, x->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	double *v = eval_doubles(c, x);
	const double *cv = eval_doubles(c, cs), *sv = eval_doubles(c, sn);
	for (int64_t bi = 0; bi < b; bi++)
		for (int64_t hi = 0; hi < h; hi++)
			for (int64_t si = 0; si < s; si++) {
				int64_t row =
				    with_ids ? pos[bi * s + si] : bi * s + si;
				if (row < 0 || row >= rows)
					return eval_error(c,
					                  "position %lld is "
					                  "outside the caches",
					                  (long long)row);
				double *e = v + (bsh ? (bi * s + si) * h + hi
				                     : (bi * h + hi) * s + si) *
				                    d;
				for (int64_t i = 0; i < half; i++) {
					double co = cv[row * half + i];
					double si_ = sv[row * half + i];
					int64_t i1 = interleaved ? 2 * i : i;
					int64_t i2 =
					    interleaved ? 2 * i + 1 : i + half;
					double x1 = e[i1], x2 = e[i2];
					e[i1] = x1 * co - x2 * si_;
					e[i2] = x2 * co + x1 * si_;
				}
			}
	eval_store_doubles(out, x->elem_type, v, x->numel);
	return EVAL_OK;
}
