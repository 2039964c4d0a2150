/*
 * pass_manager.c - run a pipeline of passes, optionally to a fixed point,
 * provide the analyses they need, verify the IR after each pass and time
 * it. The analysis contract is stated in pass.h.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
		for (int i = 0; i < p->n; i++) {
			const pass *ps = p->passes[i];
			if (ps->needs & ANALYSIS_TYPES)
				provide_types(model, &a, iteration, options);
			uint64_t generation = model->generation;
			double start = now_seconds();
			int changes = ps->run(model, ctx, status);
			double seconds = now_seconds() - start;
			if (changes < 0) {
				if (status && status->code == IR_OK)
					ir_fail(status, IR_ERR_PASS,
					        "pass '%s' failed", ps->name);
				return false;
			}
			/* A pass that edited a field without the mutation
			 * API still invalidates what was inferred. */
			if (changes > 0 && model->generation == generation)
				model->generation++;
			/* Readers between passes see dense lists. */
			ir_graph_compact(model->graph);
			if (options->verify) {
				ir_status verify = {0};
				if (!ir_verify(model, &verify))
					return ir_fail(status, IR_ERR_PASS,
					               "IR invalid after pass "
					               "'%s': %s",
					               ps->name,
					               verify.message);
			}
			if (options->print_after && options->print_to &&
			    (!strcmp(options->print_after, "all") ||
			     !strcmp(options->print_after, ps->name))) {
				fprintf(options->print_to,
				        "; after pass %s (iteration %d, %d "
				        "changes)\n",
				        ps->name, iteration, changes);
				ir_print_model(model, options->print_to);
			}
			report(options, ps->name, iteration, changes, seconds);
			total += changes;
		}
		if (total == 0)
			break;
	}
	return true;
}
