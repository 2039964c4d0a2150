/*
 * spatial.h - sliding-window geometry shared by convolution and pooling
 * (internal to analysis/eval/).
 *
 * From the input's spatial dims and a node's kernel_shape, strides,
 * dilations, pads, auto_pad and ceil_mode attributes, spatial_setup
 * derives each output dim and the padding before it, exactly as the
 * operator specs define them. Kernels then map output position o and
 * kernel tap k to input position o*stride - pad_begin + k*dilation.
 */
#ifndef ONNXOPT_EVAL_SPATIAL_H
#define ONNXOPT_EVAL_SPATIAL_H

#include "eval.h"

/* The most a kernel dim, stride, dilation or pad may be: real models stay
 * far below, and the geometry's arithmetic relies on it. */
#define SPATIAL_MAX_ATTR ((int64_t)1 << 30)

/* The most entries a tap table (or ConvTranspose's target table) may
 * have, 2 GiB: past it the kernels' loops over taps and positions would
 * run for minutes anyway. */
#define SPATIAL_MAX_TABLE ((int64_t)1 << 28)

typedef struct spatial {
	int n;                     /* number of spatial dims */
	int64_t in[EVAL_MAX_RANK]; /* input spatial dims */
	int64_t kernel[EVAL_MAX_RANK];
	int64_t stride[EVAL_MAX_RANK];
	int64_t dilation[EVAL_MAX_RANK];
	int64_t pad_begin[EVAL_MAX_RANK];
	int64_t pad_end[EVAL_MAX_RANK];
	int64_t out[EVAL_MAX_RANK];
} spatial;

/* x is [N, C, d1, ...]; kernel dims come from the attribute or, when
 * absent, from `kernel` (a weight's trailing dims; NULL for pools).
 * `ceil_mode` is read only when `pooling` is true. False with a reason. */
bool spatial_setup(eval_call *c, const eval_tensor *x, const int64_t *kernel,
                   bool pooling, spatial *s);

/* Total number of output positions and of kernel taps. */
int64_t spatial_out_count(const spatial *s);
int64_t spatial_kernel_count(const spatial *s);

/* For kernel tap `tap` (row-major over kernel dims) at output position
 * `pos` (row-major over out dims): the flat input offset, or -1 when the
 * tap falls in the padding. */
int64_t spatial_input_offset(const spatial *s, int64_t pos, int64_t tap);

/* Precomputed taps, tap-major: entry [tap * out_count + pos] is the input
 * offset of that tap at that output position (-1 in padding), so a loop
 * over positions for one tap reads the table contiguously. NULL (with a
 * reason) past SPATIAL_MAX_TABLE entries. */
int64_t *spatial_tap_table(eval_call *c, const spatial *s);

#endif
