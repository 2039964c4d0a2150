/*
 * control_flow.c - inference through If, Loop and Scan bodies, and for
 * the small sequence and optional ops that yield tensors.
 *
 *   If:   outputs = what both branches agree on (the taken branch when
 *         the condition is a constant).
 *   Loop: body(iteration: int64[], cond: bool[], carried...) ->
 *         (cond, carried..., scan outputs...); final carried values agree
 *         with both the initial values (zero iterations) and the body's
 *         results; scan outputs stack the body's per-iteration values.
 *   Scan: body(states..., slices...) -> (states..., outputs...), where a
 *         slice drops the scan axis and an output gains it back.
 *
 * Loop-carried values may change shape from one iteration to the next, so
 * a body is first inferred with the initial types; if a carried result
 * then differs from what went in, every type in the body is restored and
 * the body is inferred again from the types both agree on (at most a few
 * rounds, then from element types alone; one round from element types
 * once the model's loops have used SHAPE_REPEAT_BUDGET). Body inputs the
 * model declares are refined like any value, never contradicted.
 */
#include <stdlib.h>
#include <string.h>

#include "infer.h"
#include "ir_arena.h"
#include "ir_limits.h"

#define MAX_CARRIED 64

static bool value_type(const ir_value *v, shape_type *out)
{
	return v && shape_type_from_ir(&v->type, out);
}

/* Keep what a and b agree on. */
static void agree(shape_type *a, const shape_type *b)
{
	if (a->elem != b->elem)
		a->elem = IR_UNDEFINED;
	if (a->rank != b->rank) {
		a->rank = -1;
		return;
	}
	for (int i = 0; i < a->rank; i++)
		if (!dim_equal(&a->dims[i], &b->dims[i]))
			a->dims[i] = dim_unknown();
}

static bool same_type(const shape_type *a, const shape_type *b)
{
	if (a->elem != b->elem || a->rank != b->rank)
		return false;
	for (int i = 0; i < a->rank; i++)
		if ((a->dims[i].known || b->dims[i].known) &&
		    !dim_equal(&a->dims[i], &b->dims[i]))
			return false;
	return true;
}

/* --------------------------------------------------------------------- If */

static int constant_condition(const infer_ctx *ctx, int index)
{
	const ir_tensor *t = infer_input_tensor(ctx, index);
	const void *data;
	size_t size;
	if (!t || t->elem_type != IR_BOOL || ir_tensor_numel(t) != 1 ||
	    !ir_tensor_raw(ctx->analysis->model, t, &data, &size))
		return -1;
	return *(const uint8_t *)data != 0;
}

/* Out of line, so that its shape_types are not part of every level of the
 * recursion through nested Ifs (see ir_limits.h). */
static IR_NOINLINE void if_outputs(infer_ctx *ctx, ir_graph *then_branch,
                                   ir_graph *else_branch)
{
	int taken = constant_condition(ctx, 0);
	for (int i = 0; i < ctx->node->n_outputs; i++) {
		shape_type t, e;
		bool has_then = i < then_branch->n_outputs &&
		                value_type(then_branch->outputs[i], &t);
		bool has_else = i < else_branch->n_outputs &&
		                value_type(else_branch->outputs[i], &e);
		if (taken == 1 && has_then) {
			infer_output(ctx, i, &t);
		} else if (taken == 0 && has_else) {
			infer_output(ctx, i, &e);
		} else if (taken < 0 && has_then && has_else) {
			agree(&t, &e);
			infer_output(ctx, i, &t);
		}
	}
}

void shape_infer_if(infer_ctx *ctx)
{
	ir_graph *then_branch = infer_attr_graph(ctx, "then_branch");
	ir_graph *else_branch = infer_attr_graph(ctx, "else_branch");
	if (then_branch)
		shape_infer_graph(ctx->analysis, then_branch);
	if (else_branch)
		shape_infer_graph(ctx->analysis, else_branch);
	if (then_branch && else_branch)
		if_outputs(ctx, then_branch, else_branch);
}

/* ------------------------------------------------------ carried values */

/* A body whose first n_carried inputs (from input_offset) are carried
 * values, each returned again by output output_offset + k. */
typedef struct carried_body {
	ir_graph *body;
	int input_offset, output_offset, n_carried;
	shape_type initial[MAX_CARRIED];
	bool is_tensor[MAX_CARRIED];
} carried_body;

/* Did a round leave every carried type as it came in? Where not, fold the
 * body's output type into *current for the next round. Out of line: its
 * shape_types stay off the recursion's frames (see ir_limits.h). */
static IR_NOINLINE bool carried_stable(const carried_body *cb,
                                       shape_type *current)
{
	ir_graph *body = cb->body;
	bool stable = true;
	for (int k = 0; k < cb->n_carried; k++) {
		shape_type in, out;
		int o = cb->output_offset + k;
		if (!cb->is_tensor[k] ||
		    !value_type(body->inputs[cb->input_offset + k], &in))
			continue;
		if (o >= body->n_outputs ||
		    !value_type(body->outputs[o], &out)) {
			out = in;
			shape_type_unknown(&out, IR_UNDEFINED);
		}
		/* Compared with what the round assumed, not with the body
		 * input's type: a dim assumed unknown has a fresh symbol
		 * there (see shape.h), which a changing dim never matches. */
		shape_type assumed = current[k];
		agree(&current[k], &out);
		if (!same_type(&in, &out) && !same_type(&assumed, &current[k]))
			stable = false;
	}
	return stable;
}

/* Infer a body until its carried types are stable; bind_rest sets the
 * types of its other inputs (iteration count, slices) each round. */
static void infer_carried(shape_analysis *analysis, carried_body *cb,
                          void (*bind_rest)(shape_analysis *, void *),
                          void *bind_ctx)
{
	ir_graph *body = cb->body;
	/* On the heap, like the carried_body: this function is one level of
	 * the recursion through nested bodies (see ir_limits.h). */
	shape_type *current =
	    ir_xmalloc(sizeof(shape_type) * (size_t)(cb->n_carried + 1));
	memcpy(current, cb->initial,
	       sizeof(shape_type) * (size_t)cb->n_carried);
	shape_snapshot *snapshot = shape_snapshot_take(analysis, body);
	/* Past the budget, one round with the carried types unknown, which
	 * holds for any trip count: nested bodies would otherwise take up to
	 * 4^depth rounds. */
	bool widened = analysis->repeated > SHAPE_REPEAT_BUDGET;
	for (int round = 0;; round++) {
		if (widened)
			for (int k = 0; k < cb->n_carried; k++)
				shape_type_unknown(&current[k],
				                   current[k].elem);
		bind_rest(analysis, bind_ctx);
		for (int k = 0; k < cb->n_carried; k++)
			if (cb->is_tensor[k])
				shape_refine_value(
				    analysis,
				    body->inputs[cb->input_offset + k],
				    &current[k]);
		analysis->repeating += round > 0;
		shape_infer_graph(analysis, body);
		analysis->repeating -= round > 0;
		if (carried_stable(cb, current) || widened)
			break;
		widened = round == 2 || analysis->repeated > SHAPE_REPEAT_BUDGET;
		shape_snapshot_restore(snapshot);
	}
	shape_snapshot_free(snapshot);
	free(current);
}

/* ------------------------------------------------------------------- Loop */

typedef struct loop_bind {
	ir_graph *body;
} loop_bind;

static void bind_loop(shape_analysis *analysis, void *ctx)
{
	loop_bind *lb = ctx;
	shape_type t;
	if (lb->body->n_inputs >= 1) {
		shape_type_rank(&t, IR_INT64, 0);
		shape_refine_value(analysis, lb->body->inputs[0], &t);
	}
	if (lb->body->n_inputs >= 2) {
		shape_type_rank(&t, IR_BOOL, 0);
		shape_refine_value(analysis, lb->body->inputs[1], &t);
	}
}

/* Iterations of a loop that only its trip count ends: M is constant and
 * the condition is absent, or a constant true that the body passes on
 * unchanged. -1 when unknown. */
static int64_t loop_trip_count(const infer_ctx *ctx, ir_graph *body)
{
	int64_t m;
	int n;
	if (!infer_input_present(ctx, 0) ||
	    !infer_input_ints(ctx, 0, &m, 1, &n) || n != 1 || m < 0)
		return -1;
	if (!infer_input_present(ctx, 1))
		return m;
	if (constant_condition(ctx, 1) != 1 || body->n_inputs < 2 ||
	    body->n_outputs < 1)
		return -1;
	const ir_value *out = body->outputs[0];
	if (out == body->inputs[1])
		return m;
	if (out->producer && ir_node_is(out->producer, "Identity") &&
	    out->producer->n_inputs == 1 &&
	    out->producer->inputs[0] == body->inputs[1])
		return m;
	return -1;
}

/* The Loop's outputs from its inferred body. Out of line: its shape_types
 * stay off the recursion's frames (see ir_limits.h). */
static IR_NOINLINE void loop_outputs(infer_ctx *ctx, const carried_body *cb)
{
	ir_graph *body = cb->body;
	int n_carried = cb->n_carried;
	for (int k = 0; k < n_carried; k++) {
		shape_type out;
		if (!cb->is_tensor[k] || 1 + k >= body->n_outputs ||
		    !value_type(body->outputs[1 + k], &out))
			continue;
		agree(&out, &cb->initial[k]);
		infer_output(ctx, k, &out);
	}
	int64_t trips = loop_trip_count(ctx, body);
	for (int j = 0; n_carried + j < ctx->node->n_outputs; j++) {
		shape_type per_iteration, out;
		int o = 1 + n_carried + j;
		if (o >= body->n_outputs ||
		    !value_type(body->outputs[o], &per_iteration))
			continue;
		shape_type_unknown(&out, per_iteration.elem);
		if (per_iteration.rank >= 0 &&
		    per_iteration.rank < SHAPE_MAX_RANK) {
			out.rank = per_iteration.rank + 1;
			out.dims[0] =
			    trips >= 0 ? dim_const(trips) : dim_unknown();
			memcpy(&out.dims[1], per_iteration.dims,
			       sizeof(dim_expr) * (size_t)per_iteration.rank);
		}
		infer_output(ctx, n_carried + j, &out);
	}
}

void shape_infer_loop(infer_ctx *ctx)
{
	ir_graph *body = infer_attr_graph(ctx, "body");
	if (!body)
		return;
	int n_carried = ctx->node->n_inputs - 2;
	if (n_carried < 0 || n_carried > MAX_CARRIED ||
	    body->n_inputs != n_carried + 2) {
		shape_infer_graph(ctx->analysis, body);
		return;
	}
	/* On the heap: this function is one level of the recursion through
	 * nested bodies, and a carried_body is large. */
	carried_body *cb = ir_xcalloc(1, sizeof *cb);
	cb->body = body;
	cb->input_offset = 2;
	cb->output_offset = 1;
	cb->n_carried = n_carried;
	for (int k = 0; k < n_carried; k++)
		cb->is_tensor[k] = infer_input(ctx, 2 + k, &cb->initial[k]);
	loop_bind lb = {body};
	infer_carried(ctx->analysis, cb, bind_loop, &lb);
	loop_outputs(ctx, cb);
	free(cb);
}

/* ------------------------------------------------------------------- Scan */

typedef struct scan_bind {
	ir_graph *body;
	int first_slice, n_slices;
	shape_type slices[MAX_CARRIED];
	bool known[MAX_CARRIED];
} scan_bind;

static void bind_scan(shape_analysis *analysis, void *ctx)
{
	scan_bind *sb = ctx;
	for (int j = 0; j < sb->n_slices; j++)
		if (sb->known[j])
			shape_refine_value(
			    analysis, sb->body->inputs[sb->first_slice + j],
			    &sb->slices[j]);
}

/* Remove dim `axis` (or insert `dim` at it). */
static void drop_axis(shape_type *t, int axis)
{
	for (int i = axis; i + 1 < t->rank; i++)
		t->dims[i] = t->dims[i + 1];
	t->rank--;
}

static bool insert_axis(shape_type *t, int axis, const dim_expr *dim)
{
	if (t->rank >= SHAPE_MAX_RANK || axis < 0 || axis > t->rank)
		return false;
	for (int i = t->rank; i > axis; i--)
		t->dims[i] = t->dims[i - 1];
	t->dims[axis] = *dim;
	t->rank++;
	return true;
}

/* What shape_infer_scan knows of a Scan's inputs. */
typedef struct scan_state {
	carried_body cb;
	scan_bind sb;
	int64_t in_axes[MAX_CARRIED], out_axes[MAX_CARRIED];
	dim_expr batch, length;
} scan_state;

/* The Scan's outputs from its inferred body. Out of line: its shape_types
 * stay off the recursion's frames (see ir_limits.h). */
static IR_NOINLINE void scan_outputs(infer_ctx *ctx, const scan_state *st,
                                     bool batched)
{
	ir_graph *body = st->cb.body;
	int n_states = st->cb.n_carried;
	for (int k = 0; k < n_states; k++) {
		shape_type out;
		if (!st->cb.is_tensor[k] || k >= body->n_outputs ||
		    !value_type(body->outputs[k], &out))
			continue;
		agree(&out, &st->cb.initial[k]);
		if (batched && out.rank >= 0 &&
		    !insert_axis(&out, 0, &st->batch))
			continue;
		infer_output(ctx, k, &out);
	}
	/* Scan outputs past MAX_CARRIED have no axis read: left unknown. */
	for (int j = 0; n_states + j < ctx->node->n_outputs && j < MAX_CARRIED;
	     j++) {
		shape_type out;
		if (n_states + j >= body->n_outputs ||
		    !value_type(body->outputs[n_states + j], &out))
			continue;
		if (out.rank >= 0) {
			int axis = 0;
			if (!batched &&
			    !shape_axis(st->out_axes[j], out.rank + 1, &axis))
				continue;
			if (!insert_axis(&out, axis, &st->length) ||
			    (batched && !insert_axis(&out, 0, &st->batch)))
				continue;
		}
		infer_output(ctx, n_states + j, &out);
	}
}

void shape_infer_scan(infer_ctx *ctx)
{
	ir_graph *body = infer_attr_graph(ctx, "body");
	if (!body)
		return;
	/* Opset 8 has a leading sequence_lens input and a batch axis in
	 * front of every input and output. */
	bool batched = ctx->opset < 9;
	int first = batched ? 1 : 0;
	int64_t n_scan = infer_attr_int(ctx, "num_scan_inputs", 0);
	int n_states = n_scan > 0 && n_scan <= MAX_CARRIED
	                   ? ctx->node->n_inputs - first - (int)n_scan
	                   : -1;
	if (n_states < 0 || n_states > MAX_CARRIED ||
	    body->n_inputs != n_states + n_scan) {
		shape_infer_graph(ctx->analysis, body);
		return;
	}
	/* On the heap: this function is one level of the recursion through
	 * nested bodies, and the state is large. */
	scan_state *st = ir_xcalloc(1, sizeof *st);
	if (!batched) {
		infer_attr_ints(ctx, "scan_input_axes", st->in_axes,
		                MAX_CARRIED);
		infer_attr_ints(ctx, "scan_output_axes", st->out_axes,
		                MAX_CARRIED);
	}
	st->cb.body = body;
	st->cb.n_carried = n_states;
	st->batch = dim_unknown();
	st->length = dim_unknown();
	for (int k = 0; k < n_states; k++) {
		st->cb.is_tensor[k] =
		    infer_input(ctx, first + k, &st->cb.initial[k]);
		if (batched && st->cb.is_tensor[k] &&
		    st->cb.initial[k].rank >= 1) {
			st->batch = st->cb.initial[k].dims[0];
			drop_axis(&st->cb.initial[k], 0);
		} else if (batched && st->cb.is_tensor[k]) {
			st->cb.initial[k].rank = -1;
		}
	}
	st->sb.body = body;
	st->sb.first_slice = n_states;
	st->sb.n_slices = (int)n_scan;
	for (int j = 0; j < n_scan; j++) {
		shape_type *t = &st->sb.slices[j];
		if (!infer_input(ctx, first + n_states + j, t))
			continue;
		st->sb.known[j] = true;
		int axis;
		if (t->rank < 0) {
			continue;
		} else if (batched) {
			if (t->rank < 2) {
				t->rank = -1;
				continue;
			}
			st->batch = t->dims[0];
			st->length = t->dims[1];
			drop_axis(t, 0);
			drop_axis(t, 0);
		} else if (shape_axis(st->in_axes[j], t->rank, &axis)) {
			st->length = t->dims[axis];
			drop_axis(t, axis);
		} else {
			t->rank = -1;
		}
	}
	infer_carried(ctx->analysis, &st->cb, bind_scan, &st->sb);
	scan_outputs(ctx, st, batched);
	free(st);
}

/* ------------------------------------------------- sequences, optionals */

/* The tensor type nested in a sequence or optional type proto. */
static bool nested_tensor(const Onnx__TypeProto *tp, shape_type *out)
{
	if (!tp)
		return false;
	const Onnx__TypeProto *elem = NULL;
	if (tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE &&
	    tp->sequence_type)
		elem = tp->sequence_type->elem_type;
	else if (tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE &&
	         tp->optional_type)
		elem = tp->optional_type->elem_type;
	if (!elem || elem->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !elem->tensor_type)
		return false;
	const Onnx__TypeProto__Tensor *tt = elem->tensor_type;
	shape_type_unknown(out,
	                   tt->has_elem_type ? tt->elem_type : IR_UNDEFINED);
	if (tt->shape && tt->shape->n_dim <= SHAPE_MAX_RANK) {
		out->rank = (int)tt->shape->n_dim;
		for (int i = 0; i < out->rank; i++) {
			const Onnx__TensorShapeProto__Dimension *d =
			    tt->shape->dim[i];
			ir_dim dim = {IR_DIM_UNKNOWN, 0, NULL};
			if (d->value_case ==
			    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
				dim =
				    (ir_dim){IR_DIM_VALUE, d->dim_value, NULL};
			else if (
			    d->value_case ==
			    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
				dim = (ir_dim){IR_DIM_PARAM, 0, d->dim_param};
			out->dims[i] = dim_from_ir(&dim);
		}
	}
	return true;
}

void shape_infer_sequence_length(infer_ctx *ctx)
{
	shape_type t;
	shape_type_rank(&t, IR_INT64, 0);
	infer_output(ctx, 0, &t);
}

void shape_infer_optional_has_element(infer_ctx *ctx)
{
	shape_type t;
	shape_type_rank(&t, IR_BOOL, 0);
	infer_output(ctx, 0, &t);
}

void shape_infer_optional_get_element(infer_ctx *ctx)
{
	shape_type t;
	if (infer_input(ctx, 0, &t) && !infer_input_proto(ctx, 0)) {
		/* Opset 18 accepts a plain tensor and returns it. */
		if (ctx->opset >= 18)
			infer_output(ctx, 0, &t);
		return;
	}
	const Onnx__TypeProto *tp = infer_input_proto(ctx, 0);
	if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE &&
	    nested_tensor(tp, &t))
		infer_output(ctx, 0, &t);
}

void shape_infer_sequence_at(infer_ctx *ctx)
{
	shape_type t;
	if (nested_tensor(infer_input_proto(ctx, 0), &t))
		infer_output(ctx, 0, &t);
}

void shape_infer_concat_from_sequence(infer_ctx *ctx)
{
	shape_type t;
	if (!nested_tensor(infer_input_proto(ctx, 0), &t))
		return;
	int rank = t.rank;
	if (rank >= 0 && infer_attr_int(ctx, "new_axis", 0))
		rank++;
	shape_type_rank(&t, t.elem, rank);
	infer_output(ctx, 0, &t);
}
