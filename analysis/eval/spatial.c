/*
 * spatial.c - sliding-window geometry for Conv*, *Pool and their
 * relatives (see spatial.h).
 *
 * auto_pad SAME_* pads so that out = ceil(in / stride), splitting the
 * total padding with the odd unit at the end (SAME_UPPER) or at the
 * beginning (SAME_LOWER); VALID pads nothing; NOTSET takes `pads`.
 */
#include <string.h>

#include "spatial.h"

static bool read_list(eval_call *c, const char *name, int n, int64_t fill,
                      int64_t *out)
{
	const int64_t *v;
	int k = eval_attr_ints(c, name, &v);
	for (int i = 0; i < n; i++)
		out[i] = fill;
	if (k < 0)
		return true;
	if (k != n) {
		eval_error(c, "%s has %d entries for %d spatial dims", name, k,
		           n);
		return false;
	}
	memcpy(out, v, sizeof(int64_t) * (size_t)n);
	return true;
}

bool spatial_setup(eval_call *c, const eval_tensor *x, const int64_t *kernel,
                   bool pooling, spatial *s)
{
	memset(s, 0, sizeof *s);
	if (x->rank < 3) {
		eval_error(c, "needs an input of rank >= 3");
		return false;
	}
	s->n = x->rank - 2;
	memcpy(s->in, x->dims + 2, sizeof(int64_t) * (size_t)s->n);
	const int64_t *ks;
	int nk = eval_attr_ints(c, "kernel_shape", &ks);
	if (nk >= 0) {
		if (nk != s->n) {
			eval_error(c, "kernel_shape has %d entries", nk);
			return false;
		}
		memcpy(s->kernel, ks, sizeof(int64_t) * (size_t)s->n);
	} else if (kernel) {
		memcpy(s->kernel, kernel, sizeof(int64_t) * (size_t)s->n);
	} else {
		eval_error(c, "has no kernel_shape");
		return false;
	}
	int64_t pads[2 * EVAL_MAX_RANK];
	if (!read_list(c, "strides", s->n, 1, s->stride) ||
	    !read_list(c, "dilations", s->n, 1, s->dilation) ||
	    !read_list(c, "pads", 2 * s->n, 0, pads))
		return false;
	bool ceil_mode = pooling && eval_attr_int(c, "ceil_mode", 0);
	const char *auto_pad = eval_attr_string(c, "auto_pad", "NOTSET");
	for (int i = 0; i < s->n; i++) {
		int64_t k = s->kernel[i], st = s->stride[i], d = s->dilation[i];
		if (k < 1 || st < 1 || d < 1) {
			eval_error(c, "has a kernel, stride or dilation < 1");
			return false;
		}
		/* Inputs hold their dims in memory (or are empty within
		 * EVAL_MAX_EMPTY_EXTENT), so in < 2^62; with the attributes
		 * bounded too, no sum or product below can overflow. */
		if (k > SPATIAL_MAX_ATTR || st > SPATIAL_MAX_ATTR ||
		    d > SPATIAL_MAX_ATTR || pads[i] > SPATIAL_MAX_ATTR ||
		    pads[i] < -SPATIAL_MAX_ATTR ||
		    pads[i + s->n] > SPATIAL_MAX_ATTR ||
		    pads[i + s->n] < -SPATIAL_MAX_ATTR) {
			eval_unsupported(c, "has a kernel, stride, dilation "
			                    "or pad above 2^30");
			return false;
		}
		int64_t span = (k - 1) * d + 1;
		if (!strcmp(auto_pad, "SAME_UPPER") ||
		    !strcmp(auto_pad, "SAME_LOWER")) {
			int64_t out = (s->in[i] + st - 1) / st;
			int64_t total = (out - 1) * st + span - s->in[i];
			if (total < 0)
				total = 0;
			bool upper = auto_pad[5] == 'U';
			s->pad_begin[i] = upper ? total / 2 : total - total / 2;
			s->pad_end[i] = total - s->pad_begin[i];
			s->out[i] = out;
			continue;
		}
		if (!strcmp(auto_pad, "VALID")) {
			s->pad_begin[i] = s->pad_end[i] = 0;
		} else if (!strcmp(auto_pad, "NOTSET")) {
			s->pad_begin[i] = pads[i];
			s->pad_end[i] = pads[i + s->n];
		} else {
			eval_unsupported(c, "auto_pad '%s'", auto_pad);
			return false;
		}
		int64_t room =
		    s->in[i] + s->pad_begin[i] + s->pad_end[i] - span;
		if (room < 0) {
			eval_error(c, "kernel is larger than the padded input");
			return false;
		}
		int64_t out =
		    ceil_mode ? (room + st - 1) / st + 1 : room / st + 1;
		/* A ceil-mode window must start inside the input or the
		 * leading padding. */
		if (ceil_mode && (out - 1) * st >= s->in[i] + s->pad_begin[i])
			out--;
		s->out[i] = out;
	}
	return true;
}

int64_t spatial_out_count(const spatial *s)
{
	return eval_numel(s->out, s->n);
}

int64_t spatial_kernel_count(const spatial *s)
{
	return eval_numel(s->kernel, s->n);
}

int64_t spatial_input_offset(const spatial *s, int64_t pos, int64_t tap)
{
	int64_t offset = 0, stride = 1;
	for (int i = s->n - 1; i >= 0; i--) {
		int64_t o = pos % s->out[i], k = tap % s->kernel[i];
		pos /= s->out[i];
		tap /= s->kernel[i];
		int64_t at =
		    o * s->stride[i] - s->pad_begin[i] + k * s->dilation[i];
		if (at < 0 || at >= s->in[i])
			return -1;
		offset += at * stride;
		stride *= s->in[i];
	}
	return offset;
}

int64_t *spatial_tap_table(eval_call *c, const spatial *s)
{
	int64_t outs = spatial_out_count(s), taps = spatial_kernel_count(s);
	int64_t entries;
	if (__builtin_mul_overflow(outs, taps, &entries) ||
	    entries > SPATIAL_MAX_TABLE) {
		eval_unsupported(c, "needs a tap table of %lld x %lld entries",
		                 (long long)outs, (long long)taps);
		return NULL;
	}
	int64_t *table = eval_alloc(c, sizeof *table * (size_t)entries);
	for (int64_t t = 0; t < taps; t++)
		for (int64_t p = 0; p < outs; p++)
			table[t * outs + p] = spatial_input_offset(s, p, t);
	return table;
}
