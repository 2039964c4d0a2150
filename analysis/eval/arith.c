/*
 * arith.c - binary arithmetic with numpy broadcasting: Add, Sub, Mul, Div,
 * Pow, Mod, PRelu, BitShift, Bitwise*, and the variadic Max, Min, Sum,
 * Mean.
 *
 * Inputs are widened (double for float types, int64_t or uint64_t for
 * integers) and combined left to right in one accumulator of the output
 * shape. Computing float32 or float16 arithmetic in double and rounding
 * once gives the correctly rounded result for + - * /; integers are exact
 * in 64 bits and wrap when narrowed, like the narrow type would.
 * Integer division or modulo by zero is refused, not computed.
 */
#include <math.h>
#include <string.h>

#include "eval.h"

/* --------------------------------------------------------------- binary */

enum binary_op {
	BIN_ADD,
	BIN_SUB,
	BIN_MUL,
	BIN_DIV,
	BIN_MOD,
	BIN_FMOD,
	BIN_POW,
	BIN_MAX,
	BIN_MIN,
	BIN_PRELU,
	BIN_SHL,
	BIN_SHR,
	BIN_AND,
	BIN_OR,
	BIN_XOR,
};

/* Integer power by squaring; exact modulo 2^64 like repeated products. */
static inline int64_t int_pow(int64_t base, int64_t exponent)
{
	uint64_t result = 1, b = (uint64_t)base;
	while (exponent > 0) {
		if (exponent & 1)
			result *= b;
		b *= b;
		exponent >>= 1;
	}
	return (int64_t)result;
}

/* Apply op to acc[i] and other[i] in wide type T. Division and modulo
 * by an integer zero are refused by the caller's prescan. */
#define BINARY_LOOP(T, EXPR)                                                   \
	for (int64_t i = 0; i < n; i++) {                                      \
		T a = acc[i], b = other[i];                                    \
		acc[i] = (EXPR);                                               \
	}

static void binary_float(enum binary_op op, double *acc, const double *other,
                         int64_t n)
{
	switch (op) {
	case BIN_ADD: BINARY_LOOP(double, a + b) break;
	case BIN_SUB: BINARY_LOOP(double, a - b) break;
	case BIN_MUL: BINARY_LOOP(double, a *b) break;
	case BIN_DIV: BINARY_LOOP(double, a / b) break;
	case BIN_FMOD: BINARY_LOOP(double, fmod(a, b)) break;
	case BIN_POW: BINARY_LOOP(double, pow(a, b)) break;
	case BIN_MAX:
		BINARY_LOOP(double,
		            (isnan(a) || isnan(b)) ? NAN : (a > b ? a : b))
		break;
	case BIN_MIN:
		BINARY_LOOP(double,
		            (isnan(a) || isnan(b)) ? NAN : (a < b ? a : b))
		break;
	case BIN_PRELU: BINARY_LOOP(double, a < 0 ? a * b : a) break;
	default: break;
	}
}

static void binary_signed(enum binary_op op, int64_t *acc, const int64_t *other,
                          int64_t n)
{
	/* Sums and products wrap in uint64_t, which is defined behaviour;
	 * narrowing then keeps the low bits like the narrow type would. */
	switch (op) {
	case BIN_ADD:
		BINARY_LOOP(int64_t, (int64_t)((uint64_t)a + (uint64_t)b))
		break;
	case BIN_SUB:
		BINARY_LOOP(int64_t, (int64_t)((uint64_t)a - (uint64_t)b))
		break;
	case BIN_MUL:
		BINARY_LOOP(int64_t, (int64_t)((uint64_t)a * (uint64_t)b))
		break;
	case BIN_DIV:
		BINARY_LOOP(int64_t, (a == INT64_MIN && b == -1) ? a : a / b)
		break;
	case BIN_FMOD: BINARY_LOOP(int64_t, b == -1 ? 0 : a % b) break;
	case BIN_MOD:
		/* The result takes the divisor's sign (Python's %). */
		BINARY_LOOP(int64_t,
		            b == -1 ? 0
		                    : ((a % b != 0 && ((a % b < 0) != (b < 0)))
		                           ? a % b + b
		                           : a % b))
		break;
	case BIN_POW: BINARY_LOOP(int64_t, int_pow(a, b)) break;
	case BIN_MAX: BINARY_LOOP(int64_t, a > b ? a : b) break;
	case BIN_MIN: BINARY_LOOP(int64_t, a < b ? a : b) break;
	case BIN_PRELU:
		BINARY_LOOP(int64_t,
		            a < 0 ? (int64_t)((uint64_t)a * (uint64_t)b) : a)
		break;
	case BIN_AND: BINARY_LOOP(int64_t, a & b) break;
	case BIN_OR: BINARY_LOOP(int64_t, a | b) break;
	case BIN_XOR: BINARY_LOOP(int64_t, a ^ b) break;
	default: break;
	}
}

static void binary_unsigned(enum binary_op op, uint64_t *acc,
                            const uint64_t *other, int64_t n)
{
	switch (op) {
	case BIN_ADD: BINARY_LOOP(uint64_t, a + b) break;
	case BIN_SUB: BINARY_LOOP(uint64_t, a - b) break;
	case BIN_MUL: BINARY_LOOP(uint64_t, a * b) break;
	case BIN_DIV: BINARY_LOOP(uint64_t, a / b) break;
	case BIN_MOD:
	case BIN_FMOD: BINARY_LOOP(uint64_t, a % b) break;
	case BIN_POW:
		BINARY_LOOP(uint64_t, (uint64_t)int_pow((int64_t)a, (int64_t)b))
		break;
	case BIN_MAX: BINARY_LOOP(uint64_t, a > b ? a : b) break;
	case BIN_MIN: BINARY_LOOP(uint64_t, a < b ? a : b) break;
	case BIN_PRELU: break; /* x >= 0: PRelu keeps x */
	case BIN_SHL: BINARY_LOOP(uint64_t, b >= 64 ? 0 : a << b) break;
	case BIN_SHR: BINARY_LOOP(uint64_t, b >= 64 ? 0 : a >> b) break;
	case BIN_AND: BINARY_LOOP(uint64_t, a & b) break;
	case BIN_OR: BINARY_LOOP(uint64_t, a | b) break;
	case BIN_XOR: BINARY_LOOP(uint64_t, a ^ b) break;
	}
}
#undef BINARY_LOOP

static bool has_zero(const void *wide, eval_kind kind, int64_t n)
{
	const uint64_t *u = wide; /* int64 0 and uint64 0 share bits */
	if (kind == EVAL_KIND_FLOAT)
		return false;
	for (int64_t i = 0; i < n; i++)
		if (u[i] == 0)
			return true;
	return false;
}

static bool has_negative(const int64_t *v, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		if (v[i] < 0)
			return true;
	return false;
}

/* The output is computed in blocks of this many elements, so that the
 * kernel's scratch (offsets and operands widened to 8 bytes) stays a few
 * hundred KiB however big the output is: a fold that makes a 64 MiB
 * tensor needs no 500 MB of scratch. */
enum { COMBINE_BLOCK = 1 << 14 };

enum widen_as { WIDEN_OWN_KIND, WIDEN_DOUBLES, WIDEN_INT64S };

typedef struct combine_block {
	const eval_tensor *const *ins;
	int n_inputs;
	enum binary_op op;
	bool mean;
	int rank;
	const int64_t *dims;
	/* COMBINE_BLOCK entries of 8 bytes each. */
	int64_t *offsets;
	void *gathered, *acc, *other;
} combine_block;

/* Input t's elements for the output elements [start, start + count),
 * widened into wide. */
static void widen_block(combine_block *b, const eval_tensor *t, int64_t start,
                        int64_t count, enum widen_as as, void *wide)
{
	eval_broadcast_offsets_range(t, b->rank, b->dims, start, count,
	                             b->offsets);
	eval_gather_bytes(b->gathered, t->data, b->offsets, count,
	                  t->elem_size);
	eval_tensor view = *t;
	view.data = b->gathered;
	view.numel = count;
	switch (as) {
	case WIDEN_OWN_KIND: eval_widen_into(wide, &view); break;
	case WIDEN_DOUBLES: eval_doubles_into(wide, &view); break;
	case WIDEN_INT64S: eval_int64s_into(wide, &view); break;
	}
}

/* Output elements [start, start + count) into out (the block's first). */
static int combine_block_run(eval_call *c, combine_block *b, int64_t start,
                             int64_t count, void *out)
{
	const eval_tensor *const *ins = b->ins;
	enum binary_op op = b->op;
	int type = ins[0]->elem_type;
	eval_kind kind = eval_kind_of(type);
	void *acc = b->acc, *other = b->other;
	/* The accumulator starts as input 0 spread to the output shape. */
	widen_block(b, ins[0], start, count, WIDEN_OWN_KIND, acc);
	for (int k = 1; k < b->n_inputs; k++) {
		const eval_tensor *t = ins[k];
		if (op == BIN_POW && kind == EVAL_KIND_FLOAT) {
			widen_block(b, t, start, count, WIDEN_DOUBLES, other);
			binary_float(op, acc, other, count);
			continue;
		}
		if (op == BIN_POW && eval_is_float(t->elem_type)) {
			/* Integer base, float exponent: compute in double
			 * and truncate, as numpy does. The gathered bytes
			 * are done with once widened: the base goes there. */
			widen_block(b, t, start, count, WIDEN_DOUBLES, other);
			double *base = b->gathered;
			const int64_t *a = acc;
			const uint64_t *ua = acc;
			for (int64_t i = 0; i < count; i++)
				base[i] = kind == EVAL_KIND_SIGNED
				              ? (double)a[i]
				              : (double)ua[i];
			binary_float(op, base, other, count);
			eval_store_doubles(out, type, base, count);
			return EVAL_OK;
		}
		widen_block(b, t, start, count,
		            kind == EVAL_KIND_SIGNED || op == BIN_POW
		                ? WIDEN_INT64S
		                : WIDEN_OWN_KIND,
		            other);
		/* Every element of t takes part in some block (the output
		 * is not empty), so checking block by block checks them
		 * all. */
		if (op == BIN_POW && has_negative(other, count))
			return eval_unsupported(c, "integer power with a "
			                           "negative exponent");
		if ((op == BIN_DIV || op == BIN_MOD || op == BIN_FMOD) &&
		    has_zero(other, kind, count))
			return eval_unsupported(c, "integer division by zero");
		if (kind == EVAL_KIND_FLOAT)
			binary_float(op, acc, other, count);
		else if (kind == EVAL_KIND_SIGNED)
			binary_signed(op, acc, other, count);
		else
			binary_unsigned(op, acc, other, count);
	}
	if (b->mean) { /* floats only: combine() checked */
		double *d = acc;
		for (int64_t i = 0; i < count; i++)
			d[i] /= b->n_inputs;
	}
	eval_narrow(out, type, acc, count);
	return EVAL_OK;
}

/* Combine inputs [0, n) left to right with `op`, broadcasting all of
 * them; the output takes input 0's type. */
static int combine(eval_call *c, enum binary_op op, int n_inputs, bool mean)
{
	const eval_tensor *ins[64];
	if (n_inputs < 1 || n_inputs > 64)
		return eval_unsupported(c, "with %d inputs", n_inputs);
	for (int k = 0; k < n_inputs; k++) {
		if (!eval_has_input(c, k))
			return eval_error(c, "input %d is absent", k);
		ins[k] = &c->in[k];
	}
	int type = ins[0]->elem_type;
	eval_kind kind = eval_kind_of(type);
	if (kind == EVAL_KIND_NONE || kind == EVAL_KIND_STRING)
		return eval_unsupported(c, "on %s", ir_elem_name(type));
	for (int k = 1; k < n_inputs; k++)
		if (ins[k]->elem_type != type && op != BIN_POW)
			return eval_error(c, "inputs of types %s and %s",
			                  ir_elem_name(type),
			                  ir_elem_name(ins[k]->elem_type));
	if (mean && kind != EVAL_KIND_FLOAT)
		return eval_unsupported(c, "on integers");
	int rank;
	int64_t dims[EVAL_MAX_RANK];
	if (!eval_broadcast_shape(c, ins, n_inputs, &rank, dims))
		return EVAL_ERROR;
	int64_t n = eval_numel(dims, rank);
	uint8_t *out = eval_output_filled(c, 0, type, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t block = n < COMBINE_BLOCK ? n : COMBINE_BLOCK;
	combine_block b = {
	    .ins = ins,
	    .n_inputs = n_inputs,
	    .op = op,
	    .mean = mean,
	    .rank = rank,
	    .dims = dims,
	    .offsets = eval_alloc(c, 8 * (size_t)block),
	    .gathered = eval_alloc(c, 8 * (size_t)block),
	    .acc = eval_alloc(c, 8 * (size_t)block),
	    .other = eval_alloc(c, 8 * (size_t)block),
	};
	size_t out_elem_size = eval_elem_size(type);
	for (int64_t start = 0; start < n; start += block) {
		int64_t count = n - start < block ? n - start : block;
		int code = combine_block_run(
		    c, &b, start, count, out + (size_t)start * out_elem_size);
		if (code != EVAL_OK)
			return code;
	}
	return EVAL_OK;
}

/* Before opset 7, B broadcasts only with broadcast=1, its dims lining
 * up with A's from `axis` on (by default, A's last dims). That is numpy
 * broadcasting of B with trailing 1s appended, so B's view is reshaped
 * (the data is unchanged). */
static bool legacy_broadcast(eval_call *c)
{
	if (!eval_has_input(c, 0) || !eval_has_input(c, 1)) {
		eval_error(c, "needs two inputs");
		return false;
	}
	eval_tensor *a = &c->in[0], *b = &c->in[1];
	if (!eval_attr_int(c, "broadcast", 0)) {
		bool same = a->rank == b->rank;
		for (int i = 0; same && i < a->rank; i++)
			same = a->dims[i] == b->dims[i];
		if (!same)
			eval_error(c, "needs equal shapes without broadcast=1");
		return same;
	}
	int64_t axis = eval_attr_int(c, "axis", a->rank - b->rank);
	if (b->rank == 1 && b->dims[0] == 1)
		return true; /* a scalar broadcasts either way */
	/* untrusted attribute: axis + b->rank could overflow */
	if (axis < 0 || axis > a->rank - b->rank) {
		eval_error(c, "legacy axis %lld does not fit", (long long)axis);
		return false;
	}
	for (int i = 0; i < b->rank; i++)
		if (b->dims[i] != a->dims[axis + i] && b->dims[i] != 1) {
			eval_error(c, "legacy broadcast dims differ");
			return false;
		}
	for (int i = b->rank; i < a->rank - axis; i++)
		b->dims[i] = 1;
	b->rank = (int)(a->rank - axis);
	return true;
}

int eval_arith(eval_call *c)
{
	static const struct {
		const char *name;
		enum binary_op op;
	} ops[] = {
	    {"Add", BIN_ADD},        {"Sub", BIN_SUB},
	    {"Mul", BIN_MUL},        {"Div", BIN_DIV},
	    {"Pow", BIN_POW},        {"PRelu", BIN_PRELU},
	    {"BitwiseAnd", BIN_AND}, {"BitwiseOr", BIN_OR},
	    {"BitwiseXor", BIN_XOR},
	};
	const char *name = c->node->op_type;
	if (c->n_inputs != 2)
		return eval_error(c, "needs 2 inputs, has %d", c->n_inputs);
	if (c->opset < 7 && strcmp(name, "PRelu") && !legacy_broadcast(c))
		return c->failure;
	/* PRelu before opset 7: a 1-D slope of C entries is per channel
	 * (axis 1), not per last-axis element. */
	if (c->opset < 7 && !strcmp(name, "PRelu") && eval_has_input(c, 0) &&
	    eval_has_input(c, 1) && c->in[1].rank == 1 && c->in[0].rank >= 2 &&
	    c->in[1].dims[0] == c->in[0].dims[1] && c->in[1].dims[0] != 1) {
		eval_tensor *slope = &c->in[1];
		slope->rank = c->in[0].rank - 1;
		for (int i = 1; i < slope->rank; i++)
			slope->dims[i] = 1;
	}
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (strcmp(ops[i].name, name))
			continue;
		enum binary_op op = ops[i].op;
		int type = eval_has_input(c, 0) ? c->in[0].elem_type : 0;
		if ((op == BIN_AND || op == BIN_OR || op == BIN_XOR) &&
		    !eval_is_integer(type))
			return eval_error(c, "on %s", ir_elem_name(type));
		return combine(c, op, 2, false);
	}
	return eval_unsupported(c, "is not arithmetic");
}

int eval_mod(eval_call *c)
{
	bool fmod_attr = eval_attr_int(c, "fmod", 0) != 0;
	if (c->n_inputs != 2 || !eval_has_input(c, 0))
		return eval_error(c, "needs 2 inputs");
	if (eval_is_float(c->in[0].elem_type) && !fmod_attr)
		return eval_error(c, "on floats needs fmod=1");
	return combine(c, fmod_attr ? BIN_FMOD : BIN_MOD, 2, false);
}

int eval_bitshift(eval_call *c)
{
	const char *direction = eval_attr_string(c, "direction", "");
	enum binary_op op;
	if (!strcmp(direction, "LEFT"))
		op = BIN_SHL;
	else if (!strcmp(direction, "RIGHT"))
		op = BIN_SHR;
	else
		return eval_error(c, "direction '%s'", direction);
	if (c->n_inputs != 2 || !eval_has_input(c, 0) ||
	    eval_kind_of(c->in[0].elem_type) != EVAL_KIND_UNSIGNED ||
	    c->in[0].elem_type == IR_BOOL)
		return eval_error(c, "needs two unsigned integer inputs");
	return combine(c, op, 2, false);
}

/* Max, Min, Sum, Mean: any number of inputs (Max/Min/Sum/Mean before
 * opset 8 did not broadcast, which the shapes then already agree on). */
int eval_variadic(eval_call *c)
{
	const char *name = c->node->op_type;
	if (!strcmp(name, "Max"))
		return combine(c, BIN_MAX, c->n_inputs, false);
	if (!strcmp(name, "Min"))
		return combine(c, BIN_MIN, c->n_inputs, false);
	if (!strcmp(name, "Sum"))
		return combine(c, BIN_ADD, c->n_inputs, false);
	if (!strcmp(name, "Mean"))
		return combine(c, BIN_ADD, c->n_inputs, true);
	return eval_unsupported(c, "is not variadic");
}
