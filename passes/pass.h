/*
 * pass.h - what a pass is, and the pass manager that runs them (internal).
 *
 * A pass is one file under passes/ that ends with one descriptor:
 *
 *     const pass pass_fuse_div_mul = {
 *         .name = "fuse_div_mul", .group = "fuse",
 *         .summary = "...",
 *         .needs = ANALYSIS_TYPES,
 *         .run = run_fuse_div_mul,
 *     };
 *
 * and one line in passes.def (the build and the tests read that list:
 * with tests/test_pass_<name>.c that is all a new pass takes). run()
 * returns how many changes it made or -1 after filling *status.
 *
 * A local pattern gives .rewrite instead of .run: it tries the pattern on
 * one node and returns how many changes it made (0: untouched). The
 * manager runs the rewrites of consecutive such passes in a pipeline as
 * one group, with a worklist (MLIR's greedy driver): it seeds the list
 * with every node in graph order, pops a node, tries the group's rewrites
 * on it in pipeline order, and after a change pushes back only the nodes
 * the change touched (ir_listener in ir.h: the readers and producers of
 * the values that changed, and the new nodes), so a change enabled by
 * another one, upstream or down, is found in the same run without a new
 * scan of the graph. A node removed meanwhile is skipped. Whole-graph
 * passes (folding, CSE, dce, inference) keep .run and run around the
 * groups.
 *
 * The contract between passes and the manager:
 *
 *  - 0 changes means untouched: a pass that returns 0 made no call of the
 *    IR's mutation API, so the saved model is byte-identical to what it
 *    was before the pass. A pass that changes anything counts it.
 *
 *  - A pass does not run analyses; it declares what it reads in .needs
 *    and the manager provides it. ANALYSIS_TYPES: value types and shapes
 *    from shape inference (analysis/shape/), in value->type. Use lists
 *    need no declaration: the IR keeps them exact at all times.
 *
 *  - Types are provided exactly: the IR's mutation API moves
 *    model->generation, and the manager re-runs inference before a pass
 *    that needs types only when the generation moved since inference last
 *    ran. In a fixed-point run it re-runs at most once per iteration: a
 *    correct rewrite never changes what a surviving value computes, so a
 *    type inferred earlier stays true; only values created since may lack
 *    one, and the next iteration sees them. A pass therefore reads a
 *    value without a known type as unknown, never as wrong, and need not
 *    re-infer after its own rewrites: what they create it knows itself,
 *    or leaves for the fixed point.
 *
 *  - Running inference is not a mutation. Inference refines value->type
 *    through ir_value_refine_type, which leaves what export writes (the
 *    stated type) and the generation alone; only the infer_shapes pass
 *    records inferred types into the saved model (ir_value_record_type),
 *    and it counts what it records. So whatever the manager inferred for
 *    a pass that then returns 0, the output is the input's bytes.
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

/* The analyses a pass can declare in .needs. */
enum {
	ANALYSIS_TYPES = 1u << 0, /* value->type refined by shape inference */
};

typedef struct pass {
	const char *name;
	/* "convert", "fold", "eliminate", "fuse", "cleanup"; never a
	 * pass's name */
	const char *group;
	const char *summary; /* one line, for --list-passes */
	bool opt_in;         /* not part of its group unless named */
	unsigned needs;      /* ANALYSIS_* the manager provides before run */
	/* Exactly one of run and rewrite. A rewrite cannot fail. */
	int (*run)(ir_model *model, pass_context *ctx, ir_status *status);
	int (*rewrite)(ir_model *model, ir_node *node, pass_context *ctx);
} pass;

#define PASS(name) extern const pass pass_##name;
#include "passes.def"
#undef PASS

/* The registry: every pass, in passes.def order. */
extern const pass *const pass_registry[];
extern const int pass_registry_count;
const pass *pass_find(const char *name);

/* What runs without -p; "none" is the empty pipeline. A group is the set
 * of passes whose descriptors name it in .group. */
extern const char *const pass_default_pipeline;

typedef struct pipeline {
	const pass **passes;
	int n, cap;
} pipeline;

/* Resolve "a,b,group" into passes; unknown names are a usage error. */
bool pipeline_parse(const char *spec, pipeline *out, ir_status *status);
void pipeline_free(pipeline *p);

/* A report names a pass, or PASS_RECORD_SHAPE_INFERENCE for a run of
 * shape inference the manager made (0 changes: running an analysis is
 * not a mutation). */
#define PASS_RECORD_SHAPE_INFERENCE "(shape-inference)" /* onnxopt.h too */

typedef struct pass_record {
	const char *name;
	int iteration;
	int changes;
	double seconds;
} pass_record;

typedef struct pipeline_options {
	bool fixed_point;   /* repeat until no pass changes anything */
	int max_iterations; /* bound for fixed_point; 0 means 8 */
	/* Run ir_verify after every pass; after a group of rewrites (see
	 * .rewrite), once after the group, whose run is where its passes
	 * end. */
	bool verify;
	pass_options pass;
	void (*report)(const pass_record *record, void *ctx);
	void *report_ctx;
	/* Dump the IR (ir_print_model) to print_to after every run of the
	 * pass named print_after ("all": after every pass; once after a
	 * group of rewrites, under one header line per pass). */
	const char *print_after;
	FILE *print_to;
	/* Where a one-line note goes when a run reaches a limit without
	 * failing (fold_memory_limit, the worklist's bound on visits);
	 * NULL: nowhere. stderr by default. */
	FILE *notes_to;
} pipeline_options;

void pipeline_options_init(pipeline_options *options);
bool pipeline_run(ir_model *model, const pipeline *p,
                  const pipeline_options *options, ir_status *status);

#endif
