/*
 * pass_manager.c - run a pipeline of passes, optionally to a fixed point,
 * verifying the IR after each pass and timing it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pass.h"

void pipeline_options_init(pipeline_options *options)
{
	memset(options, 0, sizeof *options);
	options->max_iterations = 8;
	options->pass.fold_size_limit = 4LL << 20;
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

bool pipeline_run(ir_model *model, const pipeline *p,
                  const pipeline_options *options, ir_status *status)
{
	pass_context ctx = {&options->pass};
	int max_iterations =
	    options->fixed_point
	        ? (options->max_iterations > 0 ? options->max_iterations : 8)
	        : 1;
	for (int iteration = 1; iteration <= max_iterations; iteration++) {
		int total = 0;
		for (int i = 0; i < p->n; i++) {
			const pass *ps = p->passes[i];
			double start = now_seconds();
			int changes = ps->run(model, &ctx, status);
			double seconds = now_seconds() - start;
			if (changes < 0) {
				if (status && status->code == IR_OK)
					ir_fail(status, IR_ERR_PASS,
					        "pass '%s' failed", ps->name);
				return false;
			}
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
			if (options->report) {
				pass_record record = {ps->name, iteration,
				                      changes, seconds};
				options->report(&record, options->report_ctx);
			}
			total += changes;
		}
		if (total == 0)
			break;
	}
	return true;
}
