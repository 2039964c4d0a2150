/*
 * fuzz_load.c - libFuzzer target: arbitrary bytes through the loader, the
 * default pipeline and the exporter.
 *
 * Bad input must come back as an error value, never a crash. A model the
 * loader accepts satisfies the IR invariants, and every pass must keep
 * them (the pipeline verifies after each pass); a violation aborts, which
 * libFuzzer reports with the input that caused it. Build and run with
 * tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "pass.h"

static bool discard(void *out, const void *data, size_t size)
{
	(void)out;
	(void)data;
	(void)size;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ir_status status = {0};
	ir_model *model = ir_model_load_buffer(data, size, false, &status);
	if (!model)
		return 0;
	ir_status verify = {0};
	if (!ir_verify(model, &verify)) {
		fprintf(stderr, "loader accepted an invalid IR: %s\n",
		        verify.message);
		abort();
	}
	pipeline p;
	if (pipeline_parse(pass_default_pipeline, &p, &status)) {
		pipeline_options options;
		pipeline_options_init(&options);
		options.fixed_point = true;
		options.verify = true;
		/* Well under libFuzzer's RSS limit, and quiet. */
		options.pass.fold_memory_limit = 64LL << 20;
		options.notes_to = NULL;
		ir_status run = {0};
		/* A pass may refuse a model with an error value; what it may
		 * not do is leave the IR inconsistent. */
		if (!pipeline_run(model, &p, &options, &run) &&
		    run.code == IR_ERR_PASS &&
		    strstr(run.message, "IR invalid after pass")) {
			fprintf(stderr, "%s\n", run.message);
			abort();
		}
		pipeline_free(&p);
	}
	ir_status save = {0};
	ir_model_save(model, discard, NULL, &save);
	ir_model_free(model);
	return 0;
}
