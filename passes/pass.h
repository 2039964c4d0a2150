/*
 * pass.h - what a pass is, and the pass manager that runs them (internal).
 *
 * A pass is one file under passes/ that ends with one descriptor:
 *
 *     const pass pass_dce = {
 *         .name = "dce", .group = "dce",
 *         .summary = "remove nodes and initializers nothing reads",
 *         .run = run_dce,
 *     };
 *
 * and one line in passes.def (the build and the tests read that list:
 * with tests/test_pass_<name>.c that is all a new pass takes). run()
 * returns how many changes it made (0 means the IR is untouched) or -1
 * after filling *status.
 */
#ifndef ONNXOPT_PASS_H
#define ONNXOPT_PASS_H

#include <stdbool.h>

#include "ir.h"

typedef struct pass_options {
	/* Largest tensor, in bytes, that folding may create from ops that
	 * expand data (ConstantOfShape, Expand, Tile, Range, ...). */
	long long fold_size_limit;
	/* The default-domain opset convert_opset converts to; 0: none. */
	long long target_opset;
	/* Total bytes of the tensors folding may create in one pipeline
	 * run; -1: no limit. PASS_FOLD_MEMORY_DEFAULT resolves, when the
	 * run starts, to the larger of 256 MiB and the model's initializer
	 * bytes. */
	long long fold_memory_limit;
} pass_options;

#define PASS_FOLD_MEMORY_DEFAULT (-2LL)

typedef struct pass_context {
	const pass_options *options;
	/* Bytes folding has created in this pipeline run, and whether it
	 * has left a node alone because of fold_memory_limit. */
	long long fold_memory_used;
	bool fold_memory_exhausted;
} pass_context;

typedef struct pass {
	const char *name;
	const char *group;   /* "convert", "fold", "eliminate", "fuse", "dce" */
	const char *summary; /* one line, for --list-passes */
	bool opt_in;         /* not part of its group unless named */
	int (*run)(ir_model *model, pass_context *ctx, ir_status *status);
} pass;

#define PASS(name) extern const pass pass_##name;
#include "passes.def"
#undef PASS

/* The registry: every pass, in passes.def order. */
extern const pass *const pass_registry[];
extern const int pass_registry_count;
const pass *pass_find(const char *name);

/* Group names, in display order; "none" is the empty pipeline. */
extern const char *const pass_groups[];
extern const char *const pass_default_pipeline;

typedef struct pipeline {
	const pass **passes;
	int n, cap;
} pipeline;

/* Resolve "a,b,group" into passes; unknown names are a usage error. */
bool pipeline_parse(const char *spec, pipeline *out, ir_status *status);
void pipeline_free(pipeline *p);

typedef struct pass_record {
	const char *name;
	int iteration;
	int changes;
	double seconds;
} pass_record;

typedef struct pipeline_options {
	bool fixed_point;   /* repeat until no pass changes anything */
	int max_iterations; /* bound for fixed_point; 0 means 8 */
	bool verify;        /* run ir_verify after every pass */
	pass_options pass;
	void (*report)(const pass_record *record, void *ctx);
	void *report_ctx;
	/* Dump the IR (ir_print_model) to print_to after every run of the
	 * pass named print_after ("all": after every pass). */
	const char *print_after;
	FILE *print_to;
	/* Where a one-line note goes when a run reaches a limit without
	 * failing (fold_memory_limit); NULL: nowhere. stderr by default. */
	FILE *notes_to;
} pipeline_options;

void pipeline_options_init(pipeline_options *options);
bool pipeline_run(ir_model *model, const pipeline *p,
                  const pipeline_options *options, ir_status *status);

#endif
