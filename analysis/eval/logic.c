/*
 * logic.c - comparisons and boolean logic: Equal, Less, LessOrEqual,
 * Greater, GreaterOrEqual, And, Or, Xor, Not, BitwiseNot, IsNaN, IsInf,
 * Where.
 *
 * Comparisons widen both sides to the kind of their (shared) type and
 * compare exactly; strings compare byte for byte. Where selects element
 * bytes, so it serves every type, strings included.
 */
#include <math.h>
#include <string.h>

#include "eval.h"

enum compare_op { CMP_EQ, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

/* The broadcast shape only: the offsets (8 bytes per output element)
 * are made once eval_output has accepted the output's size. */
static bool broadcast_two(eval_call *c, int *rank, int64_t *dims)
{
	if (c->n_inputs != 2 || !eval_has_input(c, 0) ||
	    !eval_has_input(c, 1)) {
		eval_error(c, "needs two inputs");
		return false;
	}
	const eval_tensor *ins[2] = {&c->in[0], &c->in[1]};
	return eval_broadcast_shape(c, ins, 2, rank, dims);
}

static int strings_compare(const ProtobufCBinaryData *a,
                           const ProtobufCBinaryData *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int r = n ? memcmp(a->data, b->data, n) : 0;
	if (r)
		return r;
	return a->len < b->len ? -1 : (a->len > b->len ? 1 : 0);
}

int eval_compare(eval_call *c)
{
	static const struct {
		const char *name;
		enum compare_op op;
	} ops[] = {{"Equal", CMP_EQ},
	           {"Less", CMP_LT},
	           {"LessOrEqual", CMP_LE},
	           {"Greater", CMP_GT},
	           {"GreaterOrEqual", CMP_GE}};
	int found = -1;
	for (int i = 0; i < 5; i++)
		if (!strcmp(ops[i].name, c->node->op_type))
			found = i;
	if (found < 0)
		return eval_unsupported(c, "is not a comparison");
	enum compare_op op = ops[found].op;
	int rank;
	int64_t dims[EVAL_MAX_RANK];
	if (!broadcast_two(c, &rank, dims))
		return EVAL_ERROR;
	const eval_tensor *a = &c->in[0], *b = &c->in[1];
	if (a->elem_type != b->elem_type)
		return eval_error(c, "compares %s with %s",
		                  ir_elem_name(a->elem_type),
		                  ir_elem_name(b->elem_type));
	uint8_t *out = eval_output(c, 0, IR_BOOL, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	const int64_t *oa = eval_broadcast_offsets(c, a, rank, dims);
	const int64_t *ob = eval_broadcast_offsets(c, b, rank, dims);
	int64_t n = eval_numel(dims, rank);
	eval_kind kind = eval_kind_of(a->elem_type);
#define COMPARE(T, SIGN_OF)                                                    \
	{                                                                      \
		const T *x = (const T *)wa, *y = (const T *)wb;                \
		for (int64_t i = 0; i < n; i++) {                              \
			const T *p = &x[oa[i]], *q = &y[ob[i]];                \
			int s = (SIGN_OF);                                     \
			bool unordered = s == 2;                               \
			switch (op) {                                          \
			case CMP_EQ: out[i] = !unordered && s == 0; break;     \
			case CMP_LT: out[i] = !unordered && s < 0; break;      \
			case CMP_LE: out[i] = !unordered && s <= 0; break;     \
			case CMP_GT: out[i] = !unordered && s == 1; break;     \
			case CMP_GE: out[i] = !unordered && s >= 0; break;     \
			}                                                      \
		}                                                              \
	}
	const void *wa, *wb;
	if (kind == EVAL_KIND_STRING) {
		wa = a->data;
		wb = b->data;
		COMPARE(ProtobufCBinaryData, strings_compare(p, q))
		return EVAL_OK;
	}
	if (kind == EVAL_KIND_NONE)
		return eval_unsupported(c, "on %s", ir_elem_name(a->elem_type));
	wa = eval_widen(c, a);
	wb = eval_widen(c, b);
	/* s: -1, 0, 1, or 2 when a NaN makes the pair unordered. */
	switch (kind) {
	case EVAL_KIND_FLOAT:
		COMPARE(double, (isnan(*p) || isnan(*q))
		                    ? 2
		                    : (*p < *q ? -1 : (*p > *q ? 1 : 0)))
		break;
	case EVAL_KIND_SIGNED:
		COMPARE(int64_t, *p < *q ? -1 : (*p > *q ? 1 : 0))
		break;
	default: COMPARE(uint64_t, *p < *q ? -1 : (*p > *q ? 1 : 0)) break;
	}
#undef COMPARE
	return EVAL_OK;
}

int eval_logical(eval_call *c)
{
	const char *name = c->node->op_type;
	int op = !strcmp(name, "And")   ? 0
	         : !strcmp(name, "Or")  ? 1
	         : !strcmp(name, "Xor") ? 2
	                                : -1;
	if (op < 0)
		return eval_unsupported(c, "is not logical");
	int rank;
	int64_t dims[EVAL_MAX_RANK];
	if (!broadcast_two(c, &rank, dims))
		return EVAL_ERROR;
	if (c->in[0].elem_type != IR_BOOL || c->in[1].elem_type != IR_BOOL)
		return eval_error(c, "needs bool inputs");
	uint8_t *out = eval_output(c, 0, IR_BOOL, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	const int64_t *oa = eval_broadcast_offsets(c, &c->in[0], rank, dims);
	const int64_t *ob = eval_broadcast_offsets(c, &c->in[1], rank, dims);
	const uint8_t *x = c->in[0].data, *y = c->in[1].data;
	int64_t n = eval_numel(dims, rank);
	for (int64_t i = 0; i < n; i++) {
		bool p = x[oa[i]] != 0, q = y[ob[i]] != 0;
		out[i] = op == 0 ? (p && q) : op == 1 ? (p || q) : (p != q);
	}
	return EVAL_OK;
}

int eval_not(eval_call *c)
{
	if (!eval_has_input(c, 0))
		return eval_error(c, "input 0 is absent");
	const eval_tensor *t = &c->in[0];
	bool bitwise = !strcmp(c->node->op_type, "BitwiseNot");
	if (bitwise ? !eval_is_integer(t->elem_type) : t->elem_type != IR_BOOL)
		return eval_error(c, "on %s", ir_elem_name(t->elem_type));
	void *out = eval_output_like(c, 0, t, t->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	if (!bitwise) {
		const uint8_t *x = t->data;
		uint8_t *y = out;
		for (int64_t i = 0; i < t->numel; i++)
			y[i] = !x[i];
		return EVAL_OK;
	}
	uint64_t *w = eval_uint64s(c, t);
	for (int64_t i = 0; i < t->numel; i++)
		w[i] = ~w[i];
	eval_store_uint64s(out, t->elem_type, w, t->numel);
	return EVAL_OK;
}

int eval_is_nan_inf(eval_call *c)
{
	if (!eval_has_input(c, 0) || !eval_is_float(c->in[0].elem_type))
		return eval_error(c, "needs a float input");
	const eval_tensor *t = &c->in[0];
	bool nan_test = !strcmp(c->node->op_type, "IsNaN");
	bool negative = eval_attr_int(c, "detect_negative", 1) != 0;
	bool positive = eval_attr_int(c, "detect_positive", 1) != 0;
	uint8_t *out = eval_output_like(c, 0, t, IR_BOOL);
	if (!out)
		return EVAL_UNSUPPORTED;
	const double *x = eval_doubles(c, t);
	for (int64_t i = 0; i < t->numel; i++) {
		if (nan_test)
			out[i] = isnan(x[i]) != 0;
		else
			out[i] =
			    isinf(x[i]) && (x[i] > 0 ? positive : negative);
	}
	return EVAL_OK;
}

int eval_where(eval_call *c)
{
	for (int k = 0; k < 3; k++)
		if (!eval_has_input(c, k))
			return eval_error(c, "input %d is absent", k);
	const eval_tensor *cond = &c->in[0], *x = &c->in[1], *y = &c->in[2];
	if (cond->elem_type != IR_BOOL || x->elem_type != y->elem_type)
		return eval_error(c, "needs a bool condition and two inputs "
		                     "of one type");
	const eval_tensor *ins[3] = {cond, x, y};
	int rank;
	int64_t dims[EVAL_MAX_RANK];
	if (!eval_broadcast_shape(c, ins, 3, &rank, dims))
		return EVAL_ERROR;
	char *out = eval_output(c, 0, x->elem_type, rank, dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	int64_t n = eval_numel(dims, rank);
	const int64_t *oc = eval_broadcast_offsets(c, cond, rank, dims);
	int64_t *ox = eval_broadcast_offsets(c, x, rank, dims);
	const int64_t *oy = eval_broadcast_offsets(c, y, rank, dims);
	size_t es = x->elem_size;
	/* Gather from x everywhere, then patch in y where cond is false. */
	eval_gather_bytes(out, x->data, ox, n, es);
	const uint8_t *cv = cond->data;
	for (int64_t i = 0; i < n; i++)
		if (!cv[oc[i]])
			memcpy(out + (size_t)i * es,
			       (const char *)y->data + (size_t)oy[i] * es, es);
	return EVAL_OK;
}
