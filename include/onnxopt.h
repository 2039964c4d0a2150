/*
 * onnxopt.h - the onnx-opt library: load an ONNX model, run optimization
 * passes over it, save it. This is the only header library users need.
 *
 *     onnxopt_model *m = NULL;
 *     if (onnxopt_load_file("in.onnx", &m) != ONNXOPT_OK ||
 *         onnxopt_run(m, "fuse,fold", 0) != ONNXOPT_OK ||
 *         onnxopt_save_file(m, "out.onnx") != ONNXOPT_OK)
 *             fprintf(stderr, "%s\n", onnxopt_last_error());
 *     onnxopt_model_free(m);
 *
 * Every function returns a status; on failure onnxopt_last_error() gives a
 * one-line message for the calling thread. Nothing here exits or aborts on
 * bad input.
 */
#ifndef ONNXOPT_H
#define ONNXOPT_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version is meson.build's project version:
 * onnxopt_version(). */

/* The default of onnxopt_set_fold_size_limit: 4 MiB. (A plain number, so
 * that the help text can spell it.) */
#define ONNXOPT_DEFAULT_FOLD_SIZE_LIMIT 4194304

typedef enum onnxopt_status {
	ONNXOPT_OK = 0,
	ONNXOPT_ERR_IO = 1,          /* missing file, cannot write */
	ONNXOPT_ERR_PARSE = 2,       /* not an ONNX model, truncated */
	ONNXOPT_ERR_INVALID = 3,     /* undefined value, cycle, ... */
	ONNXOPT_ERR_USAGE = 4,       /* unknown pass name, bad argument */
	ONNXOPT_ERR_PASS = 5,        /* a pass failed */
	ONNXOPT_ERR_CHECK = 6,       /* "check": an output differs */
	ONNXOPT_ERR_UNCHECKABLE = 7, /* "check": the evaluator cannot run
	                                the model (an op without a kernel) */
	ONNXOPT_ERR_WRITE = 8,       /* the output could not be written */
	ONNXOPT_ERR_NOMEM = 9,       /* out of memory; after onnxopt_run
	                                the model can only be freed */
} onnxopt_status;

typedef struct onnxopt_model onnxopt_model;

/* Flags for onnxopt_run_ex. */
enum {
	ONNXOPT_FIXED_POINT = 1 << 0, /* repeat the pipeline until stable */
	ONNXOPT_VERIFY = 1 << 1,      /* check the IR after every pass */
	ONNXOPT_NO_VERIFY = 1 << 2,   /* skip checks even in debug builds */
};

const char *onnxopt_version(void);
const char *onnxopt_last_error(void);

/* Load from a path ("-" is standard input) or from memory. The buffer is
 * copied, so the caller may free it after the call. Tensors stored in
 * external data files are read (mapped) from the model file's folder
 * (for standard input, the current folder); a location outside that
 * folder is refused. From memory, external data stays an unresolved
 * reference unless loaded with a base folder. */
onnxopt_status onnxopt_load_file(const char *path, onnxopt_model **out);
onnxopt_status onnxopt_load_buffer(const void *data, size_t size,
                                   onnxopt_model **out);
onnxopt_status onnxopt_load_buffer_with_base(const void *data, size_t size,
                                             const char *base_dir,
                                             onnxopt_model **out);
void onnxopt_model_free(onnxopt_model *model);

/* Run a comma-separated list of pass and group names; NULL runs the
 * default pipeline, "none" runs nothing, and "" is a usage error. */
onnxopt_status onnxopt_run(onnxopt_model *model, const char *passes,
                           unsigned flags);

/* The largest tensor, in bytes, that folding may create for this model
 * from ops that expand data (ConstantOfShape, Expand, Tile, Range, ...),
 * for the runs that follow. The default is ONNXOPT_DEFAULT_FOLD_SIZE_LIMIT
 * (4 MiB); a negative value means
 * no limit. */
onnxopt_status onnxopt_set_fold_size_limit(onnxopt_model *model,
                                           long long bytes);

/* Where the runs that follow keep big tensors they compute (transposed,
 * merged or folded weights): an unnamed file in `folder` instead of
 * TMPDIR. Give the folder the output will be saved to: a save there with
 * external data then keeps those tensors where they were written, so they
 * reach the disk once and are never copied. NULL: TMPDIR. A folder that
 * cannot hold such a file (not writable, no O_TMPFILE) falls back to
 * TMPDIR. */
onnxopt_status onnxopt_set_store_folder(onnxopt_model *model,
                                        const char *folder);

/* For the runs that follow, print a readable dump of the IR to `out` after
 * every run of the pass `pass` ("all": after every pass; NULL: never). An
 * unknown pass name is a usage error. */
onnxopt_status onnxopt_set_print_after(onnxopt_model *model, const char *pass,
                                       FILE *out);

/* Set a named option for the runs and saves that follow. Names and values
 * are the CLI's long options without the dashes and their argument text:
 *
 *     onnxopt_set_option(m, "fold-size-limit", "1048576");
 *
 * A flag takes NULL (or "1"/"0"). With model NULL the value is only
 * validated. An unknown name or a bad value is ONNXOPT_ERR_USAGE with a
 * message naming the option. onnxopt_list_options lists them all. */
onnxopt_status onnxopt_set_option(onnxopt_model *model, const char *name,
                                  const char *value);

/* Every option: name, argument metavariable (NULL for a flag) and a
 * one-line help text. */
typedef void (*onnxopt_option_info_fn)(const char *name, const char *argument,
                                       const char *help, void *user);
void onnxopt_list_options(onnxopt_option_info_fn fn, void *user);

/* With the option "check" (--check[=N]), every run ends by evaluating
 * the original model (re-read from the bytes it was loaded from) and the
 * optimized one on N deterministic random inputs ("check-seed") with the
 * library's own evaluator, and comparing every output within
 * "check-rtol"/"check-atol". A difference fails the run with
 * ONNXOPT_ERR_CHECK, naming the output and the first differing index; a
 * model the evaluator cannot run fails with ONNXOPT_ERR_UNCHECKABLE.
 * onnxopt_check_result then gives the runs compared (0: no check ran),
 * the check's time, and each output's worst differences. */
typedef struct onnxopt_check_output {
	const char *name;
	double max_abs_diff, max_rel_diff;
} onnxopt_check_output;
int onnxopt_check_result(const onnxopt_model *model,
                         const onnxopt_check_output **outputs, int *n_outputs,
                         double *seconds);

/* Sizes and times for statistics (--stats, --stats-json). "before" is
 * the model as loaded, "after" as last saved (or as it is now, with
 * file_bytes -1, before any save). Nodes and initializers count every
 * graph, subgraphs included; initializer bytes are the tensors' data. */
typedef struct onnxopt_model_size {
	long long nodes, initializers, initializer_bytes;
	long long file_bytes; /* -1: unknown (standard input or output) */
} onnxopt_model_size;
typedef struct onnxopt_stats {
	onnxopt_model_size before, after;
	double load_seconds, passes_seconds, save_seconds;
} onnxopt_stats;
void onnxopt_get_stats(const onnxopt_model *model, onnxopt_stats *out);

/* Check a pass list without running it (an unknown name is an error). */
onnxopt_status onnxopt_check_passes(const char *passes);

/* A report's pass is ONNXOPT_REPORT_SHAPE_INFERENCE for a run of shape
 * inference that the pipeline made for the passes that need types (it
 * changes nothing: changes is 0). */
#define ONNXOPT_REPORT_SHAPE_INFERENCE "(shape-inference)"

typedef struct onnxopt_pass_report {
	const char *pass;
	int iteration;
	int changes;
	double seconds;
} onnxopt_pass_report;

typedef void (*onnxopt_report_fn)(const onnxopt_pass_report *report,
                                  void *user);
onnxopt_status onnxopt_run_ex(onnxopt_model *model, const char *passes,
                              unsigned flags, onnxopt_report_fn report,
                              void *user);

/* Save to a path ("-" is standard output). A file is written to a
 * temporary name, fsynced and renamed into place, so a failure (or
 * SIGINT/SIGTERM) leaves none; an existing file's mode is kept, a symlink's
 * target is replaced, and a FIFO or device is written in place. Tensor data
 * goes to one data file beside it per the external-data options; without
 * them, as in the input, and external whenever the model would pass
 * protobuf's 2 GB limit. */
onnxopt_status onnxopt_save_file(onnxopt_model *model, const char *path);
/* Save to a malloc'd buffer the caller frees with onnxopt_free; every
 * tensor inline (a model over 2 GB is an error). */
onnxopt_status onnxopt_save_buffer(onnxopt_model *model, void **data,
                                   size_t *size);
void onnxopt_free(void *data);

/* Node counts by op type (recursing into subgraphs), for statistics. */
typedef void (*onnxopt_op_count_fn)(const char *domain, const char *op_type,
                                    int count, void *user);
void onnxopt_op_counts(const onnxopt_model *model, onnxopt_op_count_fn fn,
                       void *user);

/* Every pass: name, group and one-line summary; the passes of a group
 * come together, and groups in the order of the default pipeline. */
typedef void (*onnxopt_pass_info_fn)(const char *name, const char *group,
                                     const char *summary, void *user);
void onnxopt_list_passes(onnxopt_pass_info_fn fn, void *user);
/* The default pipeline, as a pass list. */
const char *onnxopt_default_pipeline(void);

#ifdef __cplusplus
}
#endif

#endif
