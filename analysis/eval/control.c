/*
 * control.c - ops with bodies: Loop, Scan and If, evaluated by
 * interpreting the body graph node by node with the other kernels.
 *
 * A body sees its inputs (bound per iteration), its own values as it
 * computes them, and outer values: those bound by an enclosing body, or
 * constants of the model. A body that reads any other outer value (one
 * computed at run time) is refused. Results are copied out of each
 * nested call into this call's scratch, so they outlive it.
 *
 * Work is bounded: at most LOOP_MAX_ITERATIONS iterations, and no more
 * scratch memory than a few times the fold size limit.
 */
#include <stdio.h>
#include <string.h>

#include "eval.h"
#include "ir_arena.h"

enum { LOOP_MAX_ITERATIONS = 1 << 16 };

typedef struct binding {
	const ir_value *value;
	const ir_tensor *tensor;
} binding;

struct eval_scope {
	const struct eval_scope *outer;
	binding *items;
	int n, cap;
};

typedef struct eval_scope scope;

static void bind(eval_call *c, scope *s, const ir_value *v, const ir_tensor *t)
{
	if (s->n == s->cap) {
		int cap = s->cap ? 2 * s->cap : 16;
		binding *grown = eval_alloc(c, sizeof *grown * (size_t)cap);
		if (s->n)
			memcpy(grown, s->items, sizeof *grown * (size_t)s->n);
		s->items = grown;
		s->cap = cap;
	}
	s->items[s->n++] = (binding){v, t};
}

static const ir_tensor *lookup(const eval_call *c, const scope *s,
                               const ir_value *v)
{
	for (; s; s = s->outer)
		for (int i = s->n - 1; i >= 0; i--)
			if (s->items[i].value == v)
				return s->items[i].tensor;
	if (ir_value_is_constant(v))
		return v->tensor;
	return c->outer ? c->outer(c->outer_ctx, v) : NULL;
}

/* A copy of t in c's scratch (string bytes included). */
static ir_tensor *keep(eval_call *c, const ir_tensor *t)
{
	ir_tensor *k = eval_alloc(c, sizeof *k);
	*k = *t;
	k->dims = eval_alloc(c, sizeof(int64_t) * (size_t)(t->rank + 1));
	if (t->rank)
		memcpy(k->dims, t->dims, sizeof(int64_t) * (size_t)t->rank);
	if (t->elem_type == IR_STRING) {
		int64_t n = ir_tensor_numel(t);
		ProtobufCBinaryData *s = eval_alloc(c, sizeof *s * (size_t)n);
		for (int64_t i = 0; i < n; i++) {
			s[i].len = t->strings[i].len;
			s[i].data = eval_alloc(c, s[i].len + 1);
			if (s[i].len)
				memcpy(s[i].data, t->strings[i].data, s[i].len);
		}
		k->strings = s;
	} else {
		void *raw = eval_alloc(c, t->raw_size);
		if (t->raw_size)
			memcpy(raw, t->raw, t->raw_size);
		k->raw = raw;
	}
	return k;
}

/* Too much interpretation: refuse rather than grow without bound. */
static bool over_budget(eval_call *c)
{
	long long budget =
	    c->size_limit < 0 ? (1LL << 32) : 8 * c->size_limit + (64 << 20);
	return (long long)ir_arena_total(c->scratch) > budget;
}

/* Run `body` with its inputs bound to `inputs`; its outputs land in
 * outputs[] (copies in c's scratch). */
static int run_body(eval_call *c, const ir_graph *body,
                    const ir_tensor *const *inputs, ir_tensor **outputs)
{
	scope s = {c->scope, NULL, 0, 0};
	for (int i = 0; i < body->n_inputs; i++)
		bind(c, &s, body->inputs[i], inputs[i]);
	for (const ir_node *node = body->first; node; node = node->next) {
		ir_tensor *args[64];
		if (node->n_inputs > 64)
			return eval_unsupported(c, "body node with %d inputs",
			                        node->n_inputs);
		for (int i = 0; i < node->n_inputs; i++) {
			args[i] = NULL;
			if (!node->inputs[i])
				continue;
			args[i] = (ir_tensor *)lookup(c, &s, node->inputs[i]);
			if (!args[i])
				return eval_unsupported(
				    c, "body reads '%s', which is not constant",
				    node->inputs[i]->name);
		}
		eval_call inner;
		eval_call_begin(&inner, c->model, node, args, node->n_inputs,
		                c->size_limit);
		inner.scope = &s;
		inner.outer = c->outer;
		inner.outer_ctx = c->outer_ctx;
		int code = eval_run(&inner);
		if (code != EVAL_OK) {
			snprintf(c->reason, sizeof c->reason,
			         "%.200s (in a "
			         "body)",
			         inner.reason);
			c->failure = code;
			eval_call_end(&inner);
			return code;
		}
		for (int i = 0; i < node->n_outputs; i++)
			if (node->outputs[i])
				bind(c, &s, node->outputs[i],
				     keep(c, inner.outputs[i]));
		eval_call_end(&inner);
		if (over_budget(c))
			return eval_unsupported(c, "needs too much memory");
	}
	for (int i = 0; i < body->n_outputs; i++) {
		const ir_tensor *t = lookup(c, &s, body->outputs[i]);
		if (!t)
			return eval_unsupported(c,
			                        "body output '%s' is not "
			                        "known",
			                        body->outputs[i]->name);
		outputs[i] = (ir_tensor *)t;
	}
	return EVAL_OK;
}

static const ir_graph *body_of(const eval_call *c, const char *name)
{
	const ir_attr *a = ir_node_attr(c->node, name);
	return a ? a->graph : NULL;
}

static bool same_shape(const ir_tensor *a, const ir_tensor *b)
{
	if (a->elem_type != b->elem_type || a->rank != b->rank)
		return false;
	for (int i = 0; i < a->rank; i++)
		if (a->dims[i] != b->dims[i])
			return false;
	return true;
}

/* The `count` tensors of steps[] (one shape) stacked along a new axis
 * `axis`, last first when `reverse`; NULL with a reason. */
static ir_tensor *stack_tensor(eval_call *c, ir_tensor *const *steps,
                               int64_t count, int axis, bool reverse)
{
	const ir_tensor *first = steps[0];
	if (first->rank + 1 > EVAL_MAX_RANK || axis < 0 || axis > first->rank) {
		eval_unsupported(c, "stacking at axis %d", axis);
		return NULL;
	}
	for (int64_t i = 1; i < count; i++)
		if (!same_shape(first, steps[i])) {
			eval_unsupported(c, "scan outputs that change shape");
			return NULL;
		}
	ir_tensor *t = eval_alloc(c, sizeof *t);
	t->elem_type = first->elem_type;
	t->rank = first->rank + 1;
	t->dims = eval_alloc(c, sizeof(int64_t) * (size_t)(t->rank + 1));
	for (int i = 0, j = 0; i < t->rank; i++)
		t->dims[i] = i == axis ? count : first->dims[j++];
	size_t es = eval_elem_size(first->elem_type);
	int64_t outer = eval_numel(first->dims, axis);
	int64_t inner = eval_numel(first->dims + axis, first->rank - axis);
	size_t chunk = (size_t)inner * es;
	char *out = eval_alloc(c, chunk * (size_t)(outer * count));
	for (int64_t i = 0; i < count; i++) {
		const ir_tensor *step = steps[reverse ? count - 1 - i : i];
		const char *src = step->elem_type == IR_STRING
		                      ? (const char *)step->strings
		                      : (const char *)step->raw;
		for (int64_t o = 0; o < outer; o++)
			memcpy(out + (size_t)(o * count + i) * chunk,
			       src + (size_t)o * chunk, chunk);
	}
	if (t->elem_type == IR_STRING) {
		t->strings = (const ProtobufCBinaryData *)out;
	} else {
		t->raw = out;
		t->raw_size = chunk * (size_t)(outer * count);
	}
	t->modified = true;
	return t;
}

static int set_output(eval_call *c, int index, const ir_tensor *t)
{
	if (!eval_wants_output(c, index))
		return EVAL_OK;
	size_t es = eval_elem_size(t->elem_type);
	void *out = eval_output(c, index, t->elem_type, t->rank, t->dims);
	if (!out)
		return EVAL_UNSUPPORTED;
	const void *src =
	    t->elem_type == IR_STRING ? (const void *)t->strings : t->raw;
	size_t bytes = (size_t)ir_tensor_numel(t) * es;
	if (bytes)
		memcpy(out, src, bytes);
	return EVAL_OK;
}

/* An input of this call seen as a tensor (borrowing its data). */
static ir_tensor *as_tensor(eval_call *c, const eval_tensor *t)
{
	ir_tensor *k = eval_alloc(c, sizeof *k);
	k->elem_type = t->elem_type;
	k->rank = t->rank;
	k->dims = (int64_t *)t->dims;
	if (t->elem_type == IR_STRING)
		k->strings = t->data;
	else {
		k->raw = t->data;
		k->raw_size = (size_t)t->numel * t->elem_size;
	}
	k->modified = true;
	return k;
}

static int stack(eval_call *c, int index, ir_tensor *const *steps,
                 int64_t count, int axis, bool reverse)
{
	const ir_tensor *t = stack_tensor(c, steps, count, axis, reverse);
	return t ? set_output(c, index, t) : c->failure;
}

/* ------------------------------------------------------------------ If */

int eval_if(eval_call *c)
{
	if (!eval_has_input(c, 0) || c->in[0].elem_type != IR_BOOL ||
	    c->in[0].numel != 1)
		return eval_error(c, "needs one bool condition");
	bool taken = *(const uint8_t *)c->in[0].data != 0;
	const ir_graph *body =
	    body_of(c, taken ? "then_branch" : "else_branch");
	if (!body || body->n_outputs != c->n_outputs)
		return eval_error(c, "has no matching branch");
	ir_tensor **results =
	    eval_alloc(c, sizeof *results * (size_t)(body->n_outputs + 1));
	int code = run_body(c, body, NULL, results);
	for (int i = 0; code == EVAL_OK && i < body->n_outputs; i++)
		code = set_output(c, i, results[i]);
	return code;
}

/* ---------------------------------------------------------------- Loop */

int eval_loop(eval_call *c)
{
	const ir_graph *body = body_of(c, "body");
	int n_state = c->n_inputs - 2;
	if (!body || n_state < 0 || body->n_inputs != n_state + 2 ||
	    body->n_outputs < n_state + 1)
		return eval_error(c, "has a body that does not fit");
	int n_scan = body->n_outputs - 1 - n_state;
	int64_t trips = -1;
	if (eval_has_input(c, 0)) {
		const int64_t *v;
		int64_t n;
		if (!eval_input_ints(c, 0, &v, &n) || n != 1)
			return eval_error(c, "M must be one integer");
		trips = v[0];
	}
	bool cond = true, has_cond = eval_has_input(c, 1);
	if (has_cond) {
		if (c->in[1].elem_type != IR_BOOL || c->in[1].numel != 1)
			return eval_error(c, "cond must be one bool");
		cond = *(const uint8_t *)c->in[1].data != 0;
	}
	if (trips < 0 && !has_cond)
		return eval_unsupported(c, "without a trip count or condition");
	const ir_tensor **state =
	    eval_alloc(c, sizeof *state * (size_t)(n_state + 2));
	for (int i = 0; i < n_state; i++) {
		if (!eval_has_input(c, 2 + i))
			return eval_unsupported(c, "with an absent state");
		state[i] = as_tensor(c, &c->in[2 + i]);
	}
	ir_tensor ***scans =
	    eval_alloc(c, sizeof *scans * (size_t)(n_scan + 1));
	int64_t cap = 16, done = 0;
	for (int k = 0; k < n_scan; k++)
		scans[k] = eval_alloc(c, sizeof **scans * (size_t)cap);
	const ir_tensor **args =
	    eval_alloc(c, sizeof *args * (size_t)(n_state + 2));
	ir_tensor **results =
	    eval_alloc(c, sizeof *results * (size_t)(body->n_outputs + 1));
	int64_t iter_value;
	uint8_t cond_value;
	ir_tensor iter_tensor = {.elem_type = IR_INT64,
	                         .raw = &iter_value,
	                         .raw_size = 8,
	                         .modified = true};
	ir_tensor cond_tensor = {.elem_type = IR_BOOL,
	                         .raw = &cond_value,
	                         .raw_size = 1,
	                         .modified = true};
	while ((trips < 0 || done < trips) && cond) {
		if (done >= LOOP_MAX_ITERATIONS)
			return eval_unsupported(c, "over %d iterations",
			                        LOOP_MAX_ITERATIONS);
		/* Fresh scalars per iteration: bodies keep what they read. */
		iter_value = done;
		cond_value = 1;
		args[0] = keep(c, &iter_tensor);
		args[1] = keep(c, &cond_tensor);
		for (int i = 0; i < n_state; i++)
			args[2 + i] = state[i];
		int code = run_body(c, body, args, results);
		if (code != EVAL_OK)
			return code;
		const ir_tensor *next = results[0];
		if (next->elem_type != IR_BOOL || ir_tensor_numel(next) != 1)
			return eval_error(c, "body condition is not one bool");
		cond = *(const uint8_t *)next->raw != 0;
		for (int i = 0; i < n_state; i++)
			state[i] = results[1 + i];
		if (done == cap) {
			cap *= 2;
			for (int k = 0; k < n_scan; k++) {
				ir_tensor **grown =
				    eval_alloc(c, sizeof *grown * (size_t)cap);
				memcpy(grown, scans[k],
				       sizeof *grown * (size_t)done);
				scans[k] = grown;
			}
		}
		for (int k = 0; k < n_scan; k++)
			scans[k][done] = results[1 + n_state + k];
		done++;
	}
	for (int i = 0; i < n_state; i++) {
		int code = set_output(c, i, state[i]);
		if (code != EVAL_OK)
			return code;
	}
	for (int k = 0; k < n_scan; k++) {
		if (!eval_wants_output(c, n_state + k))
			continue;
		if (done == 0)
			return eval_unsupported(c,
			                        "with no iterations and scan "
			                        "outputs");
		int code = stack(c, n_state + k, scans[k], done, 0, false);
		if (code != EVAL_OK)
			return code;
	}
	return EVAL_OK;
}

/* ---------------------------------------------------------------- Scan */

/* Slice i of t along `axis` (a tensor without that axis). */
static ir_tensor *slice_at(eval_call *c, const eval_tensor *t, int axis,
                           int64_t i)
{
	ir_tensor *s = eval_alloc(c, sizeof *s);
	s->elem_type = t->elem_type;
	s->rank = t->rank - 1;
	s->dims = eval_alloc(c, sizeof(int64_t) * (size_t)(t->rank + 1));
	for (int a = 0, j = 0; a < t->rank; a++)
		if (a != axis)
			s->dims[j++] = t->dims[a];
	int64_t outer = eval_numel(t->dims, axis);
	int64_t inner = eval_numel(t->dims + axis + 1, t->rank - axis - 1);
	size_t chunk = (size_t)inner * t->elem_size;
	char *data = eval_alloc(c, chunk * (size_t)outer);
	for (int64_t o = 0; o < outer; o++)
		memcpy(data + (size_t)o * chunk,
		       (const char *)t->data +
		           (size_t)((o * t->dims[axis] + i) * inner) *
		               t->elem_size,
		       chunk);
	if (t->elem_type == IR_STRING)
		s->strings = (const ProtobufCBinaryData *)data;
	else {
		s->raw = data;
		s->raw_size = chunk * (size_t)outer;
	}
	s->modified = true;
	return s;
}

/* The scan proper: `steps` steps over the scan inputs (views along
 * in_axis, reversed where in_reverse), states[] updated in place, scan
 * outputs stacked along out_axis (reversed where out_reverse) into
 * scan_out[]. */
typedef struct scan_plan {
	const ir_graph *body;
	int n_state, n_in, n_out;
	const int64_t *in_axes, *in_dirs, *out_axes, *out_dirs;
	int n_in_axes, n_in_dirs, n_out_axes, n_out_dirs;
} scan_plan;

static int scan_run(eval_call *c, const scan_plan *p, const ir_tensor **states,
                    const eval_tensor *ins, ir_tensor **scan_out)
{
	int64_t steps = -1;
	int axis[EVAL_MAX_RANK * 4];
	if (p->n_in > (int)(sizeof axis / sizeof axis[0]))
		return eval_unsupported(c, "with %d scan inputs", p->n_in);
	for (int k = 0; k < p->n_in; k++) {
		if (!eval_axis(c, p->n_in_axes > k ? p->in_axes[k] : 0,
		               ins[k].rank, &axis[k]))
			return EVAL_ERROR;
		if (steps >= 0 && ins[k].dims[axis[k]] != steps)
			return eval_error(c, "scan inputs differ in length");
		steps = ins[k].dims[axis[k]];
	}
	if (steps > LOOP_MAX_ITERATIONS)
		return eval_unsupported(c, "over %d iterations",
		                        LOOP_MAX_ITERATIONS);
	if (steps <= 0 && p->n_out)
		return eval_unsupported(c, "with no steps");
	const ir_tensor **args =
	    eval_alloc(c, sizeof *args * (size_t)(p->n_state + p->n_in));
	for (int i = 0; i < p->n_state; i++)
		args[i] = states[i];
	ir_tensor ***scans =
	    eval_alloc(c, sizeof *scans * (size_t)(p->n_out + 1));
	for (int k = 0; k < p->n_out; k++)
		scans[k] = eval_alloc(c, sizeof **scans * (size_t)(steps + 1));
	ir_tensor **results =
	    eval_alloc(c, sizeof *results * (size_t)(p->body->n_outputs + 1));
	for (int64_t t = 0; t < steps; t++) {
		for (int k = 0; k < p->n_in; k++) {
			bool reverse = p->n_in_dirs > k && p->in_dirs[k];
			args[p->n_state + k] = slice_at(
			    c, &ins[k], axis[k], reverse ? steps - 1 - t : t);
		}
		int code = run_body(c, p->body, args, results);
		if (code != EVAL_OK)
			return code;
		for (int i = 0; i < p->n_state; i++)
			args[i] = results[i];
		for (int k = 0; k < p->n_out; k++)
			scans[k][t] = results[p->n_state + k];
	}
	for (int i = 0; i < p->n_state; i++)
		states[i] = args[i];
	for (int k = 0; k < p->n_out; k++) {
		int rank = scans[k][0]->rank + 1, at;
		if (!eval_axis(c, p->n_out_axes > k ? p->out_axes[k] : 0, rank,
		               &at))
			return EVAL_ERROR;
		scan_out[k] = stack_tensor(c, scans[k], steps, at,
		                           p->n_out_dirs > k && p->out_dirs[k]);
		if (!scan_out[k])
			return c->failure;
	}
	return EVAL_OK;
}

/* Scan-8 runs the scan once per entry of a leading batch axis, with an
 * optional sequence_lens first input that must cover every step. */
static int scan_batched(eval_call *c, scan_plan *p)
{
	int first = 1; /* after sequence_lens */
	for (int k = 0; k < p->n_state + p->n_in; k++)
		if (!eval_has_input(c, first + k) || c->in[first + k].rank < 1)
			return eval_error(c, "input %d needs a batch axis",
			                  first + k);
	int64_t batch = c->in[first].dims[0];
	for (int k = 0; k < p->n_state + p->n_in; k++)
		if (c->in[first + k].dims[0] != batch)
			return eval_error(c, "inputs differ in batch size");
	/* Each batch runs the body and keeps a slot per output; empty
	 * inputs give no data to bound it. */
	if (batch > LOOP_MAX_ITERATIONS)
		return eval_unsupported(c, "over %d batches",
		                        LOOP_MAX_ITERATIONS);
	if (eval_has_input(c, 0)) {
		const int64_t *lens;
		int64_t n;
		if (!eval_input_ints(c, 0, &lens, &n) || n != batch)
			return eval_error(c, "sequence_lens must have batch "
			                     "entries");
		for (int64_t b = 0; b < n; b++)
			if (p->n_in &&
			    lens[b] != c->in[first + p->n_state].dims[1])
				return eval_unsupported(c, "with sequences of "
				                           "different lengths");
	}
	p->in_dirs = NULL;
	p->n_in_dirs = eval_attr_ints(c, "directions", &p->in_dirs);
	p->n_in_axes = p->n_out_axes = p->n_out_dirs = -1;
	ir_tensor ***per_batch = eval_alloc(
	    c, sizeof *per_batch * (size_t)(p->n_state + p->n_out + 1));
	for (int k = 0; k < p->n_state + p->n_out; k++)
		per_batch[k] =
		    eval_alloc(c, sizeof **per_batch * (size_t)batch);
	const ir_tensor **states =
	    eval_alloc(c, sizeof *states * (size_t)(p->n_state + 1));
	eval_tensor *ins = eval_alloc(c, sizeof *ins * (size_t)(p->n_in + 1));
	ir_tensor **outs = eval_alloc(c, sizeof *outs * (size_t)(p->n_out + 1));
	for (int64_t b = 0; b < batch; b++) {
		for (int i = 0; i < p->n_state; i++)
			states[i] = slice_at(c, &c->in[first + i], 0, b);
		for (int k = 0; k < p->n_in; k++)
			if (!eval_decode(
			        c,
			        slice_at(c, &c->in[first + p->n_state + k], 0,
			                 b),
			        &ins[k]))
				return eval_unsupported(c, "on this input");
		int code = scan_run(c, p, states, ins, outs);
		if (code != EVAL_OK)
			return code;
		for (int i = 0; i < p->n_state; i++)
			per_batch[i][b] = (ir_tensor *)states[i];
		for (int k = 0; k < p->n_out; k++)
			per_batch[p->n_state + k][b] = outs[k];
	}
	for (int k = 0; k < p->n_state + p->n_out; k++) {
		if (!eval_wants_output(c, k))
			continue;
		int code = batch ? stack(c, k, per_batch[k], batch, 0, false)
		                 : eval_unsupported(c, "with an empty batch");
		if (code != EVAL_OK)
			return code;
	}
	return EVAL_OK;
}

int eval_scan(eval_call *c)
{
	scan_plan p = {0};
	p.body = body_of(c, "body");
	int64_t n_in = eval_attr_int(c, "num_scan_inputs", -1);
	int skip = c->opset < 9 ? 1 : 0; /* Scan-8's sequence_lens */
	/* Range-checked before narrowing: 2^31 would make n_in negative. */
	p.n_in = n_in >= 1 && n_in <= c->n_inputs ? (int)n_in : 0;
	p.n_state = c->n_inputs - skip - p.n_in;
	if (!p.body || p.n_in < 1 || p.n_state < 0 ||
	    p.body->n_inputs != p.n_state + p.n_in ||
	    p.body->n_outputs < p.n_state)
		return eval_error(c, "has a body that does not fit");
	p.n_out = p.body->n_outputs - p.n_state;
	if (c->opset < 9)
		return scan_batched(c, &p);
	p.n_in_axes = eval_attr_ints(c, "scan_input_axes", &p.in_axes);
	p.n_in_dirs = eval_attr_ints(c, "scan_input_directions", &p.in_dirs);
	p.n_out_axes = eval_attr_ints(c, "scan_output_axes", &p.out_axes);
	p.n_out_dirs = eval_attr_ints(c, "scan_output_directions", &p.out_dirs);
	const ir_tensor **states =
	    eval_alloc(c, sizeof *states * (size_t)(p.n_state + 1));
	for (int i = 0; i < p.n_state; i++) {
		if (!eval_has_input(c, i))
			return eval_error(c, "state %d is absent", i);
		states[i] = as_tensor(c, &c->in[i]);
	}
	for (int k = 0; k < p.n_in; k++)
		if (!eval_has_input(c, p.n_state + k))
			return eval_error(c, "scan input %d is absent", k);
	ir_tensor **outs = eval_alloc(c, sizeof *outs * (size_t)(p.n_out + 1));
	int code = scan_run(c, &p, states, c->in + p.n_state, outs);
	for (int i = 0; code == EVAL_OK && i < p.n_state; i++)
		code = set_output(c, i, states[i]);
	for (int k = 0; code == EVAL_OK && k < p.n_out; k++)
		code = set_output(c, p.n_state + k, outs[k]);
	return code;
}
