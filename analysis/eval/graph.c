/*
 * graph.c - interpreting a whole graph on run-time inputs, for checking
 * that an optimized model computes what its original did.
 *
 * Each node runs through its kernel exactly as folding runs it (one
 * eval_call per node), with no size limit. Run-time values live in one
 * malloc'd block each (header, dims and 16-byte aligned data) and are
 * freed after the last node that reads them, directly or from inside a
 * body, so the peak memory is the live activations, not all of them.
 * Bodies of If, Loop and Scan reach the run-time values of this graph
 * through eval_call.outer.
 *
 * Invariants: the IR is never changed; value->scratch and node->scratch
 * hold this run's bookkeeping and get their previous contents back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "ir_arena.h"

typedef struct slot {
	ir_tensor *tensor;   /* NULL until computed */
	bool owned;          /* a heap block of this run, freed by it */
	int64_t last_reader; /* position of the last node that reads it */
	bool is_output;
} slot;

typedef struct run {
	const ir_graph *graph;
	ir_model *model;
	slot *slots;
	int n_slots;
	ir_node **nodes;
	int n_nodes;
	void **saved_value_scratch; /* parallel to slots */
	ir_value **slot_values;
	void **saved_node_scratch; /* parallel to nodes */
	/* Slots by last reader: those of node p are
	 * dying[dying_start[p] .. dying_start[p + 1]). */
	int *dying, *dying_start;
} run;

/* ------------------------------------------------------------- tensors */

static size_t round16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/* A copy of t whose header, dims and data come from `alloc` (one block);
 * NULL if t's data cannot be read. */
static ir_tensor *copy_tensor(ir_model *model, const ir_tensor *t,
                              struct ir_arena *arena)
{
	int64_t numel = ir_tensor_numel(t);
	if (numel < 0)
		return NULL;
	const void *data = NULL;
	size_t bytes = 0;
	if (t->elem_type == IR_STRING) {
		bytes = sizeof(ProtobufCBinaryData) * (size_t)numel;
		for (int64_t i = 0; i < numel; i++) {
			ProtobufCBinaryData s;
			if (!ir_tensor_string(t, i, &s))
				return NULL;
			bytes += s.len + 1;
		}
	} else if (!ir_tensor_raw(model, t, &data, &bytes)) {
		return NULL;
	}
	size_t head = round16(sizeof(ir_tensor)) +
	              round16(sizeof(int64_t) * (size_t)(t->rank + 1));
	char *block = arena ? ir_arena_alloc_uninit(arena, head + bytes + 16)
	                    : ir_xmalloc(head + bytes + 16);
	/* Arena blocks are 16-byte aligned like malloc's. */
	ir_tensor *k = (ir_tensor *)block;
	memset(k, 0, sizeof *k);
	k->elem_type = t->elem_type;
	k->rank = t->rank;
	k->dims = (int64_t *)(block + round16(sizeof(ir_tensor)));
	if (t->rank)
		memcpy(k->dims, t->dims, sizeof(int64_t) * (size_t)t->rank);
	char *payload = block + head;
	k->modified = true;
	if (t->elem_type == IR_STRING) {
		ProtobufCBinaryData *s = (ProtobufCBinaryData *)payload;
		char *text = payload + sizeof *s * (size_t)numel;
		for (int64_t i = 0; i < numel; i++) {
			ProtobufCBinaryData from;
			ir_tensor_string(t, i, &from);
			s[i].len = from.len;
			s[i].data = (uint8_t *)text;
			if (from.len)
				memcpy(text, from.data, from.len);
			text[from.len] = 0;
			text += from.len + 1;
		}
		k->strings = s;
	} else {
		if (bytes)
			memcpy(payload, data, bytes);
		k->raw = payload;
		k->raw_size = bytes;
	}
	return k;
}

/* ---------------------------------------------------------- bookkeeping */

static slot *slot_of(const run *r, const ir_value *v)
{
	return v && v->graph == r->graph ? v->scratch : NULL;
}

static const ir_tensor *outer_value(void *ctx, const ir_value *v)
{
	slot *s = slot_of(ctx, v);
	return s ? s->tensor : NULL;
}

/* The node of the main graph that contains `node` (itself or the If,
 * Loop or Scan whose body holds it). */
static const ir_node *top_node(const run *r, const ir_node *node)
{
	while (node && node->graph != r->graph)
		node = node->graph->parent_node;
	return node;
}

static void add_slot(run *r, ir_value *v)
{
	int i = r->n_slots++;
	r->slot_values[i] = v;
	r->saved_value_scratch[i] = v->scratch;
	r->slots[i] = (slot){NULL, false, -1, ir_value_is_graph_output(v)};
}

static void begin(run *r, ir_model *model, const ir_graph *graph)
{
	memset(r, 0, sizeof *r);
	r->graph = graph;
	r->model = model;
	int n_values = graph->n_inputs;
	for (const ir_node *n = graph->first; n; n = n->next) {
		r->n_nodes++;
		n_values += n->n_outputs;
	}
	r->slots = ir_xmalloc(sizeof *r->slots * (size_t)n_values);
	r->slot_values = ir_xmalloc(sizeof *r->slot_values * (size_t)n_values);
	r->saved_value_scratch =
	    ir_xmalloc(sizeof *r->saved_value_scratch * (size_t)n_values);
	r->nodes = ir_xmalloc(sizeof *r->nodes * (size_t)r->n_nodes);
	r->saved_node_scratch =
	    ir_xmalloc(sizeof *r->saved_node_scratch * (size_t)r->n_nodes);
	for (int i = 0; i < graph->n_inputs; i++)
		add_slot(r, graph->inputs[i]);
	int position = 0;
	for (ir_node *n = graph->first; n; n = n->next, position++) {
		r->nodes[position] = n;
		r->saved_node_scratch[position] = n->scratch;
		n->scratch = (void *)(intptr_t)(position + 1);
		for (int k = 0; k < n->n_outputs; k++)
			if (n->outputs[k])
				add_slot(r, n->outputs[k]);
	}
	for (int i = 0; i < r->n_slots; i++)
		r->slot_values[i]->scratch = &r->slots[i];
	for (int i = 0; i < r->n_slots; i++) {
		const ir_value *v = r->slot_values[i];
		/* An output nobody reads dies with its producer. */
		if (v->producer && v->producer->graph == graph)
			r->slots[i].last_reader =
			    (intptr_t)v->producer->scratch - 1;
		for (int u = 0; u < v->n_uses; u++) {
			const ir_node *reader = top_node(r, v->uses[u].node);
			int64_t at =
			    reader ? (intptr_t)reader->scratch - 1 : -1;
			if (at > r->slots[i].last_reader)
				r->slots[i].last_reader = at;
		}
	}
	/* Counting sort by last reader (-1: graph inputs no node reads). */
	r->dying = ir_xmalloc(sizeof *r->dying * (size_t)(r->n_slots + 1));
	r->dying_start =
	    ir_xcalloc((size_t)r->n_nodes + 2, sizeof *r->dying_start);
	for (int i = 0; i < r->n_slots; i++)
		if (r->slots[i].last_reader >= 0)
			r->dying_start[r->slots[i].last_reader + 1]++;
	for (int p = 0; p < r->n_nodes; p++)
		r->dying_start[p + 1] += r->dying_start[p];
	int *fill = ir_xcalloc((size_t)r->n_nodes + 1, sizeof *fill);
	for (int i = 0; i < r->n_slots; i++) {
		int64_t p = r->slots[i].last_reader;
		if (p >= 0)
			r->dying[r->dying_start[p] + fill[p]++] = i;
	}
	free(fill);
}

static void release(slot *s)
{
	if (s->owned)
		free(s->tensor);
	s->tensor = NULL;
	s->owned = false;
}

static void end(run *r)
{
	for (int i = 0; i < r->n_slots; i++) {
		release(&r->slots[i]);
		r->slot_values[i]->scratch = r->saved_value_scratch[i];
	}
	for (int i = 0; i < r->n_nodes; i++)
		r->nodes[i]->scratch = r->saved_node_scratch[i];
	free(r->slots);
	free(r->slot_values);
	free(r->saved_value_scratch);
	free(r->nodes);
	free(r->saved_node_scratch);
	free(r->dying);
	free(r->dying_start);
}

/* ------------------------------------------------------------- running */

static int fail(eval_graph_failure *f, const ir_node *node, int code,
                const char *format, const char *name)
{
	f->node = node;
	f->code = code;
	snprintf(f->reason, sizeof f->reason, format, name);
	return code;
}

/* What a node reads for value v: a run-time value, a constant, or an
 * absent optional input (v NULL). */
static bool argument(const run *r, const ir_value *v, ir_tensor **out)
{
	*out = NULL;
	if (!v)
		return true;
	slot *s = slot_of(r, v);
	if (s && s->tensor) {
		*out = s->tensor;
		return true;
	}
	if (v->tensor) { /* an initializer, or the default of an input */
		*out = v->tensor;
		return true;
	}
	/* A value of an outer scope cannot occur in a main graph. */
	return false;
}

static int run_node(run *r, ir_node *node, eval_graph_failure *f)
{
	ir_tensor *stack_args[16];
	ir_tensor **args =
	    node->n_inputs <= 16
	        ? stack_args
	        : ir_xmalloc(sizeof *args * (size_t)node->n_inputs);
	int code = EVAL_OK;
	for (int i = 0; i < node->n_inputs && code == EVAL_OK; i++)
		if (!argument(r, node->inputs[i], &args[i]))
			code = fail(f, node, EVAL_ERROR,
			            "reads '%s' before it is computed",
			            node->inputs[i]->name);
	if (code != EVAL_OK) {
		if (args != stack_args)
			free(args);
		return code;
	}
	eval_call call;
	eval_call_begin(&call, r->model, node, args, node->n_inputs, -1);
	call.outer = outer_value;
	call.outer_ctx = r;
	code = eval_run(&call);
	if (code != EVAL_OK) {
		f->node = node;
		f->code = code;
		snprintf(f->reason, sizeof f->reason, "%s", call.reason);
	}
	for (int k = 0; code == EVAL_OK && k < node->n_outputs; k++) {
		slot *s = slot_of(r, node->outputs[k]);
		if (!s)
			continue;
		s->tensor = copy_tensor(r->model, call.outputs[k], NULL);
		s->owned = true;
		if (!s->tensor)
			code = fail(f, node, EVAL_UNSUPPORTED,
			            "output '%s' cannot be read",
			            node->outputs[k]->name);
	}
	eval_call_end(&call);
	if (args != stack_args)
		free(args);
	return code;
}

int eval_graph_run(ir_model *model, const ir_graph *graph,
                   const ir_tensor *const *inputs, struct ir_arena *keep,
                   ir_tensor **outputs, eval_graph_failure *failure)
{
	memset(failure, 0, sizeof *failure);
	run r;
	begin(&r, model, graph);
	int code = EVAL_OK;
	for (int i = 0; i < graph->n_inputs && code == EVAL_OK; i++) {
		ir_value *v = graph->inputs[i];
		slot *s = v->scratch;
		if (inputs[i])
			s->tensor = (ir_tensor *)inputs[i];
		else if (!v->tensor)
			code = fail(failure, NULL, EVAL_ERROR,
			            "no value for input '%s'", v->name);
	}
	for (int p = 0; p < r.n_nodes && code == EVAL_OK; p++) {
		code = run_node(&r, r.nodes[p], failure);
		/* Free what no later node reads. */
		for (int d = r.dying_start[p];
		     code == EVAL_OK && d < r.dying_start[p + 1]; d++) {
			slot *s = &r.slots[r.dying[d]];
			if (s->owned && !s->is_output)
				release(s);
		}
	}
	for (int i = 0; code == EVAL_OK && i < graph->n_outputs; i++) {
		ir_tensor *t;
		if (!argument(&r, graph->outputs[i], &t) || !t) {
			code = fail(failure, NULL, EVAL_ERROR,
			            "output '%s' has no value",
			            graph->outputs[i]->name);
			break;
		}
		outputs[i] = copy_tensor(model, t, keep);
		if (!outputs[i])
			code = fail(failure, NULL, EVAL_UNSUPPORTED,
			            "output '%s' cannot be read",
			            graph->outputs[i]->name);
	}
	end(&r);
	return code;
}
