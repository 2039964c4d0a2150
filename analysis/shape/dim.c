/*
 * dim.c - the algebra of symbolic dimensions (see dim.h for the form).
 *
 * Every operation builds its result in a roomier scratch polynomial and
 * then normalizes it, so the canonical-form invariants are established in
 * one place (normalize). Overflow and capacity limits turn a result into
 * "unknown" rather than into a wrong expression.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dim.h"

/* Scratch room for intermediate results before they are merged. */
#define WORK_TERMS (DIM_MAX_TERMS * DIM_MAX_TERMS + 2)

typedef struct work {
	int n_terms;
	int64_t divisor;
	dim_term terms[WORK_TERMS];
} work;

dim_expr dim_unknown(void)
{
	dim_expr e;
	memset(&e, 0, sizeof e);
	e.divisor = 1;
	return e;
}

dim_expr dim_const(int64_t value)
{
	dim_expr e = dim_unknown();
	e.known = true;
	if (value != 0) {
		e.n_terms = 1;
		e.terms[0].coeff = value;
	}
	return e;
}

dim_expr dim_symbol_named(const char *name, int len)
{
	dim_expr e = dim_unknown();
	e.known = true;
	e.n_terms = 1;
	e.terms[0].coeff = 1;
	e.terms[0].n_factors = 1;
	e.terms[0].factors[0] = (dim_symbol){name, len};
	return e;
}

bool dim_is_const(const dim_expr *a, int64_t *value)
{
	if (!a->known || a->divisor != 1)
		return false;
	if (a->n_terms == 0) {
		*value = 0;
		return true;
	}
	if (a->n_terms == 1 && a->terms[0].n_factors == 0) {
		*value = a->terms[0].coeff;
		return true;
	}
	return false;
}

/* ------------------------------------------------------------ ordering */

static int symbol_cmp(const dim_symbol *a, const dim_symbol *b)
{
	int n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->name, b->name, (size_t)n);
	if (c)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

/* Terms of higher degree print first; the constant term comes last. */
static int term_cmp(const dim_term *a, const dim_term *b)
{
	if (a->n_factors != b->n_factors)
		return b->n_factors - a->n_factors;
	for (int i = 0; i < a->n_factors; i++) {
		int c = symbol_cmp(&a->factors[i], &b->factors[i]);
		if (c)
			return c;
	}
	return 0;
}

static int term_qsort_cmp(const void *a, const void *b)
{
	return term_cmp(a, b);
}

/* On magnitudes, unsigned: -INT64_MIN does not fit an int64_t. The
 * result fits unless both are INT64_MIN or 0, which callers (a divisor
 * > 1) never pass. */
static int64_t gcd64(int64_t a, int64_t b)
{
	uint64_t x = a < 0 ? 0 - (uint64_t)a : (uint64_t)a;
	uint64_t y = b < 0 ? 0 - (uint64_t)b : (uint64_t)b;
	while (y) {
		uint64_t t = x % y;
		x = y;
		y = t;
	}
	return (int64_t)x;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Sort and merge terms, drop zeros, then bring the divisor into canonical
 * form. Fails (returns unknown) on overflow or when the result needs more
 * terms than a dim_expr holds. */
static dim_expr normalize(work *w)
{
	qsort(w->terms, (size_t)w->n_terms, sizeof w->terms[0], term_qsort_cmp);
	int n = 0;
	for (int i = 0; i < w->n_terms; i++) {
		if (n > 0 && term_cmp(&w->terms[n - 1], &w->terms[i]) == 0) {
			if (__builtin_add_overflow(w->terms[n - 1].coeff,
			                           w->terms[i].coeff,
			                           &w->terms[n - 1].coeff))
				return dim_unknown();
		} else {
			w->terms[n++] = w->terms[i];
		}
		if (w->terms[n - 1].coeff == 0)
			n--;
	}
	w->n_terms = n;

	if (w->divisor > 1) {
		/* floor((d*Q + c) / d) = Q + floor(c / d) when every symbolic
		 * coefficient is a multiple of d. */
		bool symbolic_divisible = true;
		for (int i = 0; i < n; i++)
			if (w->terms[i].n_factors > 0 &&
			    w->terms[i].coeff % w->divisor != 0)
				symbolic_divisible = false;
		if (symbolic_divisible) {
			for (int i = 0; i < n; i++)
				w->terms[i].coeff =
				    w->terms[i].n_factors > 0
				        ? w->terms[i].coeff / w->divisor
				        : floor_div(w->terms[i].coeff,
				                    w->divisor);
			w->divisor = 1;
			int kept = 0;
			for (int i = 0; i < n; i++)
				if (w->terms[i].coeff != 0)
					w->terms[kept++] = w->terms[i];
			w->n_terms = n = kept;
		} else {
			int64_t g = w->divisor;
			for (int i = 0; i < n; i++)
				g = gcd64(g, w->terms[i].coeff);
			if (g > 1) {
				for (int i = 0; i < n; i++)
					w->terms[i].coeff /= g;
				w->divisor /= g;
			}
		}
	}
	if (n > DIM_MAX_TERMS)
		return dim_unknown();
	dim_expr e = dim_unknown();
	e.known = true;
	e.n_terms = n;
	e.divisor = w->divisor;
	memcpy(e.terms, w->terms, sizeof(dim_term) * (size_t)n);
	return e;
}

static void work_from(work *w, const dim_expr *a)
{
	w->n_terms = a->n_terms;
	w->divisor = a->divisor;
	memcpy(w->terms, a->terms, sizeof(dim_term) * (size_t)a->n_terms);
}

/* Append c * (terms of a) to w. */
static bool work_add_scaled(work *w, const dim_expr *a, int64_t c)
{
	for (int i = 0; i < a->n_terms; i++) {
		if (w->n_terms == WORK_TERMS)
			return false;
		dim_term t = a->terms[i];
		if (__builtin_mul_overflow(t.coeff, c, &t.coeff))
			return false;
		w->terms[w->n_terms++] = t;
	}
	return true;
}

bool dim_equal(const dim_expr *a, const dim_expr *b)
{
	if (!a->known || !b->known || a->n_terms != b->n_terms ||
	    a->divisor != b->divisor)
		return false;
	for (int i = 0; i < a->n_terms; i++)
		if (a->terms[i].coeff != b->terms[i].coeff ||
		    term_cmp(&a->terms[i], &b->terms[i]) != 0)
			return false;
	return true;
}

/* FNV-1a over the canonical form: expressions dim_equal calls equal
 * (same terms, coefficients, symbol texts and divisor) hash alike. */
uint64_t dim_hash(const dim_expr *a, uint64_t h)
{
	uint8_t known = a->known;
	h = ir_hash_bytes(h, &known, 1);
	if (!a->known)
		return h;
	h = ir_hash_bytes(h, &a->divisor, sizeof a->divisor);
	h = ir_hash_bytes(h, &a->n_terms, sizeof a->n_terms);
	for (int i = 0; i < a->n_terms; i++) {
		const dim_term *t = &a->terms[i];
		h = ir_hash_bytes(h, &t->coeff, sizeof t->coeff);
		h = ir_hash_bytes(h, &t->n_factors, sizeof t->n_factors);
		for (int f = 0; f < t->n_factors; f++) {
			h = ir_hash_bytes(h, &t->factors[f].len,
			                  sizeof t->factors[f].len);
			h = ir_hash_bytes(h, t->factors[f].name,
			                  (size_t)t->factors[f].len);
		}
	}
	return h;
}

bool dim_is_nonnegative(const dim_expr *a)
{
	if (!a->known)
		return false;
	for (int i = 0; i < a->n_terms; i++)
		if (a->terms[i].coeff < 0)
			return false;
	return true;
}

/* ---------------------------------------------------------- arithmetic */

/* a + c*b, where at most one side has a divisor. */
static dim_expr add_scaled(const dim_expr *a, const dim_expr *b, int64_t c)
{
	if (!a->known || !b->known)
		return dim_unknown();
	if (a->divisor > 1 && b->divisor > 1)
		return dim_unknown();
	work w;
	if (b->divisor > 1) {
		/* a - floor(P/d) is not of the form floor(Q/d). */
		if (c != 1)
			return dim_unknown();
		/* a + floor(P/d) = floor((d*a + P) / d) */
		work_from(&w, b);
		if (!work_add_scaled(&w, a, b->divisor))
			return dim_unknown();
		return normalize(&w);
	}
	work_from(&w, a);
	int64_t scale = c;
	if (__builtin_mul_overflow(scale, a->divisor, &scale) ||
	    !work_add_scaled(&w, b, scale))
		return dim_unknown();
	return normalize(&w);
}

dim_expr dim_add(const dim_expr *a, const dim_expr *b)
{
	return add_scaled(a, b, 1);
}

dim_expr dim_sub(const dim_expr *a, const dim_expr *b)
{
	return add_scaled(a, b, -1);
}

static bool term_mul(const dim_term *a, const dim_term *b, dim_term *out)
{
	if (a->n_factors + b->n_factors > DIM_MAX_FACTORS)
		return false;
	if (__builtin_mul_overflow(a->coeff, b->coeff, &out->coeff))
		return false;
	/* Merge two sorted factor lists. */
	int i = 0, j = 0, k = 0;
	while (i < a->n_factors || j < b->n_factors) {
		if (j == b->n_factors ||
		    (i < a->n_factors &&
		     symbol_cmp(&a->factors[i], &b->factors[j]) <= 0))
			out->factors[k++] = a->factors[i++];
		else
			out->factors[k++] = b->factors[j++];
	}
	out->n_factors = k;
	return true;
}

dim_expr dim_mul(const dim_expr *a, const dim_expr *b)
{
	if (!a->known || !b->known)
		return dim_unknown();
	int64_t c;
	if (dim_is_const(a, &c) && (c == 0 || c == 1))
		return c == 0 ? dim_const(0) : *b;
	if (dim_is_const(b, &c) && (c == 0 || c == 1))
		return c == 0 ? dim_const(0) : *a;
	/* c * floor(P/d) is not floor(Q/d) for any Q in general. */
	if (a->divisor > 1 || b->divisor > 1)
		return dim_unknown();
	work w = {0, 1, {{0}}};
	for (int i = 0; i < a->n_terms; i++)
		for (int j = 0; j < b->n_terms; j++)
			if (!term_mul(&a->terms[i], &b->terms[j],
			              &w.terms[w.n_terms++]))
				return dim_unknown();
	return normalize(&w);
}

dim_expr dim_floordiv(const dim_expr *a, int64_t c)
{
	if (!a->known || c <= 0)
		return dim_unknown();
	work w;
	work_from(&w, a);
	if (__builtin_mul_overflow(w.divisor, c, &w.divisor))
		return dim_unknown();
	return normalize(&w);
}

dim_expr dim_ceildiv(const dim_expr *a, int64_t c)
{
	if (c <= 0)
		return dim_unknown();
	dim_expr bias = dim_const(c - 1);
	dim_expr sum = dim_add(a, &bias);
	return dim_floordiv(&sum, c);
}

/* Remove the factors of `d` from `t`; false unless t contains them all
 * and d's coefficient divides t's. */
static bool term_divide(const dim_term *t, const dim_term *d, dim_term *out)
{
	if (d->coeff == 0 || (d->coeff == -1 && t->coeff == INT64_MIN) ||
	    t->coeff % d->coeff != 0)
		return false;
	out->coeff = t->coeff / d->coeff;
	out->n_factors = 0;
	int j = 0;
	for (int i = 0; i < t->n_factors; i++) {
		if (j < d->n_factors &&
		    symbol_cmp(&t->factors[i], &d->factors[j]) == 0) {
			j++;
			continue;
		}
		out->factors[out->n_factors++] = t->factors[i];
	}
	return j == d->n_factors;
}

dim_expr dim_div_exact(const dim_expr *a, const dim_expr *b)
{
	if (!a->known || !b->known)
		return dim_unknown();
	int64_t c;
	if (dim_is_const(b, &c))
		return c > 0 ? dim_floordiv(a, c) : dim_unknown();
	if (dim_equal(a, b))
		return dim_const(1);
	if (a->divisor != 1 || b->divisor != 1 || b->n_terms != 1)
		return dim_unknown();
	work w = {0, 1, {{0}}};
	for (int i = 0; i < a->n_terms; i++)
		if (!term_divide(&a->terms[i], &b->terms[0],
		                 &w.terms[w.n_terms++]))
			return dim_unknown();
	return normalize(&w);
}

/* ---------------------------------------------------------------- text */

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* "min(A,B)": an atom that dim_min made; the parentheses balance. */
static bool symbol_is_min_atom(const dim_symbol *s)
{
	if (s->len < 6 || memcmp(s->name, "min(", 4) != 0 ||
	    s->name[s->len - 1] != ')')
		return false;
	int depth = 0;
	for (int i = 3; i < s->len; i++) {
		depth += s->name[i] == '(' ? 1 : s->name[i] == ')' ? -1 : 0;
		if (depth == 0 && i != s->len - 1)
			return false;
	}
	return depth == 0;
}

static bool symbol_is_identifier(const dim_symbol *s)
{
	if (symbol_is_min_atom(s))
		return true;
	if (s->len == 0 || !is_ident_start(s->name[0]))
		return false;
	for (int i = 1; i < s->len; i++)
		if (!is_ident_char(s->name[i]))
			return false;
	return true;
}

typedef struct text {
	char *buf;
	size_t size, used;
	bool overflow;
} text;

static void put(text *t, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void put(text *t, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	size_t room = t->used < t->size ? t->size - t->used : 0;
	int n = vsnprintf(t->buf + (t->used < t->size ? t->used : t->size),
	                  room, format, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		t->overflow = true;
	else
		t->used += (size_t)n;
}

static void put_term(text *t, const dim_term *term, bool first)
{
	int64_t c = term->coeff;
	if (c < 0)
		put(t, "-");
	else if (!first)
		put(t, "+");
	uint64_t magnitude = c < 0 ? (uint64_t)0 - (uint64_t)c : (uint64_t)c;
	if (term->n_factors == 0 || magnitude != 1)
		put(t, "%llu%s", (unsigned long long)magnitude,
		    term->n_factors ? "*" : "");
	for (int i = 0; i < term->n_factors; i++)
		put(t, "%s%.*s", i ? "*" : "", term->factors[i].len,
		    term->factors[i].name);
}

bool dim_format(const dim_expr *a, char *buf, size_t size)
{
	if (!a->known || size == 0)
		return false;
	for (int i = 0; i < a->n_terms; i++)
		for (int f = 0; f < a->terms[i].n_factors; f++)
			if (!symbol_is_identifier(&a->terms[i].factors[f]))
				return false;
	text t = {buf, size, 0, false};
	buf[0] = 0;
	bool wrap =
	    a->divisor > 1 && (a->n_terms > 1 || a->terms[0].coeff != 1);
	if (wrap)
		put(&t, "(");
	if (a->n_terms == 0)
		put(&t, "0");
	for (int i = 0; i < a->n_terms; i++)
		put_term(&t, &a->terms[i], i == 0);
	if (wrap)
		put(&t, ")");
	if (a->divisor > 1)
		put(&t, "/%lld", (long long)a->divisor);
	return !t.overflow;
}

/* A recursive-descent reader for the text form. It accepts more than the
 * canonical spelling; dim_from_ir keeps only strings that print back
 * identically, so no user-chosen name is ever reinterpreted. */
typedef struct reader {
	const char *s;
	int depth;
} reader;

static dim_expr read_sum(reader *r);

static dim_expr read_primary(reader *r)
{
	const char *s = r->s;
	if (*s >= '0' && *s <= '9') {
		int64_t v = 0;
		while (*s >= '0' && *s <= '9') {
			if (__builtin_mul_overflow(v, 10, &v) ||
			    __builtin_add_overflow(v, *s - '0', &v))
				return dim_unknown();
			s++;
		}
		r->s = s;
		return dim_const(v);
	}
	if (is_ident_start(*s)) {
		const char *start = s;
		while (is_ident_char(*s))
			s++;
		if (s - start == 3 && !memcmp(start, "min", 3) && *s == '(') {
			/* A min atom: kept whole, as dim_min spelled it. */
			int depth = 0;
			do {
				depth += *s == '(' ? 1 : *s == ')' ? -1 : 0;
				s++;
			} while (*s && depth > 0);
			if (depth != 0)
				return dim_unknown();
		}
		r->s = s;
		return dim_symbol_named(start, (int)(s - start));
	}
	if (*s == '(' && r->depth < 16) {
		r->s++;
		r->depth++;
		dim_expr e = read_sum(r);
		r->depth--;
		if (*r->s != ')')
			return dim_unknown();
		r->s++;
		return e;
	}
	return dim_unknown();
}

static dim_expr read_unary(reader *r)
{
	if (*r->s == '-') {
		r->s++;
		dim_expr inner = read_primary(r);
		dim_expr minus_one = dim_const(-1);
		return dim_mul(&minus_one, &inner);
	}
	return read_primary(r);
}

static dim_expr read_product(reader *r)
{
	dim_expr e = read_unary(r);
	while (e.known && (*r->s == '*' || *r->s == '/')) {
		char op = *r->s++;
		dim_expr rhs = read_unary(r);
		int64_t c;
		if (op == '*')
			e = dim_mul(&e, &rhs);
		else if (dim_is_const(&rhs, &c))
			e = dim_floordiv(&e, c);
		else
			return dim_unknown();
	}
	return e;
}

static dim_expr read_sum(reader *r)
{
	dim_expr e = read_product(r);
	while (e.known && (*r->s == '+' || *r->s == '-')) {
		char op = *r->s++;
		dim_expr rhs = read_product(r);
		e = op == '+' ? dim_add(&e, &rhs) : dim_sub(&e, &rhs);
	}
	return e;
}

static dim_expr parse_canonical(const char *s)
{
	reader r = {s, 0};
	dim_expr e = read_sum(&r);
	int64_t c;
	if (!e.known || *r.s != 0 || dim_is_const(&e, &c))
		return dim_unknown();
	char buf[256];
	if (!dim_format(&e, buf, sizeof buf) || strcmp(buf, s) != 0)
		return dim_unknown();
	return e;
}

dim_expr dim_from_ir(const ir_dim *dim)
{
	switch (dim->kind) {
	case IR_DIM_VALUE:
		return dim->value >= 0 ? dim_const(dim->value) : dim_unknown();
	case IR_DIM_PARAM: {
		if (!dim->param || !dim->param[0])
			return dim_unknown();
		dim_expr e = parse_canonical(dim->param);
		if (e.known)
			return e;
		return dim_symbol_named(dim->param, (int)strlen(dim->param));
	}
	default: return dim_unknown();
	}
}

ir_dim dim_to_ir(ir_model *model, const dim_expr *a)
{
	int64_t c;
	if (dim_is_const(a, &c))
		return c >= 0 ? (ir_dim){IR_DIM_VALUE, c, NULL}
		              : (ir_dim){IR_DIM_UNKNOWN, 0, NULL};
	if (!a->known)
		return (ir_dim){IR_DIM_UNKNOWN, 0, NULL};
	/* A lone symbol keeps its exact spelling, identifier or not. */
	if (a->n_terms == 1 && a->divisor == 1 && a->terms[0].coeff == 1 &&
	    a->terms[0].n_factors == 1) {
		const dim_symbol *s = &a->terms[0].factors[0];
		if (s->name[s->len] == 0)
			return (ir_dim){IR_DIM_PARAM, 0, s->name};
		char *copy = ir_alloc(model, (size_t)s->len + 1);
		memcpy(copy, s->name, (size_t)s->len);
		return (ir_dim){IR_DIM_PARAM, 0, copy};
	}
	char buf[256];
	if (!dim_format(a, buf, sizeof buf))
		return (ir_dim){IR_DIM_UNKNOWN, 0, NULL};
	return (ir_dim){IR_DIM_PARAM, 0, ir_strdup(model, buf)};
}

/* ----------------------------------------------------------------- min */

dim_expr dim_min(ir_model *model, const dim_expr *a, const dim_expr *b)
{
	if (!a->known || !b->known)
		return dim_unknown();
	int64_t x, y;
	if (dim_is_const(a, &x) && dim_is_const(b, &y))
		return dim_const(x < y ? x : y);
	dim_expr diff = dim_sub(a, b);
	if (dim_is_const(&diff, &x))
		return x <= 0 ? *a : *b;
	/* min(size, c) is c for c <= 0: sizes are never negative. */
	if (dim_is_const(a, &x) && x <= 0 && dim_is_nonnegative(b))
		return *a;
	if (dim_is_const(b, &y) && y <= 0 && dim_is_nonnegative(a))
		return *b;
	char ta[120], tb[120], text[256];
	if (!model || !dim_format(a, ta, sizeof ta) ||
	    !dim_format(b, tb, sizeof tb))
		return dim_unknown();
	bool swap = strcmp(ta, tb) > 0;
	snprintf(text, sizeof text, "min(%s,%s)", swap ? tb : ta,
	         swap ? ta : tb);
	char *name = ir_strdup(model, text);
	return dim_symbol_named(name, (int)strlen(name));
}

bool dim_is_min_with_const(const dim_expr *m, const dim_expr *x, int64_t *c)
{
	if (!m->known || m->n_terms != 1 || m->divisor != 1 ||
	    m->terms[0].coeff != 1 || m->terms[0].n_factors != 1 ||
	    !symbol_is_min_atom(&m->terms[0].factors[0]))
		return false;
	const dim_symbol *s = &m->terms[0].factors[0];
	char tx[120], inner[256];
	if (!dim_format(x, tx, sizeof tx) || s->len - 5 >= (int)sizeof inner)
		return false;
	memcpy(inner, s->name + 4, (size_t)(s->len - 5));
	inner[s->len - 5] = 0;
	/* The two operands, split at the top-level comma. */
	int depth = 0;
	char *comma = NULL;
	for (char *p = inner; *p; p++) {
		depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
		if (*p == ',' && depth == 0)
			comma = p;
	}
	if (!comma)
		return false;
	*comma = 0;
	const char *sides[2] = {inner, comma + 1};
	for (int i = 0; i < 2; i++) {
		if (strcmp(sides[i], tx) != 0)
			continue;
		char *end;
		long long v = strtoll(sides[1 - i], &end, 10);
		if (*sides[1 - i] && !*end) {
			*c = v;
			return true;
		}
	}
	return false;
}
