/*
 * sample.c - ops that sample an image at computed positions or pick
 * boxes: GridSample, RoiAlign, NonMaxSuppression.
 *
 * All compute in double. GridSample follows the spec's unnormalization
 * (align_corners decides whether -1 and 1 are pixel centres or edges)
 * and its padding modes; RoiAlign averages bilinear samples on a regular
 * grid inside each bin; NonMaxSuppression keeps, per batch and class,
 * the highest-scoring boxes whose overlap with every kept box stays at
 * or under the threshold.
 */
#include <math.h>
#include <string.h>

#include "eval.h"

/* ----------------------------------------------------------- GridSample */

enum { PAD_ZEROS, PAD_BORDER, PAD_REFLECTION };

/* Reflect x into [lo, hi] (for the reflection padding mode). */
static double reflect(double x, double lo, double hi)
{
	double span = hi - lo;
	if (span <= 0)
		return lo;
	if (x < lo) {
		double d = lo - x;
		double flips = floor(d / span);
		double r = d - flips * span;
		return ((int64_t)flips % 2) ? hi - r : lo + r;
	}
	if (x > hi) {
		double d = x - hi;
		double flips = floor(d / span);
		double r = d - flips * span;
		return ((int64_t)flips % 2) ? lo + r : hi - r;
	}
	return x;
}

typedef struct grid_image {
	const double *data;
	int64_t h, w;
	int padding;
	bool align;
} grid_image;

/* The pixel at (y, x) under the padding mode (integer coordinates). */
static double pixel(const grid_image *im, int64_t y, int64_t x)
{
	if (y < 0 || y >= im->h || x < 0 || x >= im->w) {
		if (im->padding == PAD_ZEROS)
			return 0;
		if (im->padding == PAD_BORDER) {
			y = y < 0 ? 0 : (y >= im->h ? im->h - 1 : y);
			x = x < 0 ? 0 : (x >= im->w ? im->w - 1 : x);
		} else {
			double lo = im->align ? 0 : -0.5;
			double ry = reflect((double)y, lo,
			                    im->align ? (double)im->h - 1
			                              : (double)im->h - 0.5);
			double rx = reflect((double)x, lo,
			                    im->align ? (double)im->w - 1
			                              : (double)im->w - 0.5);
			y = (int64_t)floor(ry + 0.5);
			x = (int64_t)floor(rx + 0.5);
			y = y < 0 ? 0 : (y >= im->h ? im->h - 1 : y);
			x = x < 0 ? 0 : (x >= im->w ? im->w - 1 : x);
		}
	}
	return im->data[y * im->w + x];
}

static double cubic(double s, double a)
{
	s = fabs(s);
	if (s < 1)
		return ((a + 2) * s - (a + 3)) * s * s + 1;
	if (s < 2)
		return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a;
	return 0;
}

int eval_grid_sample(eval_call *c)
{
	if (!eval_has_input(c, 0) || !eval_has_input(c, 1) ||
	    c->in[0].rank != 4 || c->in[1].rank != 4 || c->in[1].dims[3] != 2 ||
	    c->in[1].dims[0] != c->in[0].dims[0])
		return eval_unsupported(c, "outside the 2-D case");
	const eval_tensor *x = &c->in[0], *grid = &c->in[1];
	if (!eval_is_float(x->elem_type))
		return eval_error(c, "needs a float input");
	const char *mode = eval_attr_string(c, "mode", "bilinear");
	const char *pad = eval_attr_string(c, "padding_mode", "zeros");
	int m = !strcmp(mode, "bilinear") || !strcmp(mode, "linear") ? 0
	        : !strcmp(mode, "nearest")                           ? 1
	        : !strcmp(mode, "bicubic") || !strcmp(mode, "cubic") ? 2
	                                                             : -1;
	int p = !strcmp(pad, "zeros")        ? PAD_ZEROS
	        : !strcmp(pad, "border")     ? PAD_BORDER
	        : !strcmp(pad, "reflection") ? PAD_REFLECTION
	                                     : -1;
	if (m < 0 || p < 0)
		return eval_unsupported(c, "mode '%s', padding '%s'", mode,
		                        pad);
	bool align = eval_attr_int(c, "align_corners", 0) != 0;
	int64_t n = x->dims[0], ch = x->dims[1], h = x->dims[2], w = x->dims[3];
	int64_t oh = grid->dims[1], ow = grid->dims[2];
	int64_t dims[4] = {n, ch, oh, ow};
	void *out = eval_output(c, 0, x->elem_type, 4, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	const double *v = eval_doubles(c, x), *g = eval_doubles(c, grid);
	double *y = eval_alloc(c, 8 * (size_t)(n * ch * oh * ow));
	for (int64_t b = 0; b < n; b++)
		for (int64_t k = 0; k < ch; k++) {
			grid_image im = {v + (b * ch + k) * h * w, h, w, p,
			                 align};
			for (int64_t i = 0; i < oh * ow; i++) {
				const double *gp = g + (b * oh * ow + i) * 2;
				double fx =
				    align ? (gp[0] + 1) / 2 * (double)(w - 1)
				          : ((gp[0] + 1) * (double)w - 1) / 2;
				double fy =
				    align ? (gp[1] + 1) / 2 * (double)(h - 1)
				          : ((gp[1] + 1) * (double)h - 1) / 2;
				/* Positions become int64 pixel indices (and
				 * reflection counts); a NaN or one past 2^52
				 * pixels is not a real grid. */
				if (!(fabs(fx) <= 0x1p52 && fabs(fy) <= 0x1p52))
					return eval_unsupported(
					    c, "with a grid position of %g, %g",
					    fx, fy);
				if (p == PAD_BORDER && m != 2) {
					fx = fmin(fmax(fx, 0), (double)(w - 1));
					fy = fmin(fmax(fy, 0), (double)(h - 1));
				} else if (p == PAD_REFLECTION && m != 2) {
					double lo = align ? 0 : -0.5;
					fx = reflect(fx, lo,
					             align ? w - 1.0 : w - 0.5);
					fy = reflect(fy, lo,
					             align ? h - 1.0 : h - 0.5);
				}
				double r = 0;
				if (m == 1) {
					r = pixel(&im, (int64_t)nearbyint(fy),
					          (int64_t)nearbyint(fx));
				} else if (m == 0) {
					double x0 = floor(fx), y0 = floor(fy);
					double ax = fx - x0, ay = fy - y0;
					int64_t ix = (int64_t)x0,
					        iy = (int64_t)y0;
					r = (1 - ay) *
					        ((1 - ax) * pixel(&im, iy, ix) +
					         ax * pixel(&im, iy, ix + 1)) +
					    ay * ((1 - ax) *
					              pixel(&im, iy + 1, ix) +
					          ax * pixel(&im, iy + 1,
					                     ix + 1));
				} else {
					double x0 = floor(fx), y0 = floor(fy);
					for (int dy = -1; dy <= 2; dy++)
						for (int dx = -1; dx <= 2; dx++)
							r += cubic(
							         fy - (y0 + dy),
							         -0.75) *
							     cubic(
							         fx - (x0 + dx),
							         -0.75) *
							     pixel(&im,
							           (int64_t)y0 +
							               dy,
							           (int64_t)x0 +
							               dx);
				}
				y[(b * ch + k) * oh * ow + i] = r;
			}
		}
	eval_store_doubles(out, x->elem_type, y, n * ch * oh * ow);
	return EVAL_OK;
}

/* ------------------------------------------------------------- RoiAlign */

static double bilinear(const double *plane, int64_t h, int64_t w, double y,
                       double x)
{
	/* Written so that NaN is outside too. */
	if (!(y >= -1.0 && y <= (double)h && x >= -1.0 && x <= (double)w))
		return 0;
	y = y < 0 ? 0 : y;
	x = x < 0 ? 0 : x;
	int64_t y0 = (int64_t)y, x0 = (int64_t)x, y1, x1;
	if (y0 >= h - 1) {
		y0 = y1 = h - 1;
		y = (double)y0;
	} else {
		y1 = y0 + 1;
	}
	if (x0 >= w - 1) {
		x0 = x1 = w - 1;
		x = (double)x0;
	} else {
		x1 = x0 + 1;
	}
	double ly = y - (double)y0, lx = x - (double)x0;
	double hy = 1 - ly, hx = 1 - lx;
	return hy * hx * plane[y0 * w + x0] + hy * lx * plane[y0 * w + x1] +
	       ly * hx * plane[y1 * w + x0] + ly * lx * plane[y1 * w + x1];
}

int eval_roi_align(eval_call *c)
{
	for (int k = 0; k < 3; k++)
		if (!eval_has_input(c, k))
			return eval_error(c, "input %d is absent", k);
	const eval_tensor *x = &c->in[0], *rois = &c->in[1];
	if (x->rank != 4 || rois->rank != 2 || rois->dims[1] != 4 ||
	    !eval_is_float(x->elem_type) || c->in[2].numel != rois->dims[0])
		return eval_error(c, "has inconsistent shapes");
	if (strcmp(eval_attr_string(c, "mode", "avg"), "avg"))
		return eval_unsupported(c, "max mode");
	/* Before opset 16 RoiAlign always worked like output_half_pixel. */
	const char *coords = eval_attr_string(
	    c, "coordinate_transformation_mode",
	    c->opset < 16 ? "output_half_pixel" : "half_pixel");
	double offset;
	if (!strcmp(coords, "half_pixel"))
		offset = 0.5;
	else if (!strcmp(coords, "output_half_pixel"))
		offset = 0;
	else
		return eval_unsupported(c, "coordinate mode '%s'", coords);
	int64_t oh = eval_attr_int(c, "output_height", 1);
	int64_t ow = eval_attr_int(c, "output_width", 1);
	int64_t ratio = eval_attr_int(c, "sampling_ratio", 0);
	/* The bound of adaptive sampling below. */
	if (ratio > 4096)
		return eval_unsupported(c, "with sampling_ratio %lld",
		                        (long long)ratio);
	double scale = eval_attr_float(c, "spatial_scale", 1.0f);
	int64_t n_rois = rois->dims[0], ch = x->dims[1];
	int64_t h = x->dims[2], w = x->dims[3];
	const int64_t *batch;
	int64_t nb;
	if (!eval_input_ints(c, 2, &batch, &nb))
		return EVAL_ERROR;
	int64_t dims[4] = {n_rois, ch, oh, ow};
	void *out = eval_output(c, 0, x->elem_type, 4, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	const double *v = eval_doubles(c, x), *r = eval_doubles(c, rois);
	double *y = eval_alloc(c, 8 * (size_t)(n_rois * ch * oh * ow));
	for (int64_t i = 0; i < n_rois; i++) {
		if (batch[i] < 0 || batch[i] >= x->dims[0])
			return eval_error(c, "batch index out of range");
		double x1 = r[i * 4] * scale - offset;
		double y1 = r[i * 4 + 1] * scale - offset;
		double x2 = r[i * 4 + 2] * scale - offset;
		double y2 = r[i * 4 + 3] * scale - offset;
		if (!isfinite(x2 - x1) || !isfinite(y2 - y1))
			return eval_unsupported(c, "with a region that is not "
			                           "finite");
		double rw = x2 - x1, rh = y2 - y1;
		if (offset == 0) { /* legacy: at least one pixel */
			rw = fmax(rw, 1.0);
			rh = fmax(rh, 1.0);
		}
		double bh = rh / (double)oh, bw = rw / (double)ow;
		double ry = ceil(rh / (double)oh), rx = ceil(rw / (double)ow);
		/* Adaptive sampling takes ceil(bin size) samples a bin: a
		 * region past any sane size is not folded. */
		if (ratio <= 0 && !(ry <= 4096 && rx <= 4096))
			return eval_unsupported(c, "with a region of %g x %g "
			                           "samples a bin",
			                        ry, rx);
		/* A region of negative size takes no samples, however far
		 * below zero it is. */
		int64_t sy = ratio > 0 ? ratio : ry > 0 ? (int64_t)ry : 0;
		int64_t sx = ratio > 0 ? ratio : rx > 0 ? (int64_t)rx : 0;
		double count = (double)((sy > 0 ? sy : 1) * (sx > 0 ? sx : 1));
		for (int64_t k = 0; k < ch; k++) {
			const double *plane = v + (batch[i] * ch + k) * h * w;
			for (int64_t py = 0; py < oh; py++)
				for (int64_t px = 0; px < ow; px++) {
					double sum = 0;
					for (int64_t iy = 0; iy < sy; iy++)
						for (int64_t ix = 0; ix < sx;
						     ix++) {
							double yy =
							    y1 +
							    (double)py * bh +
							    ((double)iy + 0.5) *
							        bh / (double)sy;
							double xx =
							    x1 +
							    (double)px * bw +
							    ((double)ix + 0.5) *
							        bw / (double)sx;
							sum +=
							    bilinear(plane, h,
							             w, yy, xx);
						}
					y[((i * ch + k) * oh + py) * ow + px] =
					    sum / count;
				}
		}
	}
	eval_store_doubles(out, x->elem_type, y, n_rois * ch * oh * ow);
	return EVAL_OK;
}

/* ---------------------------------------------------- NonMaxSuppression */

/* Corners (y1, x1, y2, x2), in either order, or a centre box. */
static void corners(const double *b, bool center, double *out)
{
	if (center) {
		out[0] = b[1] - b[3] / 2;
		out[1] = b[0] - b[2] / 2;
		out[2] = b[1] + b[3] / 2;
		out[3] = b[0] + b[2] / 2;
		return;
	}
	out[0] = fmin(b[0], b[2]);
	out[1] = fmin(b[1], b[3]);
	out[2] = fmax(b[0], b[2]);
	out[3] = fmax(b[1], b[3]);
}

static double iou(const double *a, const double *b)
{
	double ih = fmin(a[2], b[2]) - fmax(a[0], b[0]);
	double iw = fmin(a[3], b[3]) - fmax(a[1], b[1]);
	if (ih <= 0 || iw <= 0)
		return 0;
	double inter = ih * iw;
	double area_a = (a[2] - a[0]) * (a[3] - a[1]);
	double area_b = (b[2] - b[0]) * (b[3] - b[1]);
	double uni = area_a + area_b - inter;
	return uni > 0 ? inter / uni : 0;
}

int eval_non_max_suppression(eval_call *c)
{
	if (!eval_has_input(c, 0) || !eval_has_input(c, 1))
		return eval_error(c, "needs boxes and scores");
	const eval_tensor *boxes = &c->in[0], *scores = &c->in[1];
	if (boxes->rank != 3 || boxes->dims[2] != 4 || scores->rank != 3 ||
	    scores->dims[0] != boxes->dims[0] ||
	    scores->dims[2] != boxes->dims[1])
		return eval_error(c, "has inconsistent shapes");
	int64_t max_out = 0;
	double iou_threshold = 0, score_threshold = -INFINITY;
	if (eval_has_input(c, 2) && c->in[2].numel) {
		const int64_t *v;
		int64_t n;
		if (!eval_input_ints(c, 2, &v, &n))
			return EVAL_ERROR;
		max_out = v[0];
	}
	if (eval_has_input(c, 3) && c->in[3].numel &&
	    !eval_input_scalar(c, 3, &iou_threshold))
		return EVAL_ERROR;
	if (eval_has_input(c, 4) && c->in[4].numel &&
	    !eval_input_scalar(c, 4, &score_threshold))
		return EVAL_ERROR;
	bool center = eval_attr_int(c, "center_point_box", 0) != 0;
	int64_t batches = boxes->dims[0], n = boxes->dims[1];
	int64_t classes = scores->dims[1];
	const double *bv = eval_doubles(c, boxes),
	             *sv = eval_doubles(c, scores);
	double *box = eval_alloc(c, 8 * (size_t)(batches * n * 4));
	for (int64_t i = 0; i < batches * n; i++)
		corners(bv + i * 4, center, box + i * 4);
	int64_t cap = batches * classes * (max_out < n ? max_out : n);
	int64_t *picked = eval_alloc(c, 8 * (size_t)(3 * (cap > 0 ? cap : 1)));
	int64_t *order = eval_alloc(c, 8 * (size_t)n);
	int64_t *kept = eval_alloc(c, 8 * (size_t)n);
	int64_t found = 0;
	for (int64_t b = 0; b < batches; b++)
		for (int64_t k = 0; k < classes && max_out > 0; k++) {
			const double *s = sv + (b * classes + k) * n;
			int64_t m = 0, n_kept = 0;
			for (int64_t i = 0; i < n; i++)
				if (s[i] > score_threshold)
					order[m++] = i;
			/* Stable insertion sort by descending score. */
			for (int64_t i = 1; i < m; i++) {
				int64_t t = order[i], j = i;
				for (; j > 0 && s[order[j - 1]] < s[t]; j--)
					order[j] = order[j - 1];
				order[j] = t;
			}
			for (int64_t i = 0; i < m && n_kept < max_out; i++) {
				const double *cand =
				    box + (b * n + order[i]) * 4;
				bool keep = true;
				for (int64_t j = 0; j < n_kept && keep; j++)
					keep =
					    iou(cand,
					        box + (b * n + kept[j]) * 4) <=
					    iou_threshold;
				if (!keep)
					continue;
				kept[n_kept++] = order[i];
				picked[found * 3] = b;
				picked[found * 3 + 1] = k;
				picked[found * 3 + 2] = order[i];
				found++;
			}
		}
	int64_t dims[2] = {found, 3};
	int64_t *out = eval_output(c, 0, IR_INT64, 2, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	memcpy(out, picked, sizeof *out * (size_t)(found * 3));
	return EVAL_OK;
}
