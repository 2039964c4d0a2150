/*
 * onnx-opt - command-line front end of the onnx-opt library.
 *
 * A thin client of include/onnxopt.h: parse options, load, run, save.
 * Every failure is one line on stderr and a non-zero exit; the output path
 * is only ever created by an atomic rename after a complete write.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "onnxopt.h"

enum {
	EXIT_PASS_FAILED = 1,
	EXIT_BAD_INPUT = 2,
	EXIT_CHECK_FAILED = 3, /* --check: an output differs */
	EXIT_CANNOT_CHECK = 4, /* --check: the evaluator cannot run it */
};

/* Print `text` wrapped to the help's second column. */
static void print_wrapped(FILE *out, const char *text)
{
	int column = 0;
	while (*text) {
		const char *word_end = strchr(text, ' ');
		int len = word_end ? (int)(word_end - text) : (int)strlen(text);
		if (column == 0 || column + 1 + len > 56) {
			fprintf(out, "%s%*s", column ? "\n" : "", 21, "");
			column = 0;
		} else {
			fputc(' ', out);
			column++;
		}
		fprintf(out, "%.*s", len, text);
		column += len;
		text += len;
		while (*text == ' ')
			text++;
	}
	fputc('\n', out);
}

static void print_option_help(const char *name, const char *argument,
                              const char *help, void *user)
{
	FILE *out = user;
	/* "[N]": an optional argument, given as --NAME=N. */
	bool optional = argument && argument[0] == '[';
	fprintf(out, "      --%s%s%s\n", name,
	        argument ? (optional ? "[=" : " ") : "",
	        argument ? argument + optional : "");
	print_wrapped(out, help);
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: onnx-opt [options] IN OUT\n"
	        "Optimize the ONNX model IN and write it to OUT ('-' is "
	        "stdin/stdout).\n\n"
	        "  -p, --passes LIST  comma-separated passes and groups "
	        "(default: %s,\n"
	        "                     to a fixed point); 'none' runs "
	        "nothing\n"
	        "      --fixed-point  repeat LIST until no pass changes "
	        "anything\n"
	        "      --stats        print op counts before/after and each "
	        "pass's time\n"
	        "                     and changes (on stderr)\n"
	        "      --verify       check IR invariants after every pass\n",
	        onnxopt_default_pipeline());
	onnxopt_list_options(print_option_help, out);
	fprintf(out, "      --list-passes  list passes by group\n"
	             "  -h, --help         this help\n"
	             "      --version      print the version\n");
}

/* ------------------------------------------------------------- listing */

typedef struct listing {
	const char *group;
} listing;

/* Passes come grouped: a header before each group's first pass. */
static void print_pass_info(const char *name, const char *group,
                            const char *summary, void *user)
{
	listing *l = user;
	if (!l->group || strcmp(group, l->group))
		printf("%s:\n", group);
	l->group = group;
	printf("  %-40s %s\n", name, summary);
}

static void list_passes(void)
{
	listing l = {NULL};
	onnxopt_list_passes(print_pass_info, &l);
	printf("none: (runs nothing)\ndefault pipeline: %s (to a fixed "
	       "point)\n",
	       onnxopt_default_pipeline());
}

/* --------------------------------------------------------------- stats */

typedef struct op_row {
	char name[128];
	int before, after;
} op_row;

typedef struct op_table {
	op_row *rows;
	int n, cap;
	int after; /* which column the callback fills */
} op_table;

static void add_count(const char *domain, const char *op_type, int count,
                      void *user)
{
	op_table *t = user;
	char name[128];
	if (domain[0] && strcmp(domain, "ai.onnx"))
		snprintf(name, sizeof name, "%s:%s", domain, op_type);
	else
		snprintf(name, sizeof name, "%s", op_type);
	int i = 0;
	while (i < t->n && strcmp(t->rows[i].name, name))
		i++;
	if (i == t->n) {
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 32;
			t->rows =
			    realloc(t->rows, sizeof *t->rows * (size_t)t->cap);
			if (!t->rows) {
				fputs("onnx-opt: out of memory\n", stderr);
				exit(EXIT_PASS_FAILED);
			}
		}
		memset(&t->rows[i], 0, sizeof t->rows[i]);
		snprintf(t->rows[i].name, sizeof t->rows[i].name, "%s", name);
		t->n++;
	}
	if (t->after)
		t->rows[i].after += count;
	else
		t->rows[i].before += count;
}

static int compare_rows(const void *a, const void *b)
{
	return strcmp(((const op_row *)a)->name, ((const op_row *)b)->name);
}

static void print_op_table(op_table *t)
{
	qsort(t->rows, (size_t)t->n, sizeof *t->rows, compare_rows);
	int before = 0, after = 0;
	fprintf(stderr, "%-32s %8s %8s\n", "op", "before", "after");
	for (int i = 0; i < t->n; i++) {
		fprintf(stderr, "%-32s %8d %8d\n", t->rows[i].name,
		        t->rows[i].before, t->rows[i].after);
		before += t->rows[i].before;
		after += t->rows[i].after;
	}
	fprintf(stderr, "%-32s %8d %8d\n", "total", before, after);
}

static void print_size_row(const char *name, long long before, long long after)
{
	char b[32] = "-", a[32] = "-";
	if (before >= 0)
		snprintf(b, sizeof b, "%lld", before);
	if (after >= 0)
		snprintf(a, sizeof a, "%lld", after);
	fprintf(stderr, "%-32s %12s %12s\n", name, b, a);
}

/* Sizes and times from the library's statistics, the numbers
 * --stats-json writes too. */
static void print_sizes(const onnxopt_model *model)
{
	onnxopt_stats s;
	onnxopt_get_stats(model, &s);
	fputc('\n', stderr);
	fprintf(stderr, "%-32s %12s %12s\n", "size", "before", "after");
	print_size_row("nodes", s.before.nodes, s.after.nodes);
	print_size_row("initializers", s.before.initializers,
	               s.after.initializers);
	print_size_row("initializer bytes", s.before.initializer_bytes,
	               s.after.initializer_bytes);
	print_size_row("file bytes", s.before.file_bytes, s.after.file_bytes);
	fprintf(stderr, "\nload %.1f ms, passes %.1f ms, save %.1f ms\n",
	        s.load_seconds * 1e3, s.passes_seconds * 1e3,
	        s.save_seconds * 1e3);
}

static void print_pass(const onnxopt_pass_report *r, void *user)
{
	int *inference_runs = user;
	if (!strcmp(r->pass, ONNXOPT_REPORT_SHAPE_INFERENCE))
		(*inference_runs)++;
	fprintf(stderr, "%-40s %4d %8d %10.3f\n", r->pass, r->iteration,
	        r->changes, r->seconds * 1e3);
}

/* One line per output with the worst differences --check saw. */
static void print_check(const onnxopt_model *model)
{
	const onnxopt_check_output *outputs;
	int n_outputs;
	double seconds;
	int runs = onnxopt_check_result(model, &outputs, &n_outputs, &seconds);
	if (!runs)
		return;
	fprintf(stderr,
	        "check: %d run%s, %d output%s equal within tolerance "
	        "(%.1f ms)\n",
	        runs, runs == 1 ? "" : "s", n_outputs,
	        n_outputs == 1 ? "" : "s", seconds * 1e3);
	for (int i = 0; i < n_outputs; i++)
		fprintf(stderr,
		        "  %-30s max abs diff %.3g, max rel diff %.3g\n",
		        outputs[i].name, outputs[i].max_abs_diff,
		        outputs[i].max_rel_diff);
}

/* ---------------------------------------------------------------- main */

static int fail(onnxopt_status status)
{
	fprintf(stderr, "onnx-opt: %s\n", onnxopt_last_error());
	switch (status) {
	case ONNXOPT_ERR_PASS:
	case ONNXOPT_ERR_WRITE: return EXIT_PASS_FAILED;
	case ONNXOPT_ERR_NOMEM: return EXIT_PASS_FAILED;
	case ONNXOPT_ERR_CHECK: return EXIT_CHECK_FAILED;
	case ONNXOPT_ERR_UNCHECKABLE: return EXIT_CANNOT_CHECK;
	default: return EXIT_BAD_INPUT;
	}
}

/* The library's options (onnxopt_list_options) as getopt_long rows after
 * the CLI's own; their values are kept in order and applied after load. */
enum { OPT_LIBRARY = 1024 };

typedef struct cli_options {
	struct option *rows;
	int n, cap;
} cli_options;

static void add_row(cli_options *t, const char *name, int has_arg, int val)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->rows = realloc(t->rows, sizeof *t->rows * (size_t)t->cap);
		if (!t->rows) {
			fprintf(stderr, "onnx-opt: out of memory\n");
			exit(EXIT_PASS_FAILED);
		}
	}
	t->rows[t->n++] = (struct option){name, has_arg, NULL, val};
}

static void add_library_row(const char *name, const char *argument,
                            const char *help, void *user)
{
	(void)help;
	cli_options *t = user;
	int has_arg = !argument            ? no_argument
	              : argument[0] == '[' ? optional_argument
	                                   : required_argument;
	add_row(t, name, has_arg, OPT_LIBRARY + t->n);
}

typedef struct option_value {
	const char *name, *value;
} option_value;

int main(int argc, char **argv)
{
	enum {
		OPT_FIXED = 256,
		OPT_STATS,
		OPT_LIST,
		OPT_VERSION,
		OPT_VERIFY,
	};
	/* A closed pipe on stdout is a write error with a message (exit 1),
	 * not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	/* Scratch buffers of 1 MiB or more (a weight being folded) come from
	 * mmap and go back to the system when freed; glibc's default would
	 * raise the threshold after the first such free and keep them in the
	 * heap, so a run's peak memory would grow with the model. */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	/* Static: main returns early on many paths, and a block reachable
	 * from a static is not a leak to LeakSanitizer. */
	static cli_options table;
	add_row(&table, "passes", required_argument, 'p');
	add_row(&table, "fixed-point", no_argument, OPT_FIXED);
	add_row(&table, "stats", no_argument, OPT_STATS);
	add_row(&table, "verify", no_argument, OPT_VERIFY);
	add_row(&table, "list-passes", no_argument, OPT_LIST);
	add_row(&table, "help", no_argument, 'h');
	add_row(&table, "version", no_argument, OPT_VERSION);
	onnxopt_list_options(add_library_row, &table);
	add_row(&table, NULL, 0, 0);
	/* At most one library option per argument. */
	static option_value *settings;
	settings = calloc((size_t)argc, sizeof *settings);
	int n_settings = 0;
	const char *passes = NULL;
	unsigned flags = 0;
	int stats = 0, opt;
	/* getopt's own message would be a second line on stderr. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "p:h", table.rows, NULL)) != -1) {
		switch (opt) {
		case 'p': passes = optarg; break;
		case OPT_FIXED: flags |= ONNXOPT_FIXED_POINT; break;
		case OPT_STATS: stats = 1; break;
		case OPT_VERIFY: flags |= ONNXOPT_VERIFY; break;
		case OPT_LIST: list_passes(); return 0;
		case 'h': usage(stdout); return 0;
		case OPT_VERSION:
			printf("onnx-opt %s\n", onnxopt_version());
			return 0;
		default:
			if (opt >= OPT_LIBRARY && settings) {
				const char *name =
				    table.rows[opt - OPT_LIBRARY].name;
				/* A bad value is reported before any work. */
				onnxopt_status st =
				    onnxopt_set_option(NULL, name, optarg);
				if (st != ONNXOPT_OK)
					return fail(st);
				settings[n_settings++] =
				    (option_value){name, optarg};
				break;
			}
			/* optopt names a bad short option or one missing
			 * its argument; an unknown long option is the
			 * argument getopt just consumed. */
			if (optopt > 0 && optopt < 256)
				fprintf(stderr,
				        "onnx-opt: bad option '-%c' "
				        "(try --help)\n",
				        optopt);
			else
				fprintf(stderr,
				        "onnx-opt: bad option '%s' "
				        "(try --help)\n",
				        argv[optind - 1]);
			return EXIT_BAD_INPUT;
		}
	}
	if (!settings) {
		fprintf(stderr, "onnx-opt: out of memory\n");
		return EXIT_PASS_FAILED;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "onnx-opt: expected IN and OUT paths (try "
		                "--help)\n");
		return EXIT_BAD_INPUT;
	}
	const char *in = argv[optind], *out = argv[optind + 1];
	/* An unknown pass name is reported before any work is done. */
	onnxopt_status st = onnxopt_check_passes(passes);
	if (st != ONNXOPT_OK)
		return fail(st);

	onnxopt_model *model = NULL;
	st = onnxopt_load_file(in, &model);
	if (st != ONNXOPT_OK)
		return fail(st);
	for (int i = 0; i < n_settings; i++) {
		st = onnxopt_set_option(model, settings[i].name,
		                        settings[i].value);
		if (st != ONNXOPT_OK) {
			onnxopt_model_free(model);
			return fail(st);
		}
	}
	/* Computed weights are stored beside OUT, where saving can keep
	 * them in place as the data file. */
	if (strcmp(out, "-") != 0) {
		char folder[PATH_MAX];
		const char *slash = strrchr(out, '/');
		snprintf(folder, sizeof folder, "%.*s",
		         slash ? (slash == out ? 1 : (int)(slash - out)) : 1,
		         slash ? out : ".");
		onnxopt_set_store_folder(model, folder);
	}
	op_table op_rows = {0};
	if (stats) {
		onnxopt_op_counts(model, add_count, &op_rows);
		fprintf(stderr, "%-40s %4s %8s %10s\n", "pass", "iter",
		        "changes", "ms");
	}
	int inference_runs = 0;
	st = onnxopt_run_ex(model, passes, flags, stats ? print_pass : NULL,
	                    &inference_runs);
	if (st == ONNXOPT_OK)
		st = onnxopt_save_file(model, out);
	if (st != ONNXOPT_OK) {
		onnxopt_model_free(model);
		free(op_rows.rows);
		free(table.rows);
		free(settings);
		return fail(st);
	}
	if (stats) {
		op_rows.after = 1;
		onnxopt_op_counts(model, add_count, &op_rows);
		fputc('\n', stderr);
		print_op_table(&op_rows);
		print_sizes(model);
		fprintf(stderr, "shape inference ran %d times\n",
		        inference_runs);
	}
	print_check(model);
	free(op_rows.rows);
	free(table.rows);
	free(settings);
	onnxopt_model_free(model);
	return 0;
}
