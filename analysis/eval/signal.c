/*
 * signal.c - signal processing: DFT, STFT, MelWeightMatrix and the
 * windows (HannWindow, HammingWindow, BlackmanWindow).
 *
 * Transforms are direct sums in double over precomputed twiddles (the
 * test-sized signals these ops see in models make O(n^2) the simplest
 * exact choice); complex values are interleaved (re, im) in a trailing
 * dim of 2, real inputs have a trailing dim of 1.
 */
#include <math.h>
#include <string.h>

#include "eval.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* out[k] = sum_n in[n] * exp(sign * 2 pi i k n / len), k < bins; in has
 * `avail` samples (the rest are zero), each (re, im) `stride` apart. */
static void transform(const double *in, int64_t avail, int64_t stride,
                      int64_t len, int64_t bins, bool inverse,
                      const double *cos_table, const double *sin_table,
                      double *out, int64_t out_stride)
{
	for (int64_t k = 0; k < bins; k++) {
		double re = 0, im = 0;
		for (int64_t n = 0; n < avail && n < len; n++) {
			int64_t t = (k * n) % len;
			double c = cos_table[t],
			       s = inverse ? sin_table[t] : -sin_table[t];
			double xr = in[n * stride], xi = in[n * stride + 1];
			re += xr * c - xi * s;
			im += xr * s + xi * c;
		}
		if (inverse) {
			re /= (double)len;
			im /= (double)len;
		}
		out[k * out_stride] = re;
		out[k * out_stride + 1] = im;
	}
}

static void twiddles(eval_call *c, int64_t len, double **cos_table,
                     double **sin_table)
{
	*cos_table = eval_alloc(c, 8 * (size_t)len);
	*sin_table = eval_alloc(c, 8 * (size_t)len);
	for (int64_t t = 0; t < len; t++) {
		double a = 2 * M_PI * (double)t / (double)len;
		(*cos_table)[t] = cos(a);
		(*sin_table)[t] = sin(a);
	}
}

/* A complex copy (im = 0 for real input) of a [..., 1|2] tensor. */
static double *as_complex(eval_call *c, const eval_tensor *x)
{
	const double *v = eval_doubles(c, x);
	int64_t n = x->numel / x->dims[x->rank - 1];
	double *z = eval_alloc(c, 16 * (size_t)n);
	bool real = x->dims[x->rank - 1] == 1;
	for (int64_t i = 0; i < n; i++) {
		z[2 * i] = real ? v[i] : v[2 * i];
		z[2 * i + 1] = real ? 0 : v[2 * i + 1];
	}
	return z;
}

static bool scalar_int(eval_call *c, int index, int64_t *value)
{
	const int64_t *v;
	int64_t n;
	if (!eval_input_ints(c, index, &v, &n) || n != 1)
		return false;
	*value = v[0];
	return true;
}

int eval_dft(eval_call *c)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *x = &c->in[0];
	int last = x->rank - 1;
	if (x->rank < 2 || !eval_is_float(x->elem_type) ||
	    (x->dims[last] != 1 && x->dims[last] != 2))
		return eval_error(c, "needs a float [..., 1|2] input");
	if (c->opset >= 20)
		return eval_unsupported(c, "with axis as an input");
	int axis;
	if (!eval_axis(c, eval_attr_int(c, "axis", 1), last, &axis))
		return EVAL_ERROR;
	bool inverse = eval_attr_int(c, "inverse", 0) != 0;
	bool onesided = eval_attr_int(c, "onesided", 0) != 0;
	int64_t avail = x->dims[axis], len = avail;
	if (eval_has_input(c, 1) && !scalar_int(c, 1, &len))
		return eval_error(c, "dft_length must be one integer");
	if (len < 1)
		return eval_error(c, "dft_length must be positive");
	if (onesided && (inverse || x->dims[last] != 1))
		return eval_unsupported(c, "onesided inverse or complex input");
	int64_t bins = onesided ? len / 2 + 1 : len;
	int64_t dims[EVAL_MAX_RANK];
	memcpy(dims, x->dims, sizeof dims);
	dims[axis] = bins;
	dims[last] = 2;
	void *out = eval_output(c, 0, x->elem_type, x->rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	/* An empty output bounds no dim, and dft_length sizes the
	 * twiddles. */
	if (eval_numel(dims, x->rank) == 0)
		return EVAL_OK;
	int64_t outer = eval_numel(x->dims, axis);
	int64_t inner = eval_numel(x->dims + axis + 1, last - axis - 1);
	/* A direct sum: each of the bins reads every sample, 4 real
	 * multiply-adds per complex term, so a 256 KB signal would mean
	 * seconds of work for an output within the size limit. */
	if (!eval_work_allowed(c, 4.0 * (double)outer * (double)inner *
	                              (double)bins *
	                              (double)(avail < len ? avail : len)))
		return EVAL_UNSUPPORTED;
	const double *z = as_complex(c, x);
	double *cs, *sn;
	twiddles(c, len, &cs, &sn);
	int64_t total = eval_numel(dims, x->rank);
	double *y = eval_alloc(c, 8 * (size_t)total);
	for (int64_t o = 0; o < outer; o++)
		for (int64_t r = 0; r < inner; r++)
			transform(z + 2 * (o * avail * inner + r), avail,
			          2 * inner, len, bins, inverse, cs, sn,
			          y + 2 * (o * bins * inner + r), 2 * inner);
	eval_store_doubles(out, x->elem_type, y, total);
	return EVAL_OK;
}

int eval_stft(eval_call *c)
{
	if (!eval_has_input(c, 0) || !eval_has_input(c, 1))
		return eval_error(c, "needs a signal and frame_step");
	const eval_tensor *x = &c->in[0];
	if (x->rank != 3 || !eval_is_float(x->elem_type) ||
	    (x->dims[2] != 1 && x->dims[2] != 2))
		return eval_error(c,
		                  "needs a float [batch, length, 1|2] signal");
	int64_t step, frame = -1;
	if (!scalar_int(c, 1, &step) || step < 1)
		return eval_error(c, "frame_step must be a positive integer");
	const double *window = NULL;
	if (eval_has_input(c, 2)) {
		frame = c->in[2].numel;
		window = eval_doubles(c, &c->in[2]);
	}
	if (eval_has_input(c, 3)) {
		int64_t f;
		if (!scalar_int(c, 3, &f) || (frame >= 0 && f != frame))
			return eval_error(c, "frame_length disagrees with the "
			                     "window");
		frame = f;
	}
	int64_t length = x->dims[1];
	if (frame < 1 || frame > length)
		return eval_error(c, "needs a frame length in [1, %lld]",
		                  (long long)length);
	bool onesided = eval_attr_int(c, "onesided", 1) != 0;
	if (onesided && x->dims[2] != 1)
		return eval_unsupported(c, "onesided on a complex signal");
	int64_t frames = (length - frame) / step + 1;
	int64_t bins = onesided ? frame / 2 + 1 : frame;
	int64_t dims[4] = {x->dims[0], frames, bins, 2};
	void *out = eval_output(c, 0, x->elem_type, 4, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	/* An empty output bounds no dim, and frame_length sizes the frame
	 * and the twiddles. */
	if (eval_numel(dims, 4) == 0)
		return EVAL_OK;
	/* Each frame is a direct DFT (see eval_dft). */
	if (!eval_work_allowed(c, 4.0 * (double)x->dims[0] * (double)frames *
	                              (double)bins * (double)frame))
		return EVAL_UNSUPPORTED;
	const double *z = as_complex(c, x);
	double *cs, *sn, *buf = eval_alloc(c, 16 * (size_t)frame);
	twiddles(c, frame, &cs, &sn);
	int64_t total = eval_numel(dims, 4);
	double *y = eval_alloc(c, 8 * (size_t)total);
	for (int64_t b = 0; b < x->dims[0]; b++)
		for (int64_t f = 0; f < frames; f++) {
			const double *src = z + 2 * (b * length + f * step);
			for (int64_t n = 0; n < frame; n++) {
				double w = window ? window[n] : 1;
				buf[2 * n] = src[2 * n] * w;
				buf[2 * n + 1] = src[2 * n + 1] * w;
			}
			transform(buf, frame, 2, frame, bins, false, cs, sn,
			          y + 2 * (b * frames + f) * bins, 2);
		}
	eval_store_doubles(out, x->elem_type, y, total);
	return EVAL_OK;
}

/* Triangular filters evenly spaced on the mel scale, as the operator
 * spec defines them (bins rounded down to whole DFT bins). */
int eval_mel_weight_matrix(eval_call *c)
{
	int64_t mels, dft, rate;
	double lo, hi;
	if (!scalar_int(c, 0, &mels) || !scalar_int(c, 1, &dft) ||
	    !scalar_int(c, 2, &rate) || !eval_input_scalar(c, 3, &lo) ||
	    !eval_input_scalar(c, 4, &hi))
		return eval_error(c, "needs five scalars");
	if (mels < 1 || dft < 1 || rate < 1 || mels > (1 << 16))
		return eval_error(c, "has non-positive sizes");
	int type = ir_attr_elem_type(c->node, "output_datatype", IR_FLOAT);
	int64_t spectrum = dft / 2 + 1;
	int64_t dims[2] = {spectrum, mels};
	void *out = eval_output(c, 0, type, 2, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	double lo_mel = 2595 * log10(1 + lo / 700);
	double hi_mel = 2595 * log10(1 + hi / 700);
	/* The spec divides the mel range into mels + 2 steps, so the last
	 * filter edge stops one step short of upper_edge_hertz. */
	double mel_step = (hi_mel - lo_mel) / (double)(mels + 2);
	int64_t *bin = eval_alloc(c, 8 * (size_t)(mels + 2));
	for (int64_t i = 0; i < mels + 2; i++) {
		double hz =
		    700 * (pow(10, ((double)i * mel_step + lo_mel) / 2595) - 1);
		double edge = floor((double)(dft + 1) * hz / (double)rate);
		if (!eval_fits_int64(edge))
			return eval_unsupported(c, "with filter edges outside "
			                           "the spectrum");
		bin[i] = (int64_t)edge;
		if (bin[i] < 0 || bin[i] >= spectrum)
			return eval_unsupported(c, "with filter edges outside "
			                           "the spectrum");
	}
	double *w = eval_alloc(c, 8 * (size_t)(spectrum * mels));
	for (int64_t i = 0; i < mels; i++) {
		int64_t left = bin[i], centre = bin[i + 1], right = bin[i + 2];
		if (centre == left)
			w[centre * mels + i] = 1;
		else
			for (int64_t j = left; j <= centre; j++)
				w[j * mels + i] = (double)(j - left) /
				                  (double)(centre - left);
		for (int64_t j = centre; j < right; j++)
			w[j * mels + i] =
			    (double)(right - j) / (double)(right - centre);
	}
	eval_store_doubles(out, type, w, spectrum * mels);
	return EVAL_OK;
}

/* Hann, Hamming and Blackman: sums of cosines a0 - a1 cos(2 pi n / N) +
 * a2 cos(4 pi n / N), with N = size for periodic windows, size - 1
 * otherwise. */
int eval_window(eval_call *c)
{
	const char *name = c->node->op_type;
	double a0, a1, a2 = 0;
	if (!strcmp(name, "HannWindow")) {
		a0 = 0.5;
		a1 = 0.5;
	} else if (!strcmp(name, "HammingWindow")) {
		a0 = 25.0 / 46.0;
		a1 = 1.0 - a0;
	} else if (!strcmp(name, "BlackmanWindow")) {
		a0 = 0.42;
		a1 = 0.5;
		a2 = 0.08;
	} else {
		return eval_unsupported(c, "is not a window");
	}
	const int64_t *size;
	int64_t n;
	if (!eval_input_ints(c, 0, &size, &n) || n != 1)
		return eval_error(c, "size must be one integer");
	int64_t len = size[0];
	if (len < 0)
		return eval_error(c, "negative size");
	int type = ir_attr_elem_type(c->node, "output_datatype", IR_FLOAT);
	if (eval_kind_of(type) == EVAL_KIND_NONE ||
	    eval_kind_of(type) == EVAL_KIND_STRING)
		return eval_unsupported(c, "output type %s",
		                        ir_elem_name(type));
	void *out = eval_output(c, 0, type, 1, &len);
	if (!out)
		return EVAL_UNSUPPORTED;
	double period =
	    eval_attr_int(c, "periodic", 1) ? (double)len : (double)(len - 1);
	double *v = eval_alloc(c, sizeof *v * (size_t)len);
	for (int64_t i = 0; i < len; i++) {
		double x = period > 0 ? 2 * M_PI * (double)i / period : 0;
		v[i] = a0 - a1 * cos(x) + a2 * cos(2 * x);
	}
	eval_store_doubles(out, type, v, len);
	return EVAL_OK;
}
