/*
 * pass_manager.c - run a pipeline of passes, optionally to a fixed point,
 * provide the analyses they need, verify the IR after each pass and time
 * it. The analysis contract is stated in pass.h.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ir_arena.h"
#include "onnxopt.h"
#include "pass.h"
#include "shape/shape.h"

void pipeline_options_init(pipeline_options *options)
{
	memset(options, 0, sizeof *options);
	options->max_iterations = 8;
	options->pass.fold_size_limit = ONNXOPT_DEFAULT_FOLD_SIZE_LIMIT;
	options->pass.fold_memory_limit = PASS_FOLD_MEMORY_DEFAULT;
	options->notes_to = stderr;
#ifndef NDEBUG
	options->verify = true;
#endif
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void add_initializer_bytes(ir_graph *graph, void *total)
{
	for (int i = 0; i < graph->n_initializers; i++) {
		const ir_tensor *t = graph->initializers[i]->tensor;
		int64_t numel = t ? ir_tensor_numel(t) : -1;
		long long *sum = total;
		if (numel <= 0)
			continue;
		/* Loading checked that each size fits; external data can
		 * claim sizes whose sum does not. */
		uint64_t bytes =
		    (uint64_t)numel * (uint64_t)ir_elem_bits(t->elem_type) / 8;
		*sum = bytes > (uint64_t)(LLONG_MAX - *sum)
		           ? LLONG_MAX
		           : *sum + (long long)bytes;
	}
}

/* The default budget for folding: a model's own weights are the scale
 * of what it may reasonably compute from them, with a floor for small
 * models. */
static long long default_fold_memory_limit(ir_model *model)
{
	long long total = 0;
	ir_graph_walk(model->graph, add_initializer_bytes, &total);
	return total > (256LL << 20) ? total : 256LL << 20;
}

static bool run_passes(ir_model *model, const pipeline *p,
                       const pipeline_options *options, pass_context *ctx,
                       ir_status *status);

bool pipeline_run(ir_model *model, const pipeline *p,
                  const pipeline_options *options, ir_status *status)
{
	pass_options resolved = options->pass;
	if (resolved.fold_memory_limit == PASS_FOLD_MEMORY_DEFAULT)
		resolved.fold_memory_limit = default_fold_memory_limit(model);
	pass_context ctx = {&resolved, 0, false};
	bool ok = run_passes(model, p, options, &ctx, status);
	if (ctx.fold_memory_exhausted && options->notes_to)
		fprintf(options->notes_to,
		        "onnx-opt: note: folding stopped creating tensors at "
		        "the fold memory limit (%lld bytes, "
		        "--fold-memory-limit); the other passes ran\n",
		        resolved.fold_memory_limit);
	return ok;
}

/* What the manager knows about the analyses of one model. */
typedef struct analyses {
	bool types_known;          /* inference ran during this pipeline */
	uint64_t types_generation; /* model->generation when it ran */
	int types_iteration;       /* the iteration in which it ran */
} analyses;

static void report(const pipeline_options *options, const char *name,
                   int iteration, int changes, double seconds)
{
	if (options->report) {
		pass_record record = {name, iteration, changes, seconds};
		options->report(&record, options->report_ctx);
	}
}

/* Make value types fresh for a pass that needs them (see pass.h): run
 * inference when the IR changed since it last ran, but in a fixed-point
 * run at most once per iteration, since types inferred earlier in the
 * iteration are still true, only possibly incomplete. */
static void provide_types(ir_model *model, analyses *a, int iteration,
                          const pipeline_options *options)
{
	if (a->types_known &&
	    (a->types_generation == model->generation ||
	     (options->fixed_point && a->types_iteration == iteration)))
		return;
	double start = now_seconds();
	/* Inference only refines types; where it cannot read a node the
	 * types stay as loaded and the passes see less, which is safe. */
	shape_infer_refine(model);
	a->types_known = true;
	a->types_generation = model->generation;
	a->types_iteration = iteration;
	report(options, PASS_RECORD_SHAPE_INFERENCE, iteration, 0,
	       now_seconds() - start);
}

/* ------------------------------------------------------------ worklist */

/* Visits a group run may make per node it starts with, before it gives
 * up: a change pushes back the few nodes it touched, so a converging run
 * makes a small multiple of one visit per node; rewrites that undo each
 * other would never stop. */
#define WORKLIST_VISITS_PER_NODE 16
#define WORKLIST_VISITS_MIN      1024

/* The nodes waiting for a group's rewrites: a stack, so that the nodes a
 * change touched come next, while the seeds come off in graph order.
 * node->queued keeps a node on it at most once. */
typedef struct worklist {
	ir_listener listener; /* first member: the IR tells the worklist */
	ir_node **nodes;
	int n, cap;
	/* What the IR reported during the current rewrite; pushed only if
	 * the rewrite reports a change (a refused commit can touch nodes
	 * and restore them). */
	ir_node **touched;
	int n_touched, cap_touched;
} worklist;

static void node_array_push(ir_node ***array, int *n, int *cap, ir_node *node)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*array = ir_xrealloc(*array, sizeof **array * (size_t)*cap);
	}
	(*array)[(*n)++] = node;
}

static void worklist_push(worklist *w, ir_node *node)
{
	if (node->queued || node->removed)
		return;
	node->queued = true;
	node_array_push(&w->nodes, &w->n, &w->cap, node);
}

static void worklist_note_touched(ir_listener *self, ir_node *node)
{
	worklist *w = (worklist *)self;
	node_array_push(&w->touched, &w->n_touched, &w->cap_touched, node);
}

static void worklist_seed_graph(ir_graph *graph, void *ctx)
{
	for (ir_node *node = graph->first; node; node = node->next)
		worklist_push(ctx, node);
}

/* Whether a node popped from the worklist is still part of the model:
 * not removed, not created and dropped before insertion, and not in the
 * body of a node removed since it was pushed. */
static bool node_in_model(const ir_node *node)
{
	for (;;) {
		if (node->removed ||
		    (!node->prev && node->graph->first != node))
			return false;
		if (!node->graph->parent_node)
			return true;
		node = node->graph->parent_node;
	}
}

/* Linux's clock of the last tick: a few nanoseconds to read. */
#ifndef CLOCK_MONOTONIC_COARSE
#define CLOCK_MONOTONIC_COARSE CLOCK_MONOTONIC
#endif

static double coarse_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run the rewrites of group[0..n) to a fixed point with a worklist (see
 * .rewrite in pass.h); changes[i] and seconds[i] get pass i's figures.
 * Timing each of millions of small calls precisely would cost more than
 * the calls: each call is charged the coarse clock's advance since the
 * previous one, which samples where the time goes at the clock's tick,
 * and the shares are scaled to the group's precise time. */
static void run_rewrite_group(ir_model *model, const pass *const *group, int n,
                              pass_context *ctx,
                              const pipeline_options *options, int *changes,
                              double *seconds)
{
	double start = now_seconds(), last = coarse_seconds(), sampled = 0;
	worklist w = {.listener = {worklist_note_touched}};
	ir_graph_walk(model->graph, worklist_seed_graph, &w);
	/* The first node of the graph on top. */
	for (int i = 0, k = w.n - 1; i < k; i++, k--) {
		ir_node *t = w.nodes[i];
		w.nodes[i] = w.nodes[k];
		w.nodes[k] = t;
	}
	long long budget =
	    (long long)w.n * WORKLIST_VISITS_PER_NODE + WORKLIST_VISITS_MIN;
	long long visits = 0;
	model->listener = &w.listener;
	while (w.n > 0 && visits < budget) {
		ir_node *node = w.nodes[--w.n];
		node->queued = false;
		if (!node_in_model(node))
			continue;
		visits++;
		for (int i = 0; i < n; i++) {
			w.n_touched = 0;
			int made = group[i]->rewrite(model, node, ctx);
			double now = coarse_seconds();
			seconds[i] += now - last;
			sampled += now - last;
			last = now;
			if (made <= 0)
				continue;
			changes[i] += made;
			for (int k = 0; k < w.n_touched; k++)
				worklist_push(&w, w.touched[k]);
			/* On top: a node that changed may match again. */
			if (node_in_model(node))
				worklist_push(&w, node);
			break;
		}
	}
	model->listener = NULL;
	if (w.n > 0 && options->notes_to)
		fprintf(options->notes_to,
		        "onnx-opt: note: the rewrites %s..%s stopped after "
		        "%lld node visits (%d per node): some of them undo "
		        "each other; the graph is valid, and the pipeline "
		        "went on\n",
		        group[0]->name, group[n - 1]->name, visits,
		        WORKLIST_VISITS_PER_NODE);
	while (w.n > 0)
		w.nodes[--w.n]->queued = false;
	free(w.nodes);
	free(w.touched);
	double total = now_seconds() - start;
	for (int i = 0; i < n; i++)
		seconds[i] =
		    sampled > 0 ? seconds[i] / sampled * total : total / n;
}

/* ------------------------------------------------------------ pipeline */

static bool should_print(const pipeline_options *options, const pass *ps)
{
	return options->print_after && options->print_to &&
	       (!strcmp(options->print_after, "all") ||
	        !strcmp(options->print_after, ps->name));
}

static bool run_step_counted(ir_model *model, const pass *const *step, int n,
                             int iteration, analyses *a,
                             const pipeline_options *options, pass_context *ctx,
                             ir_status *status, int *changes, double *seconds);

/* Run p->passes[first..first+n): one pass with .run, or a group of
 * consecutive passes with .rewrite; then compact, verify, print and
 * report, once for the group. */
static bool run_step(ir_model *model, const pipeline *p, int first, int n,
                     int iteration, analyses *a,
                     const pipeline_options *options, pass_context *ctx,
                     ir_status *status, int *total)
{
	const pass *const *step = p->passes + first;
	int *changes = ir_xcalloc((size_t)n, sizeof *changes);
	double *seconds = ir_xcalloc((size_t)n, sizeof *seconds);
	bool ok = run_step_counted(model, step, n, iteration, a, options, ctx,
	                           status, changes, seconds);
	if (ok) {
		for (int i = 0; i < n; i++) {
			report(options, step[i]->name, iteration, changes[i],
			       seconds[i]);
			*total += changes[i];
		}
	}
	free(changes);
	free(seconds);
	return ok;
}

static bool run_step_counted(ir_model *model, const pass *const *step, int n,
                             int iteration, analyses *a,
                             const pipeline_options *options, pass_context *ctx,
                             ir_status *status, int *changes, double *seconds)
{
	unsigned needs = 0;
	for (int i = 0; i < n; i++)
		needs |= step[i]->needs;
	if (needs & ANALYSIS_TYPES)
		provide_types(model, a, iteration, options);
	uint64_t generation = model->generation;
	if (step[0]->rewrite) {
		run_rewrite_group(model, step, n, ctx, options, changes,
		                  seconds);
	} else {
		double start = now_seconds();
		changes[0] = step[0]->run(model, ctx, status);
		seconds[0] = now_seconds() - start;
		if (changes[0] < 0) {
			if (status && status->code == IR_OK)
				ir_fail(status, IR_ERR_PASS, "pass '%s' failed",
				        step[0]->name);
			return false;
		}
	}
	int made = 0;
	for (int i = 0; i < n; i++)
		made += changes[i];
	/* A pass that edited a field without the mutation API still
	 * invalidates what was inferred. */
	if (made > 0 && model->generation == generation)
		model->generation++;
	/* Readers between passes see dense lists. */
	ir_graph_compact(model->graph);
	/* A group's passes end together, so "after every pass" is after
	 * the group: a rewrite's result is checked before any other pass
	 * (with .run) sees it. */
	if (options->verify) {
		ir_status verify = {0};
		if (!ir_verify(model, &verify))
			return n == 1
			           ? ir_fail(status, IR_ERR_PASS,
			                     "IR invalid after pass '%s': %s",
			                     step[0]->name, verify.message)
			           : ir_fail(status, IR_ERR_PASS,
			                     "IR invalid after the rewrites "
			                     "'%s'..'%s': %s",
			                     step[0]->name, step[n - 1]->name,
			                     verify.message);
	}
	bool printed = false;
	for (int i = 0; i < n; i++)
		if (should_print(options, step[i])) {
			fprintf(options->print_to,
			        "; after pass %s (iteration %d, %d changes)\n",
			        step[i]->name, iteration, changes[i]);
			printed = true;
		}
	if (printed) {
		if (n > 1)
			fprintf(options->print_to,
			        "; (run as one worklist with the rewrites of "
			        "%s..%s)\n",
			        step[0]->name, step[n - 1]->name);
		ir_print_model(model, options->print_to);
	}
	return true;
}

static bool run_passes(ir_model *model, const pipeline *p,
                       const pipeline_options *options, pass_context *ctx,
                       ir_status *status)
{
	analyses a = {0};
	int max_iterations =
	    options->fixed_point
	        ? (options->max_iterations > 0 ? options->max_iterations : 8)
	        : 1;
	for (int iteration = 1; iteration <= max_iterations; iteration++) {
		int total = 0;
		for (int i = 0; i < p->n;) {
			int n = 1;
			while (p->passes[i]->rewrite && i + n < p->n &&
			       p->passes[i + n]->rewrite)
				n++;
			if (!run_step(model, p, i, n, iteration, &a, options,
			              ctx, status, &total))
				return false;
			i += n;
		}
		if (total == 0)
			break;
	}
	return true;
}
