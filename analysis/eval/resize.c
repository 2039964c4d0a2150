/*
 * resize.c - Resize and Upsample.
 *
 * Interpolation is separable: for every axis and output coordinate, the
 * coordinate transformation gives a position in the input, and the mode
 * (nearest, linear, cubic) gives a few taps (input index, weight) around
 * it, with edge-clamped indices. An output element is the sum over the
 * product of its per-axis taps. The rules follow the operator spec and
 * its reference: a position that is an integer reads exactly that pixel,
 * nearest_mode breaks ties, exclude_outside renormalizes cubic weights,
 * and tf_crop_and_resize positions outside the input give
 * extrapolation_value.
 */
#include <math.h>
#include <string.h>

#include "eval.h"
#include "ops.h"

enum { MODE_NEAREST, MODE_LINEAR, MODE_CUBIC };
enum {
	COORD_HALF_PIXEL,
	COORD_PYTORCH_HALF_PIXEL,
	COORD_ALIGN_CORNERS,
	COORD_ASYMMETRIC,
	COORD_TF_HALF_PIXEL_FOR_NN,
	COORD_TF_CROP_AND_RESIZE,
	COORD_HALF_PIXEL_SYMMETRIC,
};
enum { NEAREST_PREFER_FLOOR, NEAREST_PREFER_CEIL, NEAREST_FLOOR, NEAREST_CEIL };

typedef struct resize_params {
	int mode, coord, nearest;
	double cubic_a, extrapolation;
	bool exclude_outside;
} resize_params;

typedef struct axis_taps {
	int n;          /* taps per output coordinate */
	int64_t *index; /* [out * n] */
	double *weight; /* [out * n] */
	bool *outside;  /* [out]: extrapolate */
} axis_taps;

static int lookup(const char *value, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(value, names[i]))
			return i;
	return -1;
}

/* Where output coordinate x of an axis reads from in the input. */
static double source_position(const resize_params *p, double x, double scale,
                              int64_t in, int64_t out, double roi_start,
                              double roi_end)
{
	switch (p->coord) {
	case COORD_PYTORCH_HALF_PIXEL:
		return out > 1 ? (x + 0.5) / scale - 0.5 : -0.5;
	case COORD_ALIGN_CORNERS:
		return out == 1 ? 0 : x * (double)(in - 1) / (double)(out - 1);
	case COORD_ASYMMETRIC: return x / scale;
	case COORD_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / scale;
	case COORD_TF_CROP_AND_RESIZE:
		if (out == 1)
			return (roi_end - roi_start) * (double)(in - 1) / 2 +
			       roi_start * (double)(in - 1);
		return x * (roi_end - roi_start) * (double)(in - 1) /
		           (double)(out - 1) +
		       roi_start * (double)(in - 1);
	case COORD_HALF_PIXEL_SYMMETRIC: {
		double adjustment = (double)out / (scale * (double)in);
		double center = (double)in / 2;
		double offset = center * (1 - adjustment);
		return offset + (x + 0.5) / scale - 0.5;
	}
	default: return (x + 0.5) / scale - 0.5;
	}
}

static double cubic_weight(double s, double a)
{
	s = fabs(s);
	if (s < 1)
		return ((a + 2) * s - (a + 3)) * s * s + 1;
	if (s < 2)
		return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a;
	return 0;
}

static int64_t clamp_index(int64_t i, int64_t n)
{
	return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

/* False (with a reason) when a position is not a number or too far out
 * to index (a hostile roi). */
static bool axis_setup(eval_call *c, const resize_params *p, axis_taps *t,
                       int64_t in, int64_t out, double scale, double roi_start,
                       double roi_end)
{
	t->n = p->mode == MODE_NEAREST ? 1 : p->mode == MODE_LINEAR ? 2 : 4;
	t->index = eval_alloc(c, sizeof *t->index * (size_t)(out * t->n));
	t->weight = eval_alloc(c, sizeof *t->weight * (size_t)(out * t->n));
	t->outside = eval_alloc(c, (size_t)out);
	for (int64_t o = 0; o < out; o++) {
		double x = source_position(p, (double)o, scale, in, out,
		                           roi_start, roi_end);
		int64_t *idx = t->index + o * t->n;
		double *w = t->weight + o * t->n;
		/* interpolate reads no taps of an outside coordinate. */
		if (p->coord == COORD_TF_CROP_AND_RESIZE &&
		    (x < 0 || x > (double)(in - 1))) {
			t->outside[o] = true;
			continue;
		}
		double base = floor(x), r = x - base;
		if (!eval_fits_int64(base)) {
			eval_unsupported(c, "with a source position of %g", x);
			return false;
		}
		int64_t f = (int64_t)base;
		if (p->mode == MODE_NEAREST) {
			int64_t pick = f;
			if (r != 0) {
				bool up = p->nearest == NEAREST_PREFER_FLOOR
				              ? r > 0.5
				          : p->nearest == NEAREST_PREFER_CEIL
				              ? r >= 0.5
				              : p->nearest == NEAREST_CEIL;
				pick = up ? f + 1 : f;
			}
			idx[0] = clamp_index(pick, in);
			w[0] = 1;
			continue;
		}
		if (p->mode == MODE_LINEAR) {
			idx[0] = clamp_index(f, in);
			idx[1] = clamp_index(f + 1, in);
			w[0] = 1 - r;
			w[1] = r;
			continue;
		}
		double sum = 0;
		for (int k = 0; k < 4; k++) {
			int64_t at = f - 1 + k;
			w[k] = cubic_weight(r - (double)(k - 1), p->cubic_a);
			if (p->exclude_outside && (at < 0 || at >= in))
				w[k] = 0;
			idx[k] = clamp_index(at, in);
			sum += w[k];
		}
		if (p->exclude_outside && sum != 0)
			for (int k = 0; k < 4; k++)
				w[k] /= sum;
	}
	return true;
}

/* Interpolate x (doubles) into out_dims with per-axis taps. */
static double *interpolate(eval_call *c, const eval_tensor *x,
                           const int64_t *out_dims, const axis_taps *taps,
                           double extrapolation)
{
	int rank = x->rank;
	int64_t total = eval_numel(out_dims, rank), strides[EVAL_MAX_RANK];
	eval_strides(x->dims, rank, strides);
	const double *v = eval_doubles(c, x);
	double *y = eval_alloc(c, 8 * (size_t)total);
	int64_t pos[EVAL_MAX_RANK] = {0};
	for (int64_t i = 0; i < total; i++) {
		bool outside = false;
		for (int a = 0; a < rank; a++)
			outside = outside || taps[a].outside[pos[a]];
		double acc = 0;
		if (outside) {
			acc = extrapolation;
		} else {
			/* Odometer over the tap combinations. */
			int tap[EVAL_MAX_RANK] = {0};
			for (;;) {
				double w = 1;
				int64_t at = 0;
				for (int a = 0; a < rank; a++) {
					int64_t k = pos[a] * taps[a].n + tap[a];
					w *= taps[a].weight[k];
					at += taps[a].index[k] * strides[a];
				}
				if (w != 0)
					acc += w * v[at];
				int a = rank - 1;
				while (a >= 0 && ++tap[a] == taps[a].n)
					tap[a--] = 0;
				if (a < 0)
					break;
			}
		}
		y[i] = acc;
		for (int a = rank - 1; a >= 0; a--) {
			if (++pos[a] < out_dims[a])
				break;
			pos[a] = 0;
		}
	}
	return y;
}

static int resize_with(eval_call *c, const resize_params *p,
                       const double *scales, const int64_t *sizes,
                       const double *roi)
{
	const eval_tensor *x = &c->in[0];
	if (!eval_is_float(x->elem_type) &&
	    !(p->mode == MODE_NEAREST &&
	      eval_kind_of(x->elem_type) != EVAL_KIND_STRING))
		return eval_unsupported(c, "on %s", ir_elem_name(x->elem_type));
	int rank = x->rank;
	int64_t out_dims[EVAL_MAX_RANK];
	double scale[EVAL_MAX_RANK];
	axis_taps taps[EVAL_MAX_RANK];
	for (int a = 0; a < rank; a++) {
		double rs = roi ? roi[a] : 0, re = roi ? roi[a + rank] : 1;
		if (sizes) {
			out_dims[a] = sizes[a];
			scale[a] = (double)sizes[a] / (double)x->dims[a];
		} else {
			scale[a] = scales[a];
			double span =
			    p->coord == COORD_TF_CROP_AND_RESIZE ? re - rs : 1;
			double length =
			    floor((double)x->dims[a] * span * scale[a]);
			if (!eval_fits_int64(length))
				return eval_error(c, "axis %d: bad size or scale",
				                  a);
			out_dims[a] = (int64_t)length;
		}
		if (out_dims[a] < 0 || scale[a] <= 0 || x->dims[a] == 0)
			return eval_error(c, "axis %d: bad size or scale", a);
		/* These modes read the output length; with a scale that does
		 * not give a whole length, the ONNX reference uses
		 * in * scale and ONNX Runtime the floored length. */
		double exact = (double)x->dims[a] * scale[a];
		if (!sizes && exact != floor(exact) &&
		    (p->coord == COORD_ALIGN_CORNERS ||
		     p->coord == COORD_PYTORCH_HALF_PIXEL ||
		     p->coord == COORD_TF_CROP_AND_RESIZE))
			return eval_unsupported(c, "with a fractional output "
			                           "length (the reference and "
			                           "ONNX Runtime disagree)");
	}
	/* The output's size check bounds the tap tables. */
	void *out = eval_output(c, 0, x->elem_type, rank, out_dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	for (int a = 0; a < rank; a++)
		if (!axis_setup(c, p, &taps[a], x->dims[a], out_dims[a],
		                scale[a], roi ? roi[a] : 0,
		                roi ? roi[a + rank] : 1))
			return c->failure;
	double *y = interpolate(c, x, out_dims, taps, p->extrapolation);
	eval_store_doubles(out, x->elem_type, y, eval_numel(out_dims, rank));
	return EVAL_OK;
}

int eval_resize(eval_call *c)
{
	static const char *const modes[] = {"nearest", "linear", "cubic"};
	static const char *const coords[] = {
	    "half_pixel",          "pytorch_half_pixel",   "align_corners",
	    "asymmetric",          "tf_half_pixel_for_nn", "tf_crop_and_resize",
	    "half_pixel_symmetric"};
	static const char *const nearest[] = {
	    "round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *x = &c->in[0];
	resize_params p;
	p.mode = lookup(eval_attr_string(c, "mode", "nearest"), modes, 3);
	p.coord = lookup(
	    eval_attr_string(c, "coordinate_transformation_mode",
	                     c->opset < 11 ? "asymmetric" : "half_pixel"),
	    coords, c->opset >= 19 ? 7 : 6);
	p.nearest =
	    lookup(eval_attr_string(c, "nearest_mode", "round_prefer_floor"),
	           nearest, 4);
	p.cubic_a = eval_attr_float(c, "cubic_coeff_a", -0.75f);
	p.exclude_outside = eval_attr_int(c, "exclude_outside", 0) != 0;
	p.extrapolation = eval_attr_float(c, "extrapolation_value", 0.0f);
	if (p.mode < 0 || p.coord < 0 || p.nearest < 0)
		return eval_unsupported(c, "with these modes");
	if (c->opset < 11 && p.mode == MODE_NEAREST)
		p.nearest = NEAREST_FLOOR; /* Resize-10 rounds down */
	if (eval_attr_int(c, "antialias", 0) ||
	    strcmp(eval_attr_string(c, "keep_aspect_ratio_policy", "stretch"),
	           "stretch") ||
	    eval_has_attr(c, "axes"))
		return eval_unsupported(c, "with antialias, an aspect policy "
		                           "or axes");
	int scales_at = op_attribute_input("Resize", "scales", c->opset);
	if (scales_at < 0)
		return eval_unsupported(c, "before Resize existed");
	const double *roi = NULL, *scales = NULL;
	const int64_t *sizes = NULL;
	int64_t n;
	if (c->opset >= 11 && eval_has_input(c, 1) && c->in[1].numel > 0) {
		if (c->in[1].numel != 2 * x->rank)
			return eval_error(c, "roi must have 2 * rank entries");
		roi = eval_doubles(c, &c->in[1]);
	}
	if (eval_has_input(c, scales_at) && c->in[scales_at].numel > 0) {
		if (c->in[scales_at].numel != x->rank)
			return eval_error(c, "scales must have rank entries");
		scales = eval_doubles(c, &c->in[scales_at]);
	}
	if (c->opset >= 11 && eval_has_input(c, 3) && c->in[3].numel > 0) {
		if (!eval_input_ints(c, 3, &sizes, &n) || n != x->rank)
			return eval_error(c, "sizes must have rank entries");
	}
	if (!scales == !sizes)
		return eval_error(c, "needs exactly one of scales and sizes");
	return resize_with(c, &p, scales, sizes, roi);
}

/* Upsample: Resize with asymmetric coordinates and floor rounding. */
int eval_upsample(eval_call *c)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const char *mode = eval_attr_string(c, "mode", "nearest");
	resize_params p = {
	    MODE_NEAREST, COORD_ASYMMETRIC, NEAREST_FLOOR, -0.75, 0, false};
	if (!strcmp(mode, "linear") || !strcmp(mode, "bilinear"))
		p.mode = MODE_LINEAR;
	else if (strcmp(mode, "nearest"))
		return eval_unsupported(c, "mode '%s'", mode);
	const double *scales;
	if (op_attribute_input("Upsample", "scales", c->opset) == 1) {
		if (!eval_has_input(c, 1) || c->in[1].numel != c->in[0].rank)
			return eval_error(c, "scales must have rank entries");
		scales = eval_doubles(c, &c->in[1]);
	} else {
		const float *f;
		int k = eval_attr_floats(c, "scales", &f);
		if (k != c->in[0].rank)
			return eval_error(c, "scales must have rank entries");
		double *d = eval_alloc(c, 8 * (size_t)k);
		for (int i = 0; i < k; i++)
			d[i] = f[i];
		scales = d;
	}
	return resize_with(c, &p, scales, NULL, NULL);
}
