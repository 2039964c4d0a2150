/*
 * recurrent.c - inference for sequence models: RNN, GRU, LSTM and
 * Attention (opset 23).
 *
 * The recurrent ops lay their outputs out as [seq, directions, batch,
 * hidden] (layout 0) or [batch, seq, directions, hidden] (layout 1, opset
 * 14). Attention takes 4-D [batch, heads, seq, head_size] operands, or
 * 3-D [batch, seq, heads * head_size] ones whose head counts come from
 * q_num_heads and kv_num_heads.
 */
#include <string.h>

#include "infer.h"

void shape_infer_rnn(infer_ctx *ctx)
{
	shape_type x, r;
	if (!infer_input(ctx, 0, &x))
		return;
	const char *direction = infer_attr_string(ctx, "direction", "forward");
	int64_t directions = !strcmp(direction, "bidirectional") ? 2 : 1;
	bool batch_first =
	    ctx->opset >= 14 && infer_attr_int(ctx, "layout", 0) != 0;
	dim_expr hidden = dim_unknown();
	if (infer_has_attr(ctx, "hidden_size"))
		hidden = dim_const(infer_attr_int(ctx, "hidden_size", 0));
	else if (infer_input(ctx, 2, &r) && r.rank == 3)
		hidden = r.dims[2];
	dim_expr seq = dim_unknown(), batch = dim_unknown();
	if (x.rank == 3) {
		seq = x.dims[batch_first ? 1 : 0];
		batch = x.dims[batch_first ? 0 : 1];
	}
	dim_expr dirs = dim_const(directions);
	shape_type y;
	shape_type_rank(&y, x.elem, 4);
	if (batch_first) {
		y.dims[0] = batch, y.dims[1] = seq;
	} else {
		y.dims[0] = seq, y.dims[2] = batch;
	}
	y.dims[batch_first ? 2 : 1] = dirs;
	y.dims[3] = hidden;
	infer_output(ctx, 0, &y);
	shape_type state;
	shape_type_rank(&state, x.elem, 3);
	state.dims[batch_first ? 0 : 1] = batch;
	state.dims[batch_first ? 1 : 0] = dirs;
	state.dims[2] = hidden;
	infer_output(ctx, 1, &state);
	infer_output(ctx, 2, &state); /* LSTM's Y_c */
}

/* Heads and per-head size of an Attention operand. */
typedef struct heads {
	bool known;
	dim_expr batch, count, seq, size;
} heads;

static heads read_heads(const infer_ctx *ctx, int index, const char *count_attr)
{
	heads h;
	memset(&h, 0, sizeof h);
	shape_type t;
	if (!infer_input(ctx, index, &t))
		return h;
	if (t.rank == 4) {
		h.known = true;
		h.batch = t.dims[0];
		h.count = t.dims[1];
		h.seq = t.dims[2];
		h.size = t.dims[3];
	} else if (t.rank == 3 && infer_has_attr(ctx, count_attr)) {
		int64_t n = infer_attr_int(ctx, count_attr, 0);
		if (n <= 0)
			return h;
		h.known = true;
		h.batch = t.dims[0];
		h.count = dim_const(n);
		h.seq = t.dims[1];
		h.size = dim_floordiv(&t.dims[2], n);
	}
	return h;
}

void shape_infer_attention(infer_ctx *ctx)
{
	shape_type q;
	if (!infer_input(ctx, 0, &q))
		return;
	int kv_elem = infer_input_elem(ctx, 1);
	heads qh = read_heads(ctx, 0, "q_num_heads");
	heads kh = read_heads(ctx, 1, "kv_num_heads");
	heads vh = read_heads(ctx, 2, "kv_num_heads");
	dim_expr past = dim_const(0);
	if (infer_input_present(ctx, 4)) {
		shape_type p;
		past = infer_input(ctx, 4, &p) && p.rank == 4 ? p.dims[2]
		                                              : dim_unknown();
	}
	dim_expr total = kh.known ? dim_add(&past, &kh.seq) : dim_unknown();

	shape_type y;
	if (q.rank == 4) {
		y = q;
		y.dims[3] = vh.known ? vh.size : dim_unknown();
	} else if (q.rank == 3) {
		y = q;
		y.dims[2] = qh.known && vh.known ? dim_mul(&qh.count, &vh.size)
		                                 : dim_unknown();
	} else {
		shape_type_unknown(&y, q.elem);
	}
	infer_output(ctx, 0, &y);

	shape_type present;
	shape_type_rank(&present, kv_elem, 4);
	present.dims[0] = q.rank >= 3 ? q.dims[0] : dim_unknown();
	present.dims[1] = kh.known ? kh.count : dim_unknown();
	present.dims[2] = total;
	present.dims[3] = kh.known ? kh.size : dim_unknown();
	infer_output(ctx, 1, &present);
	present.elem = infer_input_elem(ctx, 2);
	present.dims[3] = vh.known ? vh.size : dim_unknown();
	infer_output(ctx, 2, &present);

	shape_type scores;
	shape_type_rank(&scores, q.elem, 4);
	scores.dims[0] = present.dims[0];
	scores.dims[1] = qh.known ? qh.count : dim_unknown();
	scores.dims[2] = qh.known ? qh.seq : dim_unknown();
	scores.dims[3] = total;
	infer_output(ctx, 3, &scores);
}
