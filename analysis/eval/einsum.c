/*
 * einsum.c - Einsum: sums of products over labelled axes.
 *
 * The equation is parsed into one label per axis of every operand (an
 * ellipsis becomes numbered broadcast labels, right-aligned), then one
 * walk over every combination of label values multiplies the operands'
 * elements and adds the product into the output slot. A label repeated in
 * one operand reads its diagonal; an implicit output lists the labels
 * seen once, in alphabetical order, after the ellipsis dims.
 */
#include <string.h>

#include "eval.h"

enum { LETTERS = 52, MAX_LABELS = LETTERS + EVAL_MAX_RANK, MAX_OPERANDS = 16 };

typedef struct term {
	int rank;
	int labels[EVAL_MAX_RANK];
	bool ellipsis;
	int ellipsis_at; /* axis where the ellipsis starts */
} term;

static int letter(char ch)
{
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a';
	if (ch >= 'A' && ch <= 'Z')
		return 26 + ch - 'A';
	return -1;
}

/* Parse one operand's subscript (between commas); `rank` is the
 * operand's rank, or -1 for the output (ellipsis rank given). */
static bool parse_term(const char *s, size_t len, int rank, int ell_rank,
                       term *t)
{
	memset(t, 0, sizeof *t);
	int letters = 0;
	for (size_t i = 0; i < len; i++)
		if (letter(s[i]) >= 0)
			letters++;
	const char *dots = NULL;
	for (size_t i = 0; i + 3 <= len; i++)
		if (!memcmp(s + i, "...", 3)) {
			dots = s + i;
			break;
		}
	int ell = 0;
	if (dots) {
		ell = rank >= 0 ? rank - letters : ell_rank;
		if (ell < 0)
			return false;
	} else if (rank >= 0 && letters != rank) {
		return false;
	}
	if (letters + ell > EVAL_MAX_RANK)
		return false;
	for (size_t i = 0; i < len;) {
		if (dots && s + i == dots) {
			t->ellipsis = true;
			t->ellipsis_at = t->rank;
			for (int k = 0; k < ell; k++)
				t->labels[t->rank++] =
				    LETTERS + (ell_rank - ell) + k;
			i += 3;
			continue;
		}
		int l = letter(s[i]);
		if (l < 0)
			return false;
		t->labels[t->rank++] = l;
		i++;
	}
	return true;
}

int eval_einsum(eval_call *c)
{
	const char *eq = eval_attr_string(c, "equation", NULL);
	if (!eq)
		return eval_error(c, "has no equation");
	int n = c->n_inputs;
	if (n < 1 || n > MAX_OPERANDS)
		return eval_unsupported(c, "with %d operands", n);
	/* Copy without spaces. */
	size_t eq_len = strlen(eq);
	char *e = eval_alloc(c, eq_len + 1);
	size_t k = 0;
	for (size_t i = 0; i < eq_len; i++)
		if (eq[i] != ' ')
			e[k++] = eq[i];
	e[k] = 0;
	char *arrow = strstr(e, "->");
	size_t lhs_len = arrow ? (size_t)(arrow - e) : strlen(e);
	int type = -1;
	for (int i = 0; i < n; i++) {
		if (!eval_has_input(c, i))
			return eval_error(c, "input %d is absent", i);
		eval_kind kind = eval_kind_of(c->in[i].elem_type);
		if (kind == EVAL_KIND_NONE || kind == EVAL_KIND_STRING ||
		    (type >= 0 && c->in[i].elem_type != type))
			return eval_unsupported(c, "on these types");
		type = c->in[i].elem_type;
	}
	/* The ellipsis rank is the largest any operand gives it. */
	term terms[MAX_OPERANDS], out;
	int ell_rank = 0;
	const char *start = e;
	for (int i = 0; i < n; i++) {
		const char *end =
		    memchr(start, ',', lhs_len - (size_t)(start - e));
		size_t len =
		    end ? (size_t)(end - start) : lhs_len - (size_t)(start - e);
		if ((end == NULL) != (i == n - 1))
			return eval_error(c, "equation does not match inputs");
		int letters = 0;
		bool dots = false;
		for (size_t j = 0; j < len; j++) {
			letters += letter(start[j]) >= 0;
			dots = dots || start[j] == '.';
		}
		int ell = dots ? c->in[i].rank - letters : 0;
		if (ell > ell_rank)
			ell_rank = ell;
		start = end ? end + 1 : start;
	}
	start = e;
	for (int i = 0; i < n; i++) {
		const char *end =
		    memchr(start, ',', lhs_len - (size_t)(start - e));
		size_t len =
		    end ? (size_t)(end - start) : lhs_len - (size_t)(start - e);
		if (!parse_term(start, len, c->in[i].rank, ell_rank, &terms[i]))
			return eval_error(c, "cannot parse operand %d", i);
		start = end ? end + 1 : start;
	}
	/* Label sizes, broadcasting ellipsis dims of size 1. */
	int64_t size[MAX_LABELS];
	bool used[MAX_LABELS] = {false};
	int count[MAX_LABELS] = {0};
	for (int l = 0; l < MAX_LABELS; l++)
		size[l] = -1;
	for (int i = 0; i < n; i++)
		for (int a = 0; a < terms[i].rank; a++) {
			int l = terms[i].labels[a];
			int64_t d = c->in[i].dims[a];
			used[l] = true;
			count[l]++;
			if (size[l] < 0 || size[l] == 1)
				size[l] = d;
			else if (d != size[l] && !(l >= LETTERS && d == 1))
				return eval_error(c, "label sizes disagree");
		}
	if (arrow) {
		const char *o = arrow + 2;
		if (!parse_term(o, strlen(o), -1, ell_rank, &out))
			return eval_error(c, "cannot parse the output");
	} else {
		memset(&out, 0, sizeof out);
		for (int l = LETTERS; l < LETTERS + ell_rank; l++)
			out.labels[out.rank++] = l;
		for (int l = 0; l < LETTERS; l++)
			if (count[l] == 1)
				out.labels[out.rank++] = l;
	}
	int64_t dims[EVAL_MAX_RANK];
	for (int a = 0; a < out.rank; a++) {
		int l = out.labels[a];
		if (!used[l])
			return eval_error(c, "output label is not an input's");
		dims[a] = size[l];
	}
	/* Strides of every label in every operand and in the output. */
	int labels[MAX_LABELS], n_labels = 0;
	for (int l = 0; l < MAX_LABELS; l++)
		if (used[l])
			labels[n_labels++] = l;
	int64_t stride[MAX_OPERANDS + 1][MAX_LABELS];
	memset(stride, 0, sizeof stride);
	for (int i = 0; i < n; i++) {
		int64_t s[EVAL_MAX_RANK];
		eval_strides(c->in[i].dims, c->in[i].rank, s);
		for (int a = 0; a < terms[i].rank; a++)
			if (c->in[i].dims[a] != 1 ||
			    size[terms[i].labels[a]] == 1)
				stride[i][terms[i].labels[a]] += s[a];
	}
	int64_t os[EVAL_MAX_RANK];
	eval_strides(dims, out.rank, os);
	for (int a = 0; a < out.rank; a++)
		stride[n][out.labels[a]] += os[a];
	void *result = eval_output(c, 0, type, out.rank, dims);
	if (!result)
		return EVAL_UNSUPPORTED;
	int64_t total = eval_numel(dims, out.rank);
	/* One product (and add) per combination of label values, counted
	 * in double: the int64 count could overflow before it is checked.
	 * A zero size stops the count, so that infinity * 0 (dims of empty
	 * tensors can be huge) never makes a NaN that passes the check. */
	double products = 1;
	for (int j = 0; j < n_labels && products > 0; j++)
		products *= (double)size[labels[j]];
	if (!eval_work_allowed(c, products))
		return EVAL_UNSUPPORTED;
	int64_t work = (int64_t)products;
	bool is_float = eval_is_float(type);
	const void *v[MAX_OPERANDS];
	for (int i = 0; i < n; i++)
		v[i] = eval_widen(c, &c->in[i]);
	void *acc = eval_alloc(c, 8 * (size_t)total);
	int64_t index[MAX_LABELS] = {0}, offset[MAX_OPERANDS + 1] = {0};
	for (int64_t w = 0; w < work; w++) {
		if (is_float) {
			double p = 1;
			for (int i = 0; i < n; i++)
				p *= ((const double *)v[i])[offset[i]];
			((double *)acc)[offset[n]] += p;
		} else {
			uint64_t p = 1;
			for (int i = 0; i < n; i++)
				p *= ((const uint64_t *)v[i])[offset[i]];
			((uint64_t *)acc)[offset[n]] += p;
		}
		for (int j = n_labels - 1; j >= 0; j--) {
			int l = labels[j];
			for (int i = 0; i <= n; i++)
				offset[i] += stride[i][l];
			if (++index[j] < size[l])
				break;
			for (int i = 0; i <= n; i++)
				offset[i] -= stride[i][l] * size[l];
			index[j] = 0;
		}
	}
	eval_narrow(result, type, acc, total);
	return EVAL_OK;
}
