/*
 * lib.h - the library front end's internals (lib/): the model handle that
 * include/onnxopt.h hands out, and the settings its options fill in.
 *
 * Settings are plain values with a "has" flag where the library's default
 * must stay the pass manager's own (one definition of each default, in
 * the module that owns it).
 */
#ifndef ONNXOPT_LIB_H
#define ONNXOPT_LIB_H

#include <stdbool.h>
#include <stdio.h>

#include "ir.h"
#include "onnxopt.h"

/* One --input-shape spec, parsed: input NAME gets exactly these dims. */
#define LIB_INPUT_SHAPE_MAX_RANK 16

typedef struct lib_dim_spec {
	int64_t value; /* >= 0: a fixed size; -1: the symbol below */
	char *symbol;  /* owned; a dim_param name, NULL for a size */
} lib_dim_spec;

typedef struct lib_input_shape {
	char *input; /* owned; the graph input's name */
	int rank;    /* 0 for a scalar ("NAME:") */
	lib_dim_spec dims[LIB_INPUT_SHAPE_MAX_RANK];
} lib_input_shape;

/* One --dim-param spec: every dim named `name` becomes `value`. */
typedef struct lib_dim_param {
	char *name; /* owned */
	int64_t value;
} lib_dim_param;
/* A macro's value as a string literal, for help texts that state a
 * default defined elsewhere. */
#define LIB_SPELL(macro) LIB_SPELL_(macro)
#define LIB_SPELL_(text) #text

typedef struct lib_settings {
	bool has_fold_size_limit;
	long long fold_size_limit;
	long long target_opset; /* 0: keep the model's opset */
	bool has_fold_memory_limit;
	long long fold_memory_limit;
	const char *print_after; /* a pass name (static storage) or "all" */
	FILE *print_to;
	/* --input-shape and --dim-param, in the order given; only parsed
	 * here, checked against the model by lib_apply_input_shapes. */
	lib_input_shape *input_shapes;
	int n_input_shapes;
	lib_dim_param *dim_params;
	int n_dim_params;
	int check_runs; /* 0: no --check */
	double check_rtol, check_atol;
	bool has_check_rtol, has_check_atol;
	unsigned long long check_seed;
	char stats_json[1024]; /* "" when not asked for */
	char dot[1024], dot_before[1024];
	bool external_data;          /* --external-data */
	char external_name[256];     /* its NAME; "" for the default */
	bool has_external_threshold; /* else the IR's default */
	unsigned long long external_threshold;
	bool has_external_align;
	unsigned long long external_align;
	bool quiet;
} lib_settings;

/* Op counts of a model, every graph (stats.c). */
typedef struct lib_op_count {
	const char *domain, *op_type; /* model-owned */
	int count;
} lib_op_count;
typedef struct lib_op_counts {
	lib_op_count *items;
	int n, cap;
} lib_op_counts;
void lib_count_ops(ir_model *model, lib_op_counts *out);

typedef struct lib_pass_stat {
	const char *pass; /* static */
	int iteration, changes;
	double seconds;
} lib_pass_stat;

/* What --stats and --stats-json report (stats.c). */
typedef struct lib_stats {
	onnxopt_model_size before, after;
	lib_op_counts ops_before;
	lib_pass_stat *passes;
	int n_passes, cap_passes;
	/* Runs of shape inference the pass manager made, apart from the
	 * passes (they change nothing). */
	int inference_runs;
	double inference_seconds;
	double load_seconds, passes_seconds, save_seconds;
	bool saved;
} lib_stats;

/* What the last check found (lib/check.c). */
typedef struct lib_check_result {
	int runs; /* 0: none ran, or the check failed */
	/* A failed check: the runs it made (the last one failed) and its
	 * message, for --stats-json. */
	int failed_runs;
	char failure[512];
	double seconds;
	onnxopt_check_output *outputs; /* names owned by the model */
	int n_outputs;
} lib_check_result;

struct onnxopt_model {
	ir_model *ir;
	/* Memory ran out while passes rewrote the IR: it may be half
	 * rewritten, so the model can only be freed (without a walk). */
	bool broken;
	lib_settings settings;
	lib_check_result check;
	lib_stats stats;
};

void lib_stats_loaded(onnxopt_model *model, double seconds);
void lib_stats_pass(onnxopt_model *model, const char *pass, int iteration,
                    int changes, double seconds);
/* After a save of file_bytes (-1: unknown); writes --stats-json. */
/* --stats-json after a failed check (nothing saved): the sizes after
 * the passes, file_bytes null, and the check's failure. Returns `failed`
 * with the check's message kept. */
onnxopt_status lib_stats_check_failed(onnxopt_model *model,
                                      onnxopt_status failed);
onnxopt_status lib_stats_saved(onnxopt_model *model, double seconds,
                               long long file_bytes);
void lib_stats_free(lib_stats *stats);
/* Copy a path option's value into a fixed buffer (stats.c). */
onnxopt_status lib_set_path(const char *option, const char *value, char *out,
                            size_t size);
/* Write the graph as Graphviz DOT to path (dot.c). */
onnxopt_status lib_write_dot(ir_model *model, const char *path,
                             const char *option);
double lib_now_seconds(void);

/* Run the check the settings ask for on a model whose passes have run. */
onnxopt_status lib_check_model(onnxopt_model *model);
void lib_check_result_free(lib_check_result *result);

typedef onnxopt_status (*lib_option_setter)(lib_settings *settings,
                                            const char *value);

#define OPTION(name, argument, setter, help)                                   \
	onnxopt_status setter(lib_settings *settings, const char *value);
#include "options.def"
#undef OPTION

/* Free what the settings own (input_shape.c). */
void lib_settings_free(lib_settings *settings);
/* Check the --input-shape / --dim-param specs against the model and
 * rewrite its graph input types; ONNXOPT_ERR_USAGE naming the input (and
 * the model unchanged by the failing spec) on a wrong rank, an unknown
 * name or a value that contradicts a fixed dim (input_shape.c). */
onnxopt_status lib_apply_input_shapes(ir_model *model,
                                      const lib_settings *settings);
#ifdef ONNXOPT_TEST_HOOKS
/* Break the model after a named pass (lib/test_hooks.c; test builds). */
void lib_test_hook_after_pass(ir_model *model, const char *pass, int changes);
/* Fail an allocation of the save on purpose (ONNXOPT_TEST_FAIL_SAVE_
 * ALLOCATION=N), and stop failing after it. */
void lib_test_hook_before_save(void);
void lib_test_hook_after_save(void);
#endif

/* Record a one-line message for onnxopt_last_error() and return status. */
onnxopt_status lib_fail(onnxopt_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Models whose input is bigger have their mapped and stored pages
 * dropped from memory after each pass. */
#define LIB_TRIM_MIN_BYTES ((uint64_t)64 << 20)

/* The progress line (progress.c): shown for models over 256 MB when
 * stderr is a terminal and --quiet is not set. */
bool lib_progress_wanted(const onnxopt_model *model);
void lib_progress_loaded(const onnxopt_model *model);
void lib_progress_pass(const char *pass, int iteration, int changes);
/* ctx: an int holding the last percentage shown, -1 at first. */
void lib_progress_save(void *ctx, uint64_t done, uint64_t total);

/* Parse a whole decimal number for option `name`; false after lib_fail. */
bool lib_parse_integer(const char *name, const char *value, long long *out);
/* The same for a finite decimal number. */
bool lib_parse_number(const char *name, const char *value, double *out);

#endif
