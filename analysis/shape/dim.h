/*
 * dim.h - symbolic dimension expressions.
 *
 * A dim_expr is either unknown, or floor(P / divisor) where P is a
 * polynomial with integer coefficients over named symbols (ONNX dim_params)
 * and divisor >= 1. That covers what shape arithmetic in real models does:
 * static sizes, symbols, products ("batch*sequence"), sums ("past+1") and
 * division by a constant ("hidden/12").
 *
 * Invariants of a known expression (the canonical form, so that equal
 * expressions compare equal field by field):
 *  - the factors of a term are sorted, and terms are sorted and merged;
 *    no term has a zero coefficient;
 *  - when divisor > 1, the gcd of divisor and every coefficient is 1, and
 *    P's symbolic part is not a multiple of the divisor (such a quotient
 *    is folded into a plain polynomial).
 *
 * A symbol is a name: a dim_param of the model, a fresh "unk__N" that
 * inference made for a dim it could not derive (shape.h), or an atom
 * "min(A,B)" that dim_min made for a clamp it cannot resolve; each stands
 * for one size, so equal names are equal sizes.
 *
 * Symbols are borrowed (pointer and length) from strings the model owns,
 * so expressions are plain values: copy them freely, never free them.
 * Anything that would not fit the fixed limits below, overflow int64, or
 * need an operation the form cannot express exactly, becomes unknown:
 * losing precision is allowed, being wrong is not.
 */
#ifndef ONNXOPT_SHAPE_DIM_H
#define ONNXOPT_SHAPE_DIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir.h"

#define DIM_MAX_TERMS   4
#define DIM_MAX_FACTORS 3

typedef struct dim_symbol {
	const char *name; /* not NUL-terminated at len */
	int len;
} dim_symbol;

typedef struct dim_term {
	int64_t coeff;
	int n_factors;
	dim_symbol factors[DIM_MAX_FACTORS];
} dim_term;

typedef struct dim_expr {
	bool known;
	int n_terms; /* 0 terms: the constant 0 */
	int64_t divisor;
	dim_term terms[DIM_MAX_TERMS];
} dim_expr;

dim_expr dim_unknown(void);
dim_expr dim_const(int64_t value);
/* A named symbol; `name` must outlive every expression built from it. */
dim_expr dim_symbol_named(const char *name, int len);

bool dim_is_const(const dim_expr *a, int64_t *value);
/* Equal as expressions; unknowns are never equal to anything. */
bool dim_equal(const dim_expr *a, const dim_expr *b);
/* A hash that agrees with dim_equal (equal expressions, equal hashes),
 * mixed into h. */
uint64_t dim_hash(const dim_expr *a, uint64_t h);
/* True when the expression cannot be negative (all symbols are sizes). */
bool dim_is_nonnegative(const dim_expr *a);

dim_expr dim_add(const dim_expr *a, const dim_expr *b);
dim_expr dim_sub(const dim_expr *a, const dim_expr *b);
dim_expr dim_mul(const dim_expr *a, const dim_expr *b);
/* floor(a / c) for a constant c > 0; unknown otherwise. */
dim_expr dim_floordiv(const dim_expr *a, int64_t c);
/* ceil(a / c) for a constant c > 0. */
dim_expr dim_ceildiv(const dim_expr *a, int64_t c);
/* a / b where the caller knows b divides a exactly (Reshape's -1):
 * constants, or a single-term divisor that divides every term. */
dim_expr dim_div_exact(const dim_expr *a, const dim_expr *b);

/* min(a, b), simplified when the order is known (constants, a constant
 * difference, a non-positive constant against a size); otherwise an
 * atom spelled "min(A,B)" (operands in text order, allocated in model)
 * that behaves as a symbol: equal mins compare equal, and the text reads
 * back as the same atom. Unknown when an operand cannot be spelled. */
dim_expr dim_min(ir_model *model, const dim_expr *a, const dim_expr *b);
/* Is m the atom min(x, c) (either order) for a constant c? */
bool dim_is_min_with_const(const dim_expr *m, const dim_expr *x, int64_t *c);

/* Text form: "batch", "batch*seq", "2*n+1", "(n+1)/2". Returns false when
 * the expression is unknown or names a symbol that is not an identifier
 * (the text would not read back as the same expression). */
bool dim_format(const dim_expr *a, char *buf, size_t size);

/* An IR dim as an expression: a dim_param is read back as the expression
 * it spells when it is in our canonical text form, else it is an opaque
 * symbol. */
dim_expr dim_from_ir(const ir_dim *dim);
/* An expression as an IR dim; text is allocated in the model. */
ir_dim dim_to_ir(ir_model *model, const dim_expr *a);

#endif
