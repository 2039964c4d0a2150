/*
 * fuse_bn_into_conv.c - fold an inference-mode BatchNormalization into the
 * Conv, ConvTranspose, Gemm or MatMul that feeds it.
 *
 *   before:  x -> Conv(W, b) -> t -> BatchNormalization(s, B, mean, var) -> y
 *   after:   x -> Conv(W', b') -> y
 *
 *   with, per output channel c:  f[c] = s[c] / sqrt(var[c] + epsilon)
 *                                W'[c, ...] = W[c, ...] * f[c]
 *                                b'[c] = (b[c] - mean[c]) * f[c] + B[c]
 *
 * The new weights are computed here, in double and rounded once to the
 * weights' dtype, so no arithmetic node is left behind. The producer is
 * rewritten in place (Conv, ConvTranspose, Gemm) or replaced by a Gemm
 * (2-D MatMul), and it takes over the definition of y.
 *
 * Where the output channel lives in the weights:
 *   Conv           W [C_out, C_in/group, k...]: axis 0.
 *   ConvTranspose  W [C_in, C_out/group, k...]: element [i, j, ...] feeds
 *                  channel (i / (C_in/group)) * (C_out/group) + j.
 *   Gemm           B [K, N] (transB = 0) or [N, K] (transB = 1); the bias
 *                  becomes C' = (beta*C - mean)*f + B, and beta becomes 1.
 *   MatMul         x [M, K] @ W [K, N] -> Gemm(x, W', b').
 *
 * Legality:
 *  - BatchNormalization is in inference form at the model's opset: is_test
 *    = 1 before opset 7, spatial = 1 before opset 9, training_mode = 0 from
 *    opset 14, and no output but Y is read.
 *  - t is read only by the BatchNormalization and is not a graph output.
 *  - The weights, the old bias and the four BN parameters are constants
 *    (initializers that are not graph inputs, or Constant nodes); the BN
 *    parameters have one element per output channel; the weights are
 *    float, double or float16.
 *  - New initializers are created; an old one goes only if nothing else
 *    reads it, so shared weights are never changed under another reader.
 *  - Gemm: C is absent or one value per channel ([N], [1, N], [1], []).
 *    MatMul: x is known to be 2-D and W is the 2-D constant second input.
 *  - The producer and the BN are standard-domain nodes of one graph.
 */
#include <math.h>
#include <stdlib.h>

#include "ir_arena.h"
#include "match.h"
#include "pass.h"

/* BN(t)[c] = t * factor[c] + shift[c]. */
typedef struct bn_affine {
	int64_t channels;
	double *factor, *shift;
} bn_affine;

static bool bn_is_inference(match *m, const ir_node *bn)
{
	if (m->opset < 7 && ir_attr_int(bn, "is_test", 0) != 1)
		return false;
	if (m->opset < 9 && ir_attr_int(bn, "spatial", 1) != 1)
		return false;
	if (m->opset >= 14 && ir_attr_int(bn, "training_mode", 0) != 0)
		return false;
	return bn->n_inputs == 5 && !match_extra_outputs_used(bn);
}

static bool read_bn_affine(match *m, const ir_node *bn, bn_affine *out)
{
	match_const p[4]; /* scale, B, mean, var */
	for (int i = 0; i < 4; i++)
		if (!match_constant(m, bn->inputs[i + 1], &p[i]) ||
		    !ir_elem_is_float(p[i].elem_type) || p[i].rank != 1 ||
		    p[i].numel != p[0].numel)
			return match_check(m, false);
	double epsilon = ir_attr_float(bn, "epsilon", 1e-5f);
	int64_t n = p[0].numel;
	out->channels = n;
	out->factor = ir_xmalloc(sizeof(double) * (size_t)(n ? n : 1));
	out->shift = ir_xmalloc(sizeof(double) * (size_t)(n ? n : 1));
	for (int64_t c = 0; c < n; c++) {
		double f = match_const_get(&p[0], c) /
		           sqrt(match_const_get(&p[3], c) + epsilon);
		out->factor[c] = f;
		out->shift[c] =
		    match_const_get(&p[1], c) - match_const_get(&p[2], c) * f;
	}
	return true;
}

static void free_bn_affine(bn_affine *a)
{
	free(a->factor);
	free(a->shift);
}

/* Scale the weights in place (in `w`), where channel_of maps an element
 * index to its output channel. */
typedef int64_t (*channel_fn)(const match_const *w, int64_t index,
                              int64_t group);

static int64_t channel_conv(const match_const *w, int64_t index, int64_t g)
{
	(void)g;
	return index / (w->numel / w->dims[0]);
}

static int64_t channel_conv_transpose(const match_const *w, int64_t index,
                                      int64_t group)
{
	int64_t inner = w->numel / (w->dims[0] * w->dims[1]);
	int64_t i = index / (w->dims[1] * inner);
	int64_t j = (index / inner) % w->dims[1];
	return (i / (w->dims[0] / group)) * w->dims[1] + j;
}

static int64_t channel_columns(const match_const *w, int64_t index, int64_t g)
{
	(void)g;
	return index % w->dims[1];
}

static ir_value *scaled_weights(match *m, const match_const *w,
                                const bn_affine *bn, channel_fn channel_of,
                                int64_t group)
{
	double *v = match_const_doubles(w);
	for (int64_t i = 0; i < w->numel; i++)
		v[i] *= bn->factor[channel_of(w, i, group)];
	ir_value *out = match_add_initializer_doubles(
	    m->graph, w->value->name, w->elem_type, w->rank, w->dims, v);
	free(v);
	return out;
}

/* b'[c] = old[c] * scale_old * factor[c] + shift[c]; `old` may be NULL. */
static ir_value *shifted_bias(match *m, const match_const *old,
                              double scale_old, int elem_type,
                              const bn_affine *bn, const char *hint)
{
	double *v = ir_xmalloc(sizeof(double) * (size_t)bn->channels);
	for (int64_t c = 0; c < bn->channels; c++) {
		double b = 0;
		if (old)
			b = match_const_get(old, old->numel == 1 ? 0 : c) *
			    scale_old;
		v[c] = b * bn->factor[c] + bn->shift[c];
	}
	ir_value *out = match_add_initializer_doubles(m->graph, hint, elem_type,
	                                              1, &bn->channels, v);
	free(v);
	return out;
}

static bool weights_ok(const match_const *w, int min_rank)
{
	return (w->elem_type == IR_FLOAT || w->elem_type == IR_DOUBLE ||
	        w->elem_type == IR_FLOAT16) &&
	       w->rank >= min_rank && w->numel > 0;
}

/* Conv and ConvTranspose: W is input 1, the optional bias input 2. */
static bool fold_into_conv(match *m, ir_node *conv, const bn_affine *bn,
                           bool transposed)
{
	match_const w, b;
	bool has_bias = conv->n_inputs > 2 && conv->inputs[2];
	if (!match_constant(m, match_operand(m, conv, 1), &w) ||
	    !match_check(m, weights_ok(&w, 3)))
		return false;
	if (has_bias &&
	    (!match_constant(m, conv->inputs[2], &b) ||
	     !match_check(m, b.elem_type == w.elem_type && b.rank == 1 &&
	                         b.numel == bn->channels)))
		return false;
	int64_t group = ir_attr_int(conv, "group", 1);
	int64_t out_channels = w.dims[0];
	if (!match_check(m, group >= 1 &&
	                        !(transposed &&
	                          __builtin_mul_overflow(w.dims[1], group,
	                                                 &out_channels)) &&
	                        out_channels == bn->channels &&
	                        (!transposed || w.dims[0] % group == 0)))
		return false;
	ir_value *new_w = scaled_weights(
	    m, &w, bn, transposed ? channel_conv_transpose : channel_conv,
	    group);
	ir_value *new_b =
	    shifted_bias(m, has_bias ? &b : NULL, 1.0, w.elem_type, bn, "bias");
	match_retire(m, w.value);
	if (has_bias)
		match_retire(m, b.value);
	match_edit_input(m, 1, new_w);
	match_edit_input(m, 2, new_b);
	return true;
}

static bool gemm_bias_ok(const match_const *c, int64_t channels)
{
	if (c->numel == 1)
		return c->rank <= 2;
	return c->numel == channels && c->dims[c->rank - 1] == channels &&
	       c->rank <= 2;
}

static bool fold_into_gemm(match *m, ir_node *gemm, const bn_affine *bn)
{
	match_const w, c;
	bool has_c = gemm->n_inputs > 2 && gemm->inputs[2];
	bool trans_b = ir_attr_int(gemm, "transB", 0) != 0;
	if (!match_constant(m, match_operand(m, gemm, 1), &w) ||
	    !match_check(m, weights_ok(&w, 2) && w.rank == 2 &&
	                        w.dims[trans_b ? 0 : 1] == bn->channels))
		return false;
	if (has_c && (!match_constant(m, gemm->inputs[2], &c) ||
	              !match_check(m, c.elem_type == w.elem_type &&
	                                  gemm_bias_ok(&c, bn->channels))))
		return false;
	/* Channel n is row n of B when transposed, column n otherwise. */
	ir_value *new_w = scaled_weights(
	    m, &w, bn, trans_b ? channel_conv : channel_columns, 1);
	double beta = ir_attr_float(gemm, "beta", 1.0f);
	ir_value *new_c =
	    shifted_bias(m, has_c ? &c : NULL, beta, w.elem_type, bn, "bias");
	match_retire(m, w.value);
	if (has_c)
		match_retire(m, c.value);
	match_edit_input(m, 1, new_w);
	match_edit_input(m, 2, new_c);
	match_edit_attr_float(m, "beta", 1.0f);
	return true;
}

/* A 2-D MatMul becomes a Gemm that carries the shift as its bias. */
static ir_node *fold_into_matmul(match *m, ir_node *matmul, const bn_affine *bn)
{
	match_const w;
	ir_value *x = match_operand(m, matmul, 0);
	if (!match_constant(m, match_operand(m, matmul, 1), &w) ||
	    !match_check(m, weights_ok(&w, 2) && w.rank == 2 &&
	                        w.dims[1] == bn->channels &&
	                        match_rank(x) == 2 && m->opset >= 7))
		return NULL;
	ir_value *new_w = scaled_weights(m, &w, bn, channel_columns, 1);
	ir_value *new_c = shifted_bias(m, NULL, 0, w.elem_type, bn, "bias");
	match_retire(m, w.value);
	ir_value *inputs[3] = {x, new_w, new_c};
	return match_emit(m, "Gemm", inputs, 3, 1);
}

static int try_fold(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	static const char *const producers[] = {"Conv", "ConvTranspose", "Gemm",
	                                        "MatMul"};
	match m;
	if (!match_begin(&m, model, node, "BatchNormalization") ||
	    !match_check(&m, bn_is_inference(&m, node)))
		return 0;
	ir_node *producer = NULL;
	int kind = 0;
	for (; kind < 4 && !producer; kind++) {
		match_mark mark = match_save(&m);
		producer = match_input(&m, node, 0, producers[kind]);
		if (!producer)
			match_restore(&m, mark);
	}
	kind--;
	bn_affine bn = {0};
	if (!producer || !match_private(&m) || !read_bn_affine(&m, node, &bn))
		return 0;
	ir_node *replacement = producer;
	bool ok;
	switch (kind) {
	case 0: ok = fold_into_conv(&m, producer, &bn, false); break;
	case 1: ok = fold_into_conv(&m, producer, &bn, true); break;
	case 2: ok = fold_into_gemm(&m, producer, &bn); break;
	default:
		replacement = fold_into_matmul(&m, producer, &bn);
		ok = replacement != NULL;
	}
	free_bn_affine(&bn);
	/* A failed match removes what the fold created. */
	return match_check(&m, ok) && match_commit(&m, replacement, 0) ? 1 : 0;
}

const pass pass_fuse_bn_into_conv = {
    .name = "fuse_bn_into_conv",
    .group = "fuse",
    .summary = "fold inference BatchNormalization into the weights of the "
               "Conv, ConvTranspose, Gemm or 2-D MatMul before it",
    .needs = ANALYSIS_TYPES,
    .rewrite = try_fold,
};
