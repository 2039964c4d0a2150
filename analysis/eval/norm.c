/*
 * norm.c - normalizations and inference-time no-ops: BatchNormalization,
 * InstanceNormalization, LayerNormalization, RMSNormalization,
 * MeanVarianceNormalization, LRN, Dropout.
 *
 * All compute in double and round once into the input's float type.
 * Statistics are population statistics (divide by the count), as the
 * specs define them.
 */
#include <math.h>
#include <string.h>

#include "eval.h"
#include "ops.h"

static bool float_input(eval_call *c, int k)
{
	if (!eval_has_input(c, k) || !eval_is_float(c->in[k].elem_type)) {
		eval_error(c, "input %d must be a float tensor", k);
		return false;
	}
	return true;
}

/* One value per channel (dim 1 of x), widened. */
static const double *per_channel(eval_call *c, int k, int64_t channels)
{
	if (!float_input(c, k))
		return NULL;
	if (c->in[k].numel != channels) {
		eval_error(c, "input %d has %lld entries for %lld channels", k,
		           (long long)c->in[k].numel, (long long)channels);
		return NULL;
	}
	return eval_doubles(c, &c->in[k]);
}

/* --------------------------------------------------- BatchNormalization */

int eval_batch_norm(eval_call *c)
{
	if (!float_input(c, 0) || c->in[0].rank < 2)
		return eval_error(c, "needs a float input of rank >= 2");
	const eval_tensor *x = &c->in[0];
	/* Before opset 7, is_test=0 meant training statistics. */
	if (c->opset < 7 && !eval_attr_int(c, "is_test", 0))
		return eval_unsupported(c, "in training mode (is_test=0)");
	if (c->opset < 9 && eval_attr_int(c, "spatial", 1) != 1)
		return eval_unsupported(c, "with spatial=0");
	bool training = c->opset >= 14 && eval_attr_int(c, "training_mode", 0);
	int64_t channels = x->dims[1];
	const double *scale = per_channel(c, 1, channels);
	const double *bias = scale ? per_channel(c, 2, channels) : NULL;
	const double *mean = bias ? per_channel(c, 3, channels) : NULL;
	const double *var = mean ? per_channel(c, 4, channels) : NULL;
	if (!var)
		return EVAL_ERROR;
	double epsilon = eval_attr_float(c, "epsilon", 1e-5f);
	double momentum = eval_attr_float(c, "momentum", 0.9f);
	int64_t batch = x->dims[0];
	int64_t spatial = eval_numel(x->dims + 2, x->rank - 2);
	double *v = eval_doubles(c, x);
	double *use_mean = (double *)mean, *use_var = (double *)var;
	if (training) {
		/* Batch statistics over every axis but the channel. */
		use_mean = eval_alloc(c, 8 * (size_t)channels);
		use_var = eval_alloc(c, 8 * (size_t)channels);
		double count = (double)(batch * spatial);
		for (int64_t ch = 0; ch < channels; ch++) {
			double sum = 0, sq = 0;
			for (int64_t n = 0; n < batch; n++)
				for (int64_t s = 0; s < spatial; s++)
					sum += v[(n * channels + ch) * spatial +
					         s];
			double m = count ? sum / count : 0;
			for (int64_t n = 0; n < batch; n++)
				for (int64_t s = 0; s < spatial; s++) {
					double d =
					    v[(n * channels + ch) * spatial +
					      s] -
					    m;
					sq += d * d;
				}
			use_mean[ch] = m;
			use_var[ch] = count ? sq / count : 0;
		}
	} else {
		for (int k = 1; k < c->n_outputs; k++)
			if (eval_wants_output(c, k))
				return eval_unsupported(c, "with statistics "
				                           "outputs outside "
				                           "training");
	}
	void *out = eval_output_like(c, 0, x, x->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	for (int64_t n = 0; n < batch; n++)
		for (int64_t ch = 0; ch < channels; ch++) {
			double k = scale[ch] / sqrt(use_var[ch] + epsilon);
			double *row = v + (n * channels + ch) * spatial;
			for (int64_t s = 0; s < spatial; s++)
				row[s] = (row[s] - use_mean[ch]) * k + bias[ch];
		}
	eval_store_doubles(out, x->elem_type, v, x->numel);
	if (!training)
		return EVAL_OK;
	for (int k = 1; k <= 2; k++) {
		if (!eval_wants_output(c, k))
			continue;
		const eval_tensor *stat = &c->in[k + 2];
		void *o = eval_output_like(c, k, stat, stat->elem_type);
		if (!o)
			return EVAL_UNSUPPORTED;
		double *r = eval_alloc(c, 8 * (size_t)channels);
		const double *running = k == 1 ? mean : var;
		const double *batch_stat = k == 1 ? use_mean : use_var;
		for (int64_t ch = 0; ch < channels; ch++)
			r[ch] = running[ch] * momentum +
			        batch_stat[ch] * (1 - momentum);
		eval_store_doubles(o, stat->elem_type, r, channels);
	}
	return EVAL_OK;
}

int eval_instance_norm(eval_call *c)
{
	if (!float_input(c, 0) || c->in[0].rank < 2)
		return eval_error(c, "needs a float input of rank >= 2");
	const eval_tensor *x = &c->in[0];
	int64_t channels = x->dims[1];
	const double *scale = per_channel(c, 1, channels);
	const double *bias = scale ? per_channel(c, 2, channels) : NULL;
	if (!bias)
		return EVAL_ERROR;
	double epsilon = eval_attr_float(c, "epsilon", 1e-5f);
	void *out = eval_output_like(c, 0, x, x->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t spatial = eval_numel(x->dims + 2, x->rank - 2);
	double *v = eval_doubles(c, x);
	for (int64_t n = 0; n < x->dims[0]; n++)
		for (int64_t ch = 0; ch < channels; ch++) {
			double *row = v + (n * channels + ch) * spatial;
			double sum = 0, sq = 0;
			for (int64_t s = 0; s < spatial; s++)
				sum += row[s];
			double m = spatial ? sum / (double)spatial : 0;
			for (int64_t s = 0; s < spatial; s++)
				sq += (row[s] - m) * (row[s] - m);
			double var = spatial ? sq / (double)spatial : 0;
			double k = scale[ch] / sqrt(var + epsilon);
			for (int64_t s = 0; s < spatial; s++)
				row[s] = (row[s] - m) * k + bias[ch];
		}
	eval_store_doubles(out, x->elem_type, v, x->numel);
	return EVAL_OK;
}

/* ------------------------------------------ LayerNormalization, RMSNorm */

/* Normalize over the trailing dims from `axis`: LayerNormalization
 * centres and scales; RMSNormalization only scales by the root mean
 * square. Scale and bias broadcast over the normalized dims. */
static int normalize_trailing(eval_call *c, bool centre)
{
	if (!float_input(c, 0) || !float_input(c, 1))
		return EVAL_ERROR;
	const eval_tensor *x = &c->in[0];
	int axis;
	if (!eval_axis(c, eval_attr_int(c, "axis", -1), x->rank, &axis))
		return EVAL_ERROR;
	double epsilon = eval_attr_float(c, "epsilon", 1e-5f);
	int64_t outer = eval_numel(x->dims, axis);
	int64_t inner = eval_numel(x->dims + axis, x->rank - axis);
	eval_tensor normalized = {.present = true, .rank = x->rank - axis};
	memcpy(normalized.dims, x->dims + axis,
	       sizeof(int64_t) * (size_t)normalized.rank);
	const int64_t *scale_at[2] = {NULL, NULL};
	const double *param[2] = {NULL, NULL};
	for (int k = 1; k <= 2; k++) {
		if (!eval_has_input(c, k) || (k == 2 && !centre))
			continue;
		const eval_tensor *p = &c->in[k];
		const eval_tensor *both[2] = {&normalized, p};
		int rank;
		int64_t dims[EVAL_MAX_RANK];
		if (p->rank > normalized.rank ||
		    !eval_broadcast_shape(c, both, 2, &rank, dims) ||
		    eval_numel(dims, rank) != inner)
			return eval_error(c,
			                  "input %d does not broadcast to "
			                  "the normalized dims",
			                  k);
		scale_at[k - 1] = eval_broadcast_offsets(c, p, normalized.rank,
		                                         normalized.dims);
		param[k - 1] = eval_doubles(c, p);
	}
	void *out = eval_output_like(c, 0, x, x->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	/* Mean and InvStdDev keep x's rank with the normalized dims at 1. */
	int64_t stat_dims[EVAL_MAX_RANK];
	for (int i = 0; i < x->rank; i++)
		stat_dims[i] = i < axis ? x->dims[i] : 1;
	int stash = ir_attr_elem_type(c->node, "stash_type", IR_FLOAT);
	void *mean_out = NULL, *inv_out = NULL;
	if (centre && eval_wants_output(c, 1) &&
	    !(mean_out = eval_output(c, 1, stash, x->rank, stat_dims)))
		return EVAL_UNSUPPORTED;
	if (centre && eval_wants_output(c, 2) &&
	    !(inv_out = eval_output(c, 2, stash, x->rank, stat_dims)))
		return EVAL_UNSUPPORTED;
	if (!centre && c->n_outputs > 1)
		return eval_unsupported(c, "with extra outputs");
	double *v = eval_doubles(c, x);
	double *means = eval_alloc(c, 8 * (size_t)outer);
	double *invs = eval_alloc(c, 8 * (size_t)outer);
	for (int64_t o = 0; o < outer; o++) {
		double *row = v + o * inner, m = 0, sq = 0;
		if (centre) {
			for (int64_t i = 0; i < inner; i++)
				m += row[i];
			m = inner ? m / (double)inner : 0;
		}
		for (int64_t i = 0; i < inner; i++)
			sq += (row[i] - m) * (row[i] - m);
		double inv =
		    1.0 / sqrt((inner ? sq / (double)inner : 0) + epsilon);
		means[o] = m;
		invs[o] = inv;
		for (int64_t i = 0; i < inner; i++) {
			double y =
			    (row[i] - m) * inv * param[0][scale_at[0][i]];
			if (param[1])
				y += param[1][scale_at[1][i]];
			row[i] = y;
		}
	}
	eval_store_doubles(out, x->elem_type, v, x->numel);
	if (mean_out)
		eval_store_doubles(mean_out, stash, means, outer);
	if (inv_out)
		eval_store_doubles(inv_out, stash, invs, outer);
	return EVAL_OK;
}

int eval_layer_norm(eval_call *c)
{
	return normalize_trailing(c, true);
}

int eval_rms_norm(eval_call *c)
{
	return normalize_trailing(c, false);
}

/* (x - mean) / (sqrt(var) + 1e-9) over `axes` (default N, H, W). */
int eval_mean_variance_norm(eval_call *c)
{
	if (!float_input(c, 0))
		return EVAL_ERROR;
	const eval_tensor *x = &c->in[0];
	static const int64_t default_axes[] = {0, 2, 3};
	const int64_t *axes;
	int n = eval_attr_ints(c, "axes", &axes);
	if (n < 0) {
		axes = default_axes;
		n = 3;
	}
	eval_tensor kept = *x;
	int64_t count = 1;
	for (int k = 0; k < n; k++) {
		int a;
		if (!eval_axis(c, axes[k], x->rank, &a))
			return EVAL_ERROR;
		if (kept.dims[a] != 1 || x->dims[a] == 1) {
			count *= x->dims[a];
			kept.dims[a] = 1;
		}
	}
	kept.numel = eval_numel(kept.dims, kept.rank);
	void *out = eval_output_like(c, 0, x, x->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	const int64_t *slot =
	    eval_broadcast_offsets(c, &kept, x->rank, x->dims);
	double *v = eval_doubles(c, x);
	double *sum = eval_alloc(c, 8 * (size_t)kept.numel);
	double *sq = eval_alloc(c, 8 * (size_t)kept.numel);
	for (int64_t i = 0; i < x->numel; i++) {
		sum[slot[i]] += v[i];
		sq[slot[i]] += v[i] * v[i];
	}
	for (int64_t i = 0; i < x->numel; i++) {
		double m = sum[slot[i]] / (double)count;
		double var = sq[slot[i]] / (double)count - m * m;
		v[i] = (v[i] - m) / (sqrt(var > 0 ? var : 0) + 1e-9);
	}
	eval_store_doubles(out, x->elem_type, v, x->numel);
	return EVAL_OK;
}

/* Local response normalization across channels. */
int eval_lrn(eval_call *c)
{
	if (!float_input(c, 0) || c->in[0].rank < 2)
		return eval_error(c, "needs a float input of rank >= 2");
	const eval_tensor *x = &c->in[0];
	int64_t size = eval_attr_int(c, "size", 0);
	if (size <= 0)
		return eval_error(c, "needs a positive size");
	double alpha = eval_attr_float(c, "alpha", 1e-4f);
	double beta = eval_attr_float(c, "beta", 0.75f);
	double bias = eval_attr_float(c, "bias", 1.0f);
	void *out = eval_output_like(c, 0, x, x->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t channels = x->dims[1];
	int64_t spatial = eval_numel(x->dims + 2, x->rank - 2);
	const double *v = eval_doubles(c, x);
	double *y = eval_alloc(c, 8 * (size_t)x->numel);
	int64_t below = (size - 1) / 2, above = size - 1 - below;
	for (int64_t n = 0; n < x->dims[0]; n++)
		for (int64_t ch = 0; ch < channels; ch++)
			for (int64_t s = 0; s < spatial; s++) {
				/* The window clamped to the channels: size
				 * may be far larger. */
				int64_t lo = ch - below < 0 ? 0 : ch - below;
				int64_t hi = above >= channels - ch
				                 ? channels - 1
				                 : ch + above;
				double sq = 0;
				for (int64_t k = lo; k <= hi; k++) {
					double e =
					    v[(n * channels + k) * spatial + s];
					sq += e * e;
				}
				int64_t i = (n * channels + ch) * spatial + s;
				y[i] =
				    v[i] /
				    pow(bias + alpha / (double)size * sq, beta);
			}
	eval_store_doubles(out, x->elem_type, y, x->numel);
	return EVAL_OK;
}

/* ---------------------------------------------------------------- Dropout */

/* Identity unless training; in training only a zero ratio is
 * deterministic. The mask, when asked for, is all true. */
int eval_dropout(eval_call *c)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	if (c->opset < 7)
		return eval_unsupported(c, "with is_test semantics");
	bool training = false;
	double ratio = 0.5;
	if (op_attribute_input("Dropout", "ratio", c->opset) >= 0) {
		if (eval_has_input(c, 2)) {
			if (c->in[2].elem_type != IR_BOOL ||
			    c->in[2].numel != 1)
				return eval_error(c, "training_mode must be "
				                     "one bool");
			training = *(const uint8_t *)c->in[2].data != 0;
		}
		if (eval_has_input(c, 1) && !eval_input_scalar(c, 1, &ratio))
			return EVAL_ERROR;
	} else {
		ratio = eval_attr_float(c, "ratio", 0.5f);
	}
	if (training && ratio != 0)
		return eval_unsupported(c, "in training mode (random)");
	const eval_tensor *x = &c->in[0];
	void *out = eval_output_like(c, 0, x, x->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	memcpy(out, x->data, (size_t)x->numel * x->elem_size);
	if (eval_wants_output(c, 1)) {
		/* Before opset 10 the mask has the input's type. */
		int type = c->opset < 10 ? x->elem_type : IR_BOOL;
		void *mask = eval_output_like(c, 1, x, type);
		if (!mask)
			return EVAL_UNSUPPORTED;
		double *ones = eval_alloc(c, 8 * (size_t)x->numel);
		for (int64_t i = 0; i < x->numel; i++)
			ones[i] = 1;
		eval_store_doubles(mask, type, ones, x->numel);
	}
	return EVAL_OK;
}

/* ------------------------------------------ GroupNormalization, LpNorm */

/* Statistics per (sample, group of channels); scale and bias are per
 * group before opset 21 and per channel from it. */
int eval_group_norm(eval_call *c)
{
	if (!float_input(c, 0) || c->in[0].rank < 2)
		return eval_error(c, "needs a float input of rank >= 2");
	const eval_tensor *x = &c->in[0];
	int64_t groups = eval_attr_int(c, "num_groups", 0);
	int64_t channels = x->dims[1];
	if (groups < 1 || channels % groups)
		return eval_error(c, "num_groups must divide the channels");
	int64_t per_param = c->opset >= 21 ? channels : groups;
	const double *scale = per_channel(c, 1, per_param);
	const double *bias = scale ? per_channel(c, 2, per_param) : NULL;
	if (!bias)
		return EVAL_ERROR;
	double epsilon = eval_attr_float(c, "epsilon", 1e-5f);
	void *out = eval_output_like(c, 0, x, x->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	/* With no channels any num_groups divides them, and the loop over
	 * groups would run that many times for nothing. */
	if (x->numel == 0)
		return EVAL_OK;
	int64_t per_group = channels / groups;
	int64_t spatial = eval_numel(x->dims + 2, x->rank - 2);
	int64_t size = per_group * spatial;
	double *v = eval_doubles(c, x);
	for (int64_t n = 0; n < x->dims[0]; n++)
		for (int64_t g = 0; g < groups; g++) {
			double *block =
			    v + (n * channels + g * per_group) * spatial;
			double m = 0, sq = 0;
			for (int64_t i = 0; i < size; i++)
				m += block[i];
			m = size ? m / (double)size : 0;
			for (int64_t i = 0; i < size; i++)
				sq += (block[i] - m) * (block[i] - m);
			double inv =
			    1 / sqrt((size ? sq / (double)size : 0) + epsilon);
			for (int64_t i = 0; i < size; i++) {
				int64_t k = c->opset >= 21
				                ? g * per_group + i / spatial
				                : g;
				block[i] =
				    (block[i] - m) * inv * scale[k] + bias[k];
			}
		}
	eval_store_doubles(out, x->elem_type, v, x->numel);
	return EVAL_OK;
}

/* x / ||x||_p along one axis, for p of 1 or 2. */
int eval_lp_norm(eval_call *c)
{
	if (!float_input(c, 0))
		return EVAL_ERROR;
	const eval_tensor *x = &c->in[0];
	int64_t p = eval_attr_int(c, "p", 2);
	int axis;
	if ((p != 1 && p != 2) ||
	    !eval_axis(c, eval_attr_int(c, "axis", -1), x->rank, &axis))
		return eval_error(c, "needs p of 1 or 2 and a valid axis");
	void *out = eval_output_like(c, 0, x, x->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t len = x->dims[axis];
	int64_t outer = eval_numel(x->dims, axis);
	int64_t inner = eval_numel(x->dims + axis + 1, x->rank - axis - 1);
	double *v = eval_doubles(c, x);
	for (int64_t o = 0; o < outer; o++)
		for (int64_t r = 0; r < inner; r++) {
			double *row = v + o * len * inner + r, norm = 0;
			for (int64_t k = 0; k < len; k++)
				norm += p == 1
				            ? fabs(row[k * inner])
				            : row[k * inner] * row[k * inner];
			if (p == 2)
				norm = sqrt(norm);
			if (norm == 0)
				return eval_unsupported(c, "with a zero norm");
			for (int64_t k = 0; k < len; k++)
				row[k * inner] /= norm;
		}
	eval_store_doubles(out, x->elem_type, v, x->numel);
	return EVAL_OK;
}
