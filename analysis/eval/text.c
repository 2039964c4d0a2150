/*
 * text.c - ops on text and token ids: StringNormalizer, TfIdfVectorizer.
 *
 * Case changes are ASCII-only: a string with other bytes is refused
 * rather than guessed at, since the result would depend on the locale.
 */
#include <string.h>

#include "eval.h"

static bool ascii(const ProtobufCBinaryData *s)
{
	for (size_t i = 0; i < s->len; i++)
		if (s->data[i] >= 0x80)
			return false;
	return true;
}

static int ascii_fold(int ch, int action)
{
	if (action == 1 && ch >= 'A' && ch <= 'Z')
		return ch - 'A' + 'a';
	if (action == 2 && ch >= 'a' && ch <= 'z')
		return ch - 'a' + 'A';
	return ch;
}

static bool same_text(const ProtobufCBinaryData *a,
                      const ProtobufCBinaryData *b, bool case_sensitive)
{
	if (a->len != b->len)
		return false;
	for (size_t i = 0; i < a->len; i++) {
		int x = a->data[i], y = b->data[i];
		if (!case_sensitive) {
			x = ascii_fold(x, 1);
			y = ascii_fold(y, 1);
		}
		if (x != y)
			return false;
	}
	return true;
}

/* Drop stopwords, then change case; [C] or [1, C] in and out, and an
 * input that loses every word becomes one empty string. */
int eval_string_normalizer(eval_call *c)
{
	if (!eval_has_input(c, 0) || c->in[0].elem_type != IR_STRING)
		return eval_error(c, "needs a string input");
	const eval_tensor *x = &c->in[0];
	if (x->rank != 1 && !(x->rank == 2 && x->dims[0] == 1))
		return eval_error(c, "needs a [C] or [1, C] input");
	const char *action_name =
	    eval_attr_string(c, "case_change_action", "NONE");
	int action = !strcmp(action_name, "NONE")    ? 0
	             : !strcmp(action_name, "LOWER") ? 1
	             : !strcmp(action_name, "UPPER") ? 2
	                                             : -1;
	if (action < 0)
		return eval_error(c, "case_change_action '%s'", action_name);
	bool sensitive = eval_attr_int(c, "is_case_sensitive", 0) != 0;
	const ProtobufCBinaryData *stop;
	int n_stop = eval_attr_strings(c, "stopwords", &stop);
	const ProtobufCBinaryData *in = x->data;
	bool *keep = eval_alloc(c, (size_t)x->numel);
	int64_t kept = 0;
	for (int64_t i = 0; i < x->numel; i++) {
		if ((action || !sensitive) && !ascii(&in[i]))
			return eval_unsupported(c, "on non-ASCII text");
		keep[i] = true;
		for (int k = 0; k < n_stop && keep[i]; k++)
			keep[i] = !same_text(&in[i], &stop[k], sensitive);
		kept += keep[i];
	}
	int64_t dims[2] = {1, kept ? kept : 1};
	ProtobufCBinaryData *out =
	    x->rank == 1 ? eval_output(c, 0, IR_STRING, 1, dims + 1)
	                 : eval_output(c, 0, IR_STRING, 2, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	if (!kept) {
		out[0].len = 0;
		out[0].data = (uint8_t *)"";
		return EVAL_OK;
	}
	for (int64_t i = 0, k = 0; i < x->numel; i++) {
		if (!keep[i])
			continue;
		uint8_t *s = eval_alloc(c, in[i].len + 1);
		for (size_t j = 0; j < in[i].len; j++)
			s[j] = (uint8_t)ascii_fold(in[i].data[j], action);
		out[k].len = in[i].len;
		out[k++].data = s;
	}
	return EVAL_OK;
}

/* ------------------------------------------------------ TfIdfVectorizer */

typedef struct ngram_pool {
	bool strings;
	const int64_t *ints;
	const ProtobufCBinaryData *texts;
	int n_counts;
	const int64_t *counts;  /* start of the (k+1)-grams in the pool */
	int64_t pool_size;      /* in tokens */
	const int64_t *indexes; /* output slot of each pool n-gram */
	int n_indexes;
} ngram_pool;

static bool token_equal(const ngram_pool *p, const eval_tensor *x,
                        const int64_t *ids, int64_t at, int64_t pool_at)
{
	if (!p->strings)
		return ids[at] == p->ints[pool_at];
	const ProtobufCBinaryData *s = x->data;
	return s[at].len == p->texts[pool_at].len &&
	       !memcmp(s[at].data, p->texts[pool_at].data, s[at].len);
}

/* The output slot of the n-gram at positions start, start+step, ...; -1
 * if the pool does not hold it. */
static int64_t find_ngram(const ngram_pool *p, const eval_tensor *x,
                          const int64_t *ids, int64_t start, int64_t step,
                          int n)
{
	if (n > p->n_counts)
		return -1;
	int64_t first = p->counts[n - 1];
	int64_t last = n < p->n_counts ? p->counts[n] : p->pool_size;
	int64_t base_index = 0;
	for (int k = 0; k < n - 1; k++) {
		int64_t lo = p->counts[k];
		int64_t hi =
		    k + 1 < p->n_counts ? p->counts[k + 1] : p->pool_size;
		base_index += (hi - lo) / (k + 1);
	}
	for (int64_t g = first, j = 0; g + n <= last; g += n, j++) {
		bool match = true;
		for (int t = 0; t < n && match; t++)
			match = token_equal(p, x, ids, start + t * step, g + t);
		if (match) {
			int64_t at = base_index + j;
			return at < p->n_indexes ? p->indexes[at] : -1;
		}
	}
	return -1;
}

int eval_tfidf_vectorizer(eval_call *c)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *x = &c->in[0];
	if (x->rank != 1 && x->rank != 2)
		return eval_error(c, "needs a 1-D or 2-D input");
	ngram_pool p = {0};
	p.strings = x->elem_type == IR_STRING;
	int64_t pool_size;
	if (p.strings) {
		pool_size = eval_attr_strings(c, "pool_strings", &p.texts);
	} else {
		if (!eval_is_integer(x->elem_type))
			return eval_error(c, "on %s",
			                  ir_elem_name(x->elem_type));
		pool_size = eval_attr_ints(c, "pool_int64s", &p.ints);
	}
	p.pool_size = pool_size;
	p.n_counts = eval_attr_ints(c, "ngram_counts", &p.counts);
	p.n_indexes = eval_attr_ints(c, "ngram_indexes", &p.indexes);
	int64_t min_n = eval_attr_int(c, "min_gram_length", 0);
	int64_t max_n = eval_attr_int(c, "max_gram_length", 0);
	int64_t max_skip = eval_attr_int(c, "max_skip_count", 0);
	const char *mode = eval_attr_string(c, "mode", "");
	const float *weights;
	int n_weights = eval_attr_floats(c, "weights", &weights);
	int kind = !strcmp(mode, "TF")      ? 0
	           : !strcmp(mode, "IDF")   ? 1
	           : !strcmp(mode, "TFIDF") ? 2
	                                    : -1;
	if (kind < 0 || pool_size < 0 || p.n_counts < 1 || p.n_indexes < 0 ||
	    min_n < 1 || max_n < min_n || max_skip < 0)
		return eval_error(c, "has inconsistent attributes");
	for (int k = 0; k < p.n_counts; k++)
		if (p.counts[k] < 0 || p.counts[k] > pool_size ||
		    (k && p.counts[k] < p.counts[k - 1]))
			return eval_error(c, "has bad ngram_counts");
	int64_t width = 0;
	for (int i = 0; i < p.n_indexes; i++) {
		if (p.indexes[i] < 0)
			return eval_error(c, "has a negative ngram index");
		/* untrusted attribute: index + 1 could overflow */
		if (p.indexes[i] >= width &&
		    __builtin_add_overflow(p.indexes[i], 1, &width))
			return eval_unsupported(c, "ngram index %lld",
			                        (long long)p.indexes[i]);
	}
	if (n_weights >= 0 && n_weights < width)
		return eval_error(c, "has too few weights");
	int64_t rows = x->rank == 2 ? x->dims[0] : 1;
	int64_t len = x->dims[x->rank - 1];
	/* untrusted attributes: longer n-grams than the pool holds or the
	 * row has, or skips past the row, match nothing, and would make
	 * the loops below near-endless */
	if (max_n > p.n_counts)
		max_n = p.n_counts;
	if (max_n > len)
		max_n = len;
	if (max_skip > len)
		max_skip = len;
	int64_t dims[2] = {rows, width};
	float *out = x->rank == 2 ? eval_output(c, 0, IR_FLOAT, 2, dims)
	                          : eval_output(c, 0, IR_FLOAT, 1, dims + 1);
	if (!out)
		return EVAL_UNSUPPORTED;
	const int64_t *ids = p.strings ? NULL : eval_int64s(c, x);
	double *count = eval_alloc(c, 8 * (size_t)width);
	for (int64_t r = 0; r < rows; r++) {
		memset(count, 0, 8 * (size_t)width);
		int64_t base = r * len;
		for (int64_t n = min_n; n <= max_n; n++)
			for (int64_t skip = 0; skip <= (n == 1 ? 0 : max_skip);
			     skip++) {
				int64_t step = skip + 1;
				for (int64_t s = 0; s + (n - 1) * step < len;
				     s++) {
					int64_t slot = find_ngram(
					    &p, x, ids, base + s, step, (int)n);
					if (slot >= 0)
						count[slot] += 1;
				}
			}
		for (int64_t k = 0; k < width; k++) {
			double w = n_weights >= 0 ? weights[k] : 1.0;
			double v = kind == 0   ? count[k]
			           : kind == 1 ? (count[k] > 0 ? w : 0)
			                       : count[k] * w;
			out[r * width + k] = (float)v;
		}
	}
	return EVAL_OK;
}

/* ---------------------------------------------------------- StringConcat */

int eval_string_concat(eval_call *c)
{
	if (!eval_has_input(c, 0) || !eval_has_input(c, 1) ||
	    c->in[0].elem_type != IR_STRING || c->in[1].elem_type != IR_STRING)
		return eval_error(c, "needs two string inputs");
	const eval_tensor *ins[2] = {&c->in[0], &c->in[1]};
	int rank;
	int64_t dims[EVAL_MAX_RANK];
	if (!eval_broadcast_shape(c, ins, 2, &rank, dims))
		return EVAL_ERROR;
	ProtobufCBinaryData *out = eval_output(c, 0, IR_STRING, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	const int64_t *oa = eval_broadcast_offsets(c, ins[0], rank, dims);
	const int64_t *ob = eval_broadcast_offsets(c, ins[1], rank, dims);
	const ProtobufCBinaryData *a = ins[0]->data, *b = ins[1]->data;
	for (int64_t i = 0; i < eval_numel(dims, rank); i++) {
		const ProtobufCBinaryData *x = &a[oa[i]], *y = &b[ob[i]];
		out[i].len = x->len + y->len;
		out[i].data = eval_alloc(c, out[i].len + 1);
		if (x->len)
			memcpy(out[i].data, x->data, x->len);
		if (y->len)
			memcpy(out[i].data + x->len, y->data, y->len);
	}
	return EVAL_OK;
}
