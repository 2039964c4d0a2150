/*
 * misc.c - inference for the remaining families: losses, detection,
 * text ops and the training optimizers.
 */
#include <ctype.h>
#include <string.h>

#include "infer.h"

/* --------------------------------------------------------------- losses */

static bool reduces_to_scalar(const infer_ctx *ctx)
{
	return strcmp(infer_attr_string(ctx, "reduction", "mean"), "none") != 0;
}

void shape_infer_nll_loss(infer_ctx *ctx)
{
	shape_type target, out;
	int elem = infer_input_elem(ctx, 0);
	if (reduces_to_scalar(ctx)) {
		shape_type_rank(&out, elem, 0);
	} else if (infer_input(ctx, 1, &target)) {
		out = target;
		out.elem = elem;
	} else {
		return;
	}
	infer_output(ctx, 0, &out);
}

void shape_infer_softmax_cross_entropy(infer_ctx *ctx)
{
	shape_infer_nll_loss(ctx);
	shape_infer_same_as_input(ctx, 1, 0); /* log_prob */
}

/* ------------------------------------------------------------ detection */

void shape_infer_non_max_suppression(infer_ctx *ctx)
{
	shape_type out;
	shape_type_rank(&out, IR_INT64, 2);
	out.dims[1] = dim_const(3);
	infer_output(ctx, 0, &out);
}

/* ----------------------------------------------------------------- text */

void shape_infer_tfidf_vectorizer(infer_ctx *ctx)
{
	shape_type in, out;
	if (!infer_input(ctx, 0, &in))
		return;
	shape_type_unknown(&out, IR_FLOAT);
	const ir_attr *a = ir_node_attr(ctx->node, "ngram_indexes");
	dim_expr width = dim_unknown();
	if (a && a->proto->n_ints > 0) {
		int64_t max = 0;
		for (size_t i = 0; i < a->proto->n_ints; i++)
			if (a->proto->ints[i] > max)
				max = a->proto->ints[i];
		width = max < INT64_MAX ? dim_const(max + 1) : dim_unknown();
	}
	if (in.rank == 1 || in.rank == 2) {
		out.rank = in.rank;
		if (in.rank == 2)
			out.dims[0] = in.dims[0];
		out.dims[in.rank - 1] = width;
	}
	infer_output(ctx, 0, &out);
}

static bool same_word(const ProtobufCBinaryData *a,
                      const ProtobufCBinaryData *b, bool case_sensitive)
{
	if (a->len != b->len)
		return false;
	for (size_t i = 0; i < a->len; i++) {
		int x = a->data[i], y = b->data[i];
		if (!case_sensitive) {
			x = tolower(x);
			y = tolower(y);
		}
		if (x != y)
			return false;
	}
	return true;
}

/* Word-stopword comparisons count_kept_words makes before it gives up. */
#define MAX_STOPWORD_COMPARISONS ((int64_t)1 << 24)

/* How many words of a constant input survive the stopwords, or -1 (also
 * when that takes more than MAX_STOPWORD_COMPARISONS: the count is
 * words x stopwords, and a small file can hold many of both). */
static int64_t count_kept_words(const infer_ctx *ctx)
{
	const ir_attr *stop = ir_node_attr(ctx->node, "stopwords");
	const ir_tensor *t = infer_input_tensor(ctx, 0);
	if (!t || t->elem_type != IR_STRING)
		return -1;
	int64_t n_stop = stop ? (int64_t)stop->proto->n_strings : 0;
	if (n_stop > 0 &&
	    ir_tensor_numel(t) > MAX_STOPWORD_COMPARISONS / n_stop)
		return -1;
	bool case_sensitive = infer_attr_int(ctx, "is_case_sensitive", 0) != 0;
	int64_t n = ir_tensor_numel(t), kept = 0;
	for (int64_t i = 0; i < n; i++) {
		ProtobufCBinaryData word;
		if (!ir_tensor_string(t, i, &word))
			return -1;
		bool dropped = false;
		for (size_t k = 0; stop && k < stop->proto->n_strings; k++)
			dropped |= same_word(&word, &stop->proto->strings[k],
			                     case_sensitive);
		kept += !dropped;
	}
	return kept;
}

void shape_infer_string_normalizer(infer_ctx *ctx)
{
	shape_type in;
	if (!infer_input(ctx, 0, &in))
		return;
	in.elem = IR_STRING;
	if (in.rank == 1 || in.rank == 2) {
		const ir_attr *stop = ir_node_attr(ctx->node, "stopwords");
		dim_expr *words = &in.dims[in.rank - 1];
		if (stop && stop->proto->n_strings > 0) {
			/* Removing every word leaves one empty string. */
			int64_t kept = count_kept_words(ctx);
			*words = kept < 0 ? dim_unknown()
			                  : dim_const(kept ? kept : 1);
		}
	} else {
		in.rank = -1;
	}
	infer_output(ctx, 0, &in);
}

void shape_infer_string_split(infer_ctx *ctx)
{
	shape_type in;
	if (!infer_input(ctx, 0, &in))
		return;
	shape_type counts = in;
	counts.elem = IR_INT64;
	in.elem = IR_STRING;
	if (in.rank >= 0 && in.rank < SHAPE_MAX_RANK)
		in.dims[in.rank++] = dim_unknown();
	else
		in.rank = -1;
	infer_output(ctx, 0, &in);
	infer_output(ctx, 1, &counts);
}

/* ------------------------------------------------------------- training */

void shape_infer_optimizer(infer_ctx *ctx)
{
	/* Inputs are R, T, then groups of n tensors (X, G, and one or two
	 * state groups); output groups mirror X, one per updated tensor. */
	int groups = !strcmp(ctx->node->op_type, "Adam") ? 4 : 3;
	int n = (ctx->node->n_inputs - 2) / groups;
	if (n <= 0 || 2 + n * groups != ctx->node->n_inputs)
		return;
	for (int j = 0; j < ctx->node->n_outputs; j++)
		shape_infer_same_as_input(ctx, j, 2 + j % n);
}
