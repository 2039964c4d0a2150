/*
 * conv.c - convolutions: Conv, ConvInteger, QLinearConv, ConvTranspose.
 *
 * Conv walks, for each output channel, input channel and kernel tap, all
 * output positions at once through the tap table of spatial.c, so the
 * innermost loop is a multiply-add over a contiguous row with no
 * branches on geometry other than the padding test. ConvTranspose
 * scatters each input element through the kernel instead. Floats
 * accumulate in double, integers exactly in 64 bits.
 */
#include <math.h>
#include <string.h>

#include "spatial.h"

typedef struct conv_args {
	const eval_tensor *x, *w;
	int64_t batch, channels, maps, group;
	spatial s;
} conv_args;

/* Shapes and attributes shared by the Conv family. */
static bool conv_setup(eval_call *c, int x_index, int w_index, conv_args *a)
{
	if (!eval_has_input(c, x_index) || !eval_has_input(c, w_index)) {
		eval_error(c, "needs X and W");
		return false;
	}
	a->x = &c->in[x_index];
	a->w = &c->in[w_index];
	if (a->w->rank != a->x->rank || a->x->rank < 3) {
		eval_error(c, "X and W must have one rank >= 3");
		return false;
	}
	a->group = eval_attr_int(c, "group", 1);
	a->batch = a->x->dims[0];
	a->channels = a->x->dims[1];
	a->maps = a->w->dims[0];
	if (a->group < 1 || a->channels % a->group || a->maps % a->group ||
	    a->w->dims[1] != a->channels / a->group) {
		eval_error(c, "channels do not match the groups");
		return false;
	}
	if (!spatial_setup(c, a->x, a->w->dims + 2, false, &a->s))
		return false;
	/* The taps index W by the kernel dims, so kernel_shape must be
	 * W's. */
	for (int i = 0; i < a->s.n; i++)
		if (a->s.kernel[i] != a->w->dims[2 + i]) {
			eval_error(c, "kernel_shape does not match W");
			return false;
		}
	return true;
}

/* out[N, M, outs] = sum over group channels and taps of x * w, in wide
 * type T (double or int64 arithmetic, both through the same loop). */
#define CONV_LOOP(T)                                                              \
	{                                                                         \
		const T *xv = xw, *wv = ww;                                       \
		T *y = acc;                                                       \
		for (int64_t n = 0; n < a->batch; n++)                            \
			for (int64_t m = 0; m < a->maps; m++) {                   \
				int64_t g = m / maps_per_group;                   \
				T *row = y + (n * a->maps + m) * outs;            \
				for (int64_t cc = 0; cc < per_group; cc++) {      \
					const T *plane =                          \
					    xv + (n * a->channels +               \
					          g * per_group + cc) *           \
					             in_plane;                    \
					const T *k =                              \
					    wv + (m * per_group + cc) * taps;     \
					for (int64_t t = 0; t < taps; t++) {      \
						const int64_t *at =               \
						    table + t * outs;             \
						T kt = k[t];                      \
						for (int64_t p = 0; p < outs;     \
						     p++)                         \
							if (at[p] >= 0)           \
								row[p] +=         \
								    plane         \
								        [at[p]] * \
								    kt;           \
					}                                         \
				}                                                 \
			}                                                         \
	}

/* Float convolution as matrix products: per image and group, the taps
 * of every input channel are gathered into columns (im2col) and
 * out[maps x outs] += W[maps x channels*taps] * columns. The sums are the
 * direct loop's, in the order of eval_matrix_product. */
static void convolve_by_product(const conv_args *a, const double *xv,
                                const double *wv, const int64_t *table,
                                double *y, double *columns)
{
	int64_t outs = spatial_out_count(&a->s),
	        taps = spatial_kernel_count(&a->s);
	int64_t in_plane = eval_numel(a->s.in, a->s.n);
	int64_t per_group = a->channels / a->group;
	int64_t maps_per_group = a->maps / a->group;
	for (int64_t n = 0; n < a->batch; n++)
		for (int64_t g = 0; g < a->group; g++) {
			for (int64_t cc = 0; cc < per_group; cc++) {
				const double *plane =
				    xv +
				    (n * a->channels + g * per_group + cc) *
				        in_plane;
				for (int64_t t = 0; t < taps; t++) {
					const int64_t *at = table + t * outs;
					double *col =
					    columns + (cc * taps + t) * outs;
					for (int64_t p = 0; p < outs; p++)
						col[p] = at[p] >= 0
						             ? plane[at[p]]
						             : 0;
				}
			}
			eval_matrix_product(
			    y + (n * a->maps + g * maps_per_group) * outs,
			    wv + g * maps_per_group * per_group * taps, columns,
			    maps_per_group, per_group * taps, outs);
		}
}

/* Columns above this many bytes are not worth the memory: the direct
 * loop runs instead. */
enum { CONV_COLUMNS_MAX_BYTES = 256 << 20 };

/* Runs the convolution on widened data; acc has N*M*outs wide slots. */
static void convolve(eval_call *c, const conv_args *a, bool is_float,
                     const void *xw, const void *ww, const int64_t *table,
                     void *acc)
{
	int64_t outs = spatial_out_count(&a->s),
	        taps = spatial_kernel_count(&a->s);
	int64_t in_plane = eval_numel(a->s.in, a->s.n);
	int64_t per_group = a->channels / a->group;
	int64_t maps_per_group = a->maps / a->group;
	double column_bytes =
	    8.0 * (double)per_group * (double)taps * (double)outs;
	/* A padded tap is skipped by the direct loop but multiplied by 0 in
	 * a product, which differs only for weights that are NaN or
	 * infinite. */
	bool finite_weights = is_float;
	const double *wd = ww;
	for (int64_t i = 0; finite_weights && i < a->w->numel; i++)
		finite_weights = isfinite(wd[i]);
	if (finite_weights && column_bytes <= CONV_COLUMNS_MAX_BYTES) {
		convolve_by_product(a, xw, ww, table, acc,
		                    eval_alloc(c, (size_t)column_bytes));
		return;
	}
	if (is_float)
		CONV_LOOP(double)
	else
		CONV_LOOP(int64_t)
}
#undef CONV_LOOP

static void conv_out_dims(const conv_args *a, int64_t *dims)
{
	dims[0] = a->batch;
	dims[1] = a->maps;
	memcpy(dims + 2, a->s.out, sizeof(int64_t) * (size_t)a->s.n);
}

int eval_conv(eval_call *c)
{
	conv_args a;
	if (!conv_setup(c, 0, 1, &a))
		return c->failure;
	int type = a.x->elem_type;
	if (!eval_is_float(type) || a.w->elem_type != type)
		return eval_unsupported(c, "on %s", ir_elem_name(type));
	int64_t dims[EVAL_MAX_RANK];
	conv_out_dims(&a, dims);
	void *out = eval_output(c, 0, type, a.x->rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t outs = spatial_out_count(&a.s), total = a.batch * a.maps * outs;
	double *acc = eval_alloc(c, 8 * (size_t)total);
	if (eval_has_input(c, 2)) {
		if (c->in[2].numel != a.maps)
			return eval_error(c, "B must have one entry per map");
		const double *b = eval_doubles(c, &c->in[2]);
		for (int64_t i = 0; i < total; i++)
			acc[i] = b[(i / outs) % a.maps];
	}
	const int64_t *table = spatial_tap_table(c, &a.s);
	if (!table)
		return c->failure;
	convolve(c, &a, true, eval_doubles(c, a.x), eval_doubles(c, a.w),
	         table, acc);
	eval_store_doubles(out, type, acc, total);
	return EVAL_OK;
}

static bool is_8bit(int elem_type)
{
	return elem_type == IR_INT8 || elem_type == IR_UINT8;
}

/* x or w minus its zero point (scalar, or per output map for w). */
static int64_t *shifted(eval_call *c, const eval_tensor *t, int zp_index,
                        int64_t per)
{
	int64_t *v = eval_int64s(c, t);
	if (!eval_has_input(c, zp_index))
		return v;
	const eval_tensor *zp = &c->in[zp_index];
	/* Zero points are 8-bit like the data, which keeps v - z and
	 * the sums of products exact in int64. */
	if (!is_8bit(zp->elem_type)) {
		eval_unsupported(c, "with a %s zero point",
		                 ir_elem_name(zp->elem_type));
		return NULL;
	}
	const int64_t *z = eval_int64s(c, zp);
	if (zp->numel != 1 && zp->numel * per != t->numel) {
		eval_unsupported(c, "zero point of %lld entries",
		                 (long long)zp->numel);
		return NULL;
	}
	for (int64_t i = 0; i < t->numel; i++)
		v[i] -= z[zp->numel == 1 ? 0 : i / per];
	return v;
}

/* The integer convolution of ConvInteger and QLinearConv, into int64. */
static int64_t *integer_conv(eval_call *c, const conv_args *a, int x_zp,
                             int w_zp)
{
	int64_t outs = spatial_out_count(&a->s);
	int64_t per_map = a->w->numel / (a->maps ? a->maps : 1);
	const int64_t *xv = shifted(c, a->x, x_zp, a->x->numel);
	const int64_t *wv = shifted(c, a->w, w_zp, per_map);
	if (!xv || !wv)
		return NULL;
	const int64_t *table = spatial_tap_table(c, &a->s);
	if (!table)
		return NULL;
	int64_t *acc = eval_alloc(c, 8 * (size_t)(a->batch * a->maps * outs));
	convolve(c, a, false, xv, wv, table, acc);
	return acc;
}

int eval_conv_integer(eval_call *c)
{
	conv_args a;
	if (!conv_setup(c, 0, 1, &a))
		return c->failure;
	if (!eval_is_integer(a.x->elem_type) ||
	    !eval_is_integer(a.w->elem_type))
		return eval_error(c, "needs integer inputs");
	/* ONNX allows only 8-bit inputs; wider ones could overflow the
	 * int64 sums. */
	if (!is_8bit(a.x->elem_type) || !is_8bit(a.w->elem_type))
		return eval_unsupported(c, "on %s",
		                        ir_elem_name(a.x->elem_type));
	int64_t dims[EVAL_MAX_RANK];
	conv_out_dims(&a, dims);
	void *out = eval_output(c, 0, IR_INT32, a.x->rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	const int64_t *acc = integer_conv(c, &a, 2, 3);
	if (!acc)
		return EVAL_UNSUPPORTED;
	eval_store_int64s(out, IR_INT32, acc,
	                  a.batch * a.maps * spatial_out_count(&a.s));
	return EVAL_OK;
}

/* y = saturate(round(conv * x_scale * w_scale / y_scale) + y_zp). */
int eval_qlinear_conv(eval_call *c)
{
	conv_args a;
	for (int k = 0; k < 8; k++)
		if (!eval_has_input(c, k))
			return eval_error(c, "input %d is absent", k);
	if (!conv_setup(c, 0, 3, &a))
		return c->failure;
	int type = c->in[7].elem_type;
	if (type != IR_UINT8 && type != IR_INT8)
		return eval_unsupported(c, "to %s", ir_elem_name(type));
	/* 8-bit data and an int32 bias, as ONNX requires, keep the int64
	 * sums exact. */
	if (!is_8bit(a.x->elem_type) || !is_8bit(a.w->elem_type) ||
	    (eval_has_input(c, 8) && c->in[8].elem_type != IR_INT32))
		return eval_unsupported(c, "on %s",
		                        ir_elem_name(a.x->elem_type));
	if (c->in[1].numel != 1 || c->in[6].numel != 1 || c->in[7].numel != 1 ||
	    (c->in[4].numel != 1 && c->in[4].numel != a.maps))
		return eval_unsupported(c, "with these scale shapes");
	int64_t dims[EVAL_MAX_RANK];
	conv_out_dims(&a, dims);
	void *out = eval_output(c, 0, type, a.x->rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t *acc = integer_conv(c, &a, 2, 5);
	if (!acc)
		return EVAL_UNSUPPORTED;
	int64_t outs = spatial_out_count(&a.s), total = a.batch * a.maps * outs;
	if (eval_has_input(c, 8)) {
		const int64_t *b = eval_int64s(c, &c->in[8]);
		if (c->in[8].numel != a.maps)
			return eval_error(c, "B must have one entry per map");
		for (int64_t i = 0; i < total; i++)
			acc[i] += b[(i / outs) % a.maps];
	}
	double xs = eval_doubles(c, &c->in[1])[0];
	const double *ws = eval_doubles(c, &c->in[4]);
	double ys = eval_doubles(c, &c->in[6])[0];
	double zy = eval_doubles(c, &c->in[7])[0];
	double lo = type == IR_UINT8 ? 0 : -128,
	       hi = type == IR_UINT8 ? 255 : 127;
	double *y = eval_alloc(c, 8 * (size_t)total);
	for (int64_t i = 0; i < total; i++) {
		int64_t m = (i / outs) % a.maps;
		double scale = xs * ws[c->in[4].numel == 1 ? 0 : m] / ys;
		double r = nearbyint((double)acc[i] * scale) + zy;
		y[i] = r < lo ? lo : (r > hi ? hi : r);
	}
	eval_store_doubles(out, type, y, total);
	return EVAL_OK;
}

/* ------------------------------------------------------- ConvTranspose */

int eval_conv_transpose(eval_call *c)
{
	if (!eval_has_input(c, 0) || !eval_has_input(c, 1))
		return eval_error(c, "needs X and W");
	const eval_tensor *x = &c->in[0], *w = &c->in[1];
	int type = x->elem_type;
	if (!eval_is_float(type) || w->elem_type != type ||
	    w->rank != x->rank || x->rank < 3)
		return eval_error(c, "needs float X and W of one rank >= 3");
	int n = x->rank - 2;
	int64_t group = eval_attr_int(c, "group", 1);
	int64_t channels = x->dims[1];
	if (group < 1 || channels % group || w->dims[0] != channels)
		return eval_error(c, "channels do not match the groups");
	int64_t maps_per_group = w->dims[1], maps = maps_per_group * group;
	int64_t kernel[EVAL_MAX_RANK], stride[EVAL_MAX_RANK];
	int64_t dil[EVAL_MAX_RANK], out_pad[EVAL_MAX_RANK];
	int64_t begin[EVAL_MAX_RANK], end[EVAL_MAX_RANK], out[EVAL_MAX_RANK];
	const int64_t *v;
	int k;
	for (int i = 0; i < n; i++) {
		kernel[i] = w->dims[2 + i];
		stride[i] = dil[i] = 1;
		out_pad[i] = begin[i] = end[i] = 0;
	}
#define READ(name, dst, count)                                                 \
	if ((k = eval_attr_ints(c, name, &v)) >= 0) {                          \
		if (k != (count))                                              \
			return eval_error(c, name " has %d entries", k);       \
		for (int i = 0; i < (count); i++)                              \
			dst[i] = v[i];                                         \
	}
	READ("kernel_shape", kernel, n)
	READ("strides", stride, n)
	READ("dilations", dil, n)
	READ("output_padding", out_pad, n)
	int64_t pads[2 * EVAL_MAX_RANK] = {0};
	READ("pads", pads, 2 * n)
#undef READ
	/* The taps index W by its dims. Bounded attributes (with in <
	 * 2^62, as tensors in memory have) keep the sums below in range;
	 * the products with in are checked. */
	for (int i = 0; i < n; i++) {
		if (kernel[i] != w->dims[2 + i])
			return eval_error(c, "kernel_shape does not match W");
		if (stride[i] < 1 || stride[i] > SPATIAL_MAX_ATTR ||
		    dil[i] < 1 || dil[i] > SPATIAL_MAX_ATTR ||
		    out_pad[i] < -SPATIAL_MAX_ATTR ||
		    out_pad[i] > SPATIAL_MAX_ATTR || pads[i] < -SPATIAL_MAX_ATTR ||
		    pads[i] > SPATIAL_MAX_ATTR ||
		    pads[i + n] < -SPATIAL_MAX_ATTR ||
		    pads[i + n] > SPATIAL_MAX_ATTR || kernel[i] > SPATIAL_MAX_ATTR)
			return eval_unsupported(c, "has a stride or dilation "
			                           "< 1, or an attribute above "
			                           "2^30");
	}
	const char *auto_pad = eval_attr_string(c, "auto_pad", "NOTSET");
	const int64_t *shape;
	int n_shape = eval_attr_ints(c, "output_shape", &shape);
	if (n_shape >= 0 && n_shape != n && n_shape != n + 2)
		return eval_error(c, "output_shape has %d entries", n_shape);
	for (int i = 0; i < n; i++) {
		int64_t in = x->dims[2 + i], full, scaled;
		if (__builtin_mul_overflow(stride[i], in - 1, &full) ||
		    __builtin_mul_overflow(stride[i], in, &scaled) ||
		    full > INT64_MAX / 2 || full < -(INT64_MAX / 2))
			return eval_unsupported(c, "output dim overflows");
		full += out_pad[i] + (kernel[i] - 1) * dil[i] + 1;
		bool same = !strncmp(auto_pad, "SAME", 4);
		if (n_shape >= 0 || same) {
			int64_t want =
			    n_shape >= 0 ? shape[n_shape - n + i] : scaled;
			if (want < 0)
				return eval_error(c, "output dim is negative");
			if (want > INT64_MAX / 2)
				return eval_unsupported(c, "output dim %lld",
				                        (long long)want);
			int64_t total = full - want;
			if (total < 0)
				total = 0;
			bool upper = strcmp(auto_pad, "SAME_LOWER") != 0;
			begin[i] = upper ? total / 2 : total - total / 2;
			end[i] = total - begin[i];
			out[i] = want;
		} else {
			if (strcmp(auto_pad, "NOTSET") &&
			    strcmp(auto_pad, "VALID"))
				return eval_unsupported(c, "auto_pad '%s'",
				                        auto_pad);
			if (!strcmp(auto_pad, "NOTSET")) {
				begin[i] = pads[i];
				end[i] = pads[i + n];
			}
			out[i] = full - begin[i] - end[i];
		}
		if (out[i] < 0)
			return eval_error(c, "output dim is negative");
	}
	int64_t dims[EVAL_MAX_RANK];
	dims[0] = x->dims[0];
	dims[1] = maps;
	memcpy(dims + 2, out, sizeof(int64_t) * (size_t)n);
	void *result = eval_output(c, 0, type, x->rank, dims);
	if (!result)
		return EVAL_UNSUPPORTED;
	int64_t outs = eval_numel(out, n), ins = eval_numel(x->dims + 2, n);
	int64_t taps = eval_numel(kernel, n);
	int64_t total = dims[0] * maps * outs;
	double *acc = eval_alloc(c, 8 * (size_t)total);
	if (eval_has_input(c, 2)) {
		if (c->in[2].numel != maps)
			return eval_error(c, "B must have one entry per map");
		const double *b = eval_doubles(c, &c->in[2]);
		for (int64_t i = 0; i < total; i++)
			acc[i] = b[(i / outs) % maps];
	}
	/* target[i * taps + t]: where input position i lands through tap t
	 * (-1 outside the output). */
	int64_t entries;
	if (__builtin_mul_overflow(ins, taps, &entries) ||
	    entries > SPATIAL_MAX_TABLE)
		return eval_unsupported(c, "needs a table of %lld x %lld "
		                           "entries",
		                        (long long)ins, (long long)taps);
	int64_t *target = eval_alloc(c, 8 * (size_t)entries);
	for (int64_t i = 0; i < ins; i++)
		for (int64_t t = 0; t < taps; t++) {
			int64_t pos = i, tap = t, at = 0, scale = 1;
			bool inside = true;
			for (int d = n - 1; d >= 0; d--) {
				int64_t p = pos % x->dims[2 + d];
				int64_t q = tap % kernel[d];
				pos /= x->dims[2 + d];
				tap /= kernel[d];
				int64_t o =
				    p * stride[d] - begin[d] + q * dil[d];
				if (o < 0 || o >= out[d]) {
					inside = false;
					break;
				}
				at += o * scale;
				scale *= out[d];
			}
			target[i * taps + t] = inside ? at : -1;
		}
	const double *xv = eval_doubles(c, x), *wv = eval_doubles(c, w);
	int64_t per_group = channels / group;
	for (int64_t b = 0; b < dims[0]; b++)
		for (int64_t ch = 0; ch < channels; ch++) {
			int64_t g = ch / per_group;
			const double *plane = xv + (b * channels + ch) * ins;
			for (int64_t m = 0; m < maps_per_group; m++) {
				double *row =
				    acc +
				    (b * maps + g * maps_per_group + m) * outs;
				const double *kw =
				    wv + (ch * maps_per_group + m) * taps;
				for (int64_t i = 0; i < ins; i++)
					for (int64_t t = 0; t < taps; t++) {
						int64_t at =
						    target[i * taps + t];
						if (at >= 0)
							row[at] +=
							    plane[i] * kw[t];
					}
			}
		}
	eval_store_doubles(result, type, acc, total);
	return EVAL_OK;
}

/* --------------------------------------------------------------- Col2Im */

/* The inverse of an im2col: input [N, C * prod(block), L] holds L blocks;
 * each block element adds into the image position it came from. */
int eval_col2im(eval_call *c)
{
	if (!eval_has_input(c, 0) || c->in[0].rank != 3 ||
	    !eval_is_float(c->in[0].elem_type))
		return eval_error(c, "needs a float [N, C*K, L] input");
	const eval_tensor *x = &c->in[0];
	const int64_t *image, *block;
	int64_t n_image, n_block;
	if (!eval_input_ints(c, 1, &image, &n_image) ||
	    !eval_input_ints(c, 2, &block, &n_block) || n_image != n_block ||
	    n_image < 1 || n_image > EVAL_MAX_RANK - 2)
		return eval_error(c, "image_shape and block_shape must match");
	int n = (int)n_image;
	int64_t stride[EVAL_MAX_RANK], dil[EVAL_MAX_RANK];
	int64_t pads[2 * EVAL_MAX_RANK] = {0}, blocks[EVAL_MAX_RANK];
	const int64_t *v;
	int k;
	for (int i = 0; i < n; i++)
		stride[i] = dil[i] = 1;
	if ((k = eval_attr_ints(c, "strides", &v)) >= 0) {
		if (k != n)
			return eval_error(c, "strides has %d entries", k);
		memcpy(stride, v, sizeof *v * (size_t)n);
	}
	if ((k = eval_attr_ints(c, "dilations", &v)) >= 0) {
		if (k != n)
			return eval_error(c, "dilations has %d entries", k);
		memcpy(dil, v, sizeof *v * (size_t)n);
	}
	if ((k = eval_attr_ints(c, "pads", &v)) >= 0) {
		if (k != 2 * n)
			return eval_error(c, "pads has %d entries", k);
		memcpy(pads, v, sizeof *v * (size_t)(2 * n));
	}
	int64_t taps = eval_numel(block, n), count = 1;
	for (int i = 0; i < n; i++) {
		if (block[i] < 1 || stride[i] < 1 || dil[i] < 1)
			return eval_error(c, "blocks do not fit the image");
		/* Bounded attributes keep span, room and the positions below
		 * in range; the image dims are bounded by the output. */
		if (block[i] > SPATIAL_MAX_ATTR || stride[i] > SPATIAL_MAX_ATTR ||
		    dil[i] > SPATIAL_MAX_ATTR || pads[i] < -SPATIAL_MAX_ATTR ||
		    pads[i] > SPATIAL_MAX_ATTR ||
		    pads[i + n] < -SPATIAL_MAX_ATTR ||
		    pads[i + n] > SPATIAL_MAX_ATTR || image[i] < 0 ||
		    image[i] > INT64_MAX / 2)
			return eval_unsupported(c, "has a block, stride, "
			                           "dilation, pad or image dim "
			                           "out of range");
		int64_t span = (block[i] - 1) * dil[i] + 1;
		int64_t room = image[i] + pads[i] + pads[i + n] - span;
		if (room < 0)
			return eval_error(c, "blocks do not fit the image");
		blocks[i] = room / stride[i] + 1;
		if (__builtin_mul_overflow(count, blocks[i], &count))
			return eval_error(c, "input does not hold C * K x L "
			                     "blocks");
	}
	if (x->dims[1] % taps || x->dims[2] != count)
		return eval_error(c, "input does not hold C * K x L blocks");
	int64_t channels = x->dims[1] / taps;
	int64_t dims[EVAL_MAX_RANK];
	dims[0] = x->dims[0];
	dims[1] = channels;
	memcpy(dims + 2, image, sizeof(int64_t) * (size_t)n);
	void *out = eval_output(c, 0, x->elem_type, n + 2, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t plane = eval_numel(image, n),
	        total = dims[0] * channels * plane;
	const double *xv = eval_doubles(c, x);
	double *y = eval_alloc(c, 8 * (size_t)total);
	for (int64_t b = 0; b < count; b++)
		for (int64_t t = 0; t < taps; t++) {
			/* Where block b's tap t lands, or -1 in the padding. */
			int64_t bb = b, tt = t, at = 0, scale = 1;
			bool inside = true;
			for (int d = n - 1; d >= 0; d--) {
				int64_t pos = (bb % blocks[d]) * stride[d] -
				              pads[d] +
				              (tt % block[d]) * dil[d];
				bb /= blocks[d];
				tt /= block[d];
				if (pos < 0 || pos >= image[d]) {
					inside = false;
					break;
				}
				at += pos * scale;
				scale *= image[d];
			}
			if (!inside)
				continue;
			for (int64_t s = 0; s < dims[0]; s++)
				for (int64_t ch = 0; ch < channels; ch++)
					y[(s * channels + ch) * plane + at] +=
					    xv[(s * x->dims[1] + ch * taps +
					        t) *
					           count +
					       b];
		}
	eval_store_doubles(out, x->elem_type, y, total);
	return EVAL_OK;
}
