/*
 * linalg.c - inference for matrix products: MatMul, MatMulInteger,
 * QLinearMatMul, Gemm, Einsum and Det.
 *
 * MatMul follows numpy: a 1-D operand gets a temporary 1 prepended (A) or
 * appended (B) that is dropped from the result, and the batch dims in
 * front of the last two broadcast against each other.
 */
#include <string.h>

#include "infer.h"

void shape_infer_matmul(infer_ctx *ctx)
{
	bool quantized = ir_node_is(ctx->node, "QLinearMatMul");
	int b_index = quantized ? 3 : 1;
	shape_type a, b;
	if (!infer_input(ctx, 0, &a) || !infer_input(ctx, b_index, &b))
		return;
	int elem = a.elem;
	if (ir_node_is(ctx->node, "MatMulInteger"))
		elem = IR_INT32;
	else if (quantized)
		elem = infer_input_elem(ctx, 7);
	shape_type out;
	shape_type_unknown(&out, elem);
	if (a.rank < 1 || b.rank < 1) {
		infer_output(ctx, 0, &out);
		return;
	}
	bool a_vector = a.rank == 1, b_vector = b.rank == 1;
	dim_expr m = a_vector ? dim_const(1) : a.dims[a.rank - 2];
	dim_expr n = b_vector ? dim_const(1) : b.dims[b.rank - 1];
	shape_type batch_a, batch_b;
	shape_type_rank(&batch_a, elem, a_vector ? 0 : a.rank - 2);
	shape_type_rank(&batch_b, elem, b_vector ? 0 : b.rank - 2);
	memcpy(batch_a.dims, a.dims, sizeof(dim_expr) * (size_t)batch_a.rank);
	memcpy(batch_b.dims, b.dims, sizeof(dim_expr) * (size_t)batch_b.rank);
	if (!shape_broadcast(&batch_a, &batch_b) ||
	    batch_a.rank + 2 > SHAPE_MAX_RANK)
		return;
	out = batch_a;
	if (!a_vector)
		out.dims[out.rank++] = m;
	if (!b_vector)
		out.dims[out.rank++] = n;
	infer_output(ctx, 0, &out);
}

void shape_infer_gemm(infer_ctx *ctx)
{
	shape_type a, b, out;
	if (!infer_input(ctx, 0, &a) || !infer_input(ctx, 1, &b))
		return;
	shape_type_rank(&out, a.elem, 2);
	bool trans_a = infer_attr_int(ctx, "transA", 0) != 0;
	bool trans_b = infer_attr_int(ctx, "transB", 0) != 0;
	if (a.rank == 2)
		out.dims[0] = a.dims[trans_a ? 1 : 0];
	if (b.rank == 2)
		out.dims[1] = b.dims[trans_b ? 0 : 1];
	infer_output(ctx, 0, &out);
}

void shape_infer_det(infer_ctx *ctx)
{
	shape_type in;
	if (!infer_input(ctx, 0, &in))
		return;
	if (in.rank >= 2)
		in.rank -= 2;
	else
		in.rank = -1;
	infer_output(ctx, 0, &in);
}

/* -------------------------------------------------------------- Einsum */

#define EINSUM_LETTERS 52

static int letter_index(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return 26 + c - 'A';
	return -1;
}

typedef struct einsum_state {
	dim_expr letter[EINSUM_LETTERS];
	bool seen[EINSUM_LETTERS];
	int count[EINSUM_LETTERS];
	shape_type ellipsis; /* broadcast of every operand's "..." dims */
	bool has_ellipsis;
} einsum_state;

/* Bind one operand's subscripts (text of length len) to its dims. */
static bool einsum_bind(einsum_state *st, const char *term, int len,
                        const shape_type *t)
{
	int letters = 0, dots = 0;
	for (int i = 0; i < len; i++) {
		if (term[i] == '.')
			dots++;
		else if (letter_index(term[i]) >= 0)
			letters++;
		else if (term[i] != ' ')
			return false;
	}
	if (dots != 0 && dots != 3)
		return false;
	if (t->rank < 0)
		return false;
	int ellipsis_rank = t->rank - letters;
	if (ellipsis_rank < 0 || (!dots && ellipsis_rank != 0))
		return false;
	int axis = 0;
	for (int i = 0; i < len; i++) {
		if (term[i] == '.') {
			if (i + 2 < len && term[i + 1] == '.' &&
			    term[i + 2] == '.') {
				shape_type part;
				shape_type_rank(&part, t->elem, ellipsis_rank);
				memcpy(part.dims, &t->dims[axis],
				       sizeof(dim_expr) *
				           (size_t)ellipsis_rank);
				if (!st->has_ellipsis) {
					st->ellipsis = part;
					st->has_ellipsis = true;
				} else if (!shape_broadcast(&st->ellipsis,
				                            &part)) {
					return false;
				}
				axis += ellipsis_rank;
				i += 2;
			}
			continue;
		}
		int k = letter_index(term[i]);
		if (k < 0)
			continue;
		const dim_expr *d = &t->dims[axis++];
		int64_t c;
		if (!st->seen[k] || (!st->letter[k].known && d->known) ||
		    (dim_is_const(d, &c) && c != 1))
			st->letter[k] = *d;
		st->seen[k] = true;
		st->count[k]++;
	}
	return true;
}

void shape_infer_einsum(infer_ctx *ctx)
{
	int elem = infer_input_elem(ctx, 0);
	const char *eq = infer_attr_string(ctx, "equation", NULL);
	if (!eq) {
		infer_output_elem(ctx, 0, elem);
		return;
	}
	einsum_state st;
	memset(&st, 0, sizeof st);
	const char *arrow = strstr(eq, "->");
	const char *lhs_end = arrow ? arrow : eq + strlen(eq);
	const char *term = eq;
	int operand = 0;
	bool ok = true;
	while (ok && term <= lhs_end) {
		const char *comma = memchr(term, ',', (size_t)(lhs_end - term));
		const char *end = comma ? comma : lhs_end;
		shape_type t;
		ok = infer_input(ctx, operand, &t) &&
		     einsum_bind(&st, term, (int)(end - term), &t);
		operand++;
		term = end + 1;
	}
	shape_type out;
	shape_type_unknown(&out, elem);
	if (!ok || operand != ctx->node->n_inputs) {
		infer_output(ctx, 0, &out);
		return;
	}
	out.rank = 0;
	if (arrow) {
		const char *rhs = arrow + 2;
		int rhs_ellipsis = 0;
		for (int i = 0; rhs[i]; i++) {
			if (rhs[i] == '.') {
				if (rhs[i + 1] == '.' && rhs[i + 2] == '.') {
					/* One ellipsis, and room for it. */
					if (rhs_ellipsis++ ||
					    (st.has_ellipsis &&
					     out.rank + st.ellipsis.rank >
					         SHAPE_MAX_RANK))
						return;
					for (int k = 0; st.has_ellipsis &&
					                k < st.ellipsis.rank;
					     k++)
						out.dims[out.rank++] =
						    st.ellipsis.dims[k];
					i += 2;
					continue;
				}
				return;
			}
			int k = letter_index(rhs[i]);
			if (rhs[i] == ' ')
				continue;
			if (k < 0 || !st.seen[k] || out.rank >= SHAPE_MAX_RANK)
				return;
			out.dims[out.rank++] = st.letter[k];
		}
	} else {
		/* Implicit output: the ellipsis, then letters used once, in
		 * alphabetical order (upper case before lower in ASCII). */
		for (int k = 0; st.has_ellipsis && k < st.ellipsis.rank; k++)
			out.dims[out.rank++] = st.ellipsis.dims[k];
		for (int pass = 0; pass < 2; pass++)
			for (int k = pass ? 0 : 26;
			     k < (pass ? 26 : EINSUM_LETTERS); k++)
				if (st.count[k] == 1 &&
				    out.rank < SHAPE_MAX_RANK)
					out.dims[out.rank++] = st.letter[k];
	}
	infer_output(ctx, 0, &out);
}
