/*
 * onnx-opt - command-line front end of the onnx-opt library.
 *
 * A thin client of include/onnxopt.h: parse options, load, run, save.
 * Every failure is one line on stderr and a non-zero exit; the output path
 * is only ever created by an atomic rename after a complete write.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "onnxopt.h"

enum { EXIT_BAD_INPUT = 2, EXIT_PASS_FAILED = 1 };

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
	        "      --verify       check IR invariants after every pass\n"
	        "      --fold-size-limit BYTES\n"
	        "                     largest tensor folding may create from "
	        "ops that\n"
	        "                     expand data (default 4194304; -1: no "
	        "limit)\n"
	        "      --print-after PASS\n"
	        "                     print the IR as text (on stderr) after "
	        "each run of\n"
	        "                     PASS ('all': after every pass)\n"
	        "      --list-passes  list passes by group\n"
	        "  -h, --help         this help\n"
	        "      --version      print the version\n",
	        onnxopt_default_pipeline());
}

/* ------------------------------------------------------------- listing */

typedef struct listing {
	const char *group;
} listing;

static void print_if_group(const char *name, const char *group,
                           const char *summary, void *user)
{
	listing *l = user;
	if (!strcmp(group, l->group))
		printf("  %-40s %s\n", name, summary);
}

static void list_passes(void)
{
	static const char *const groups[] = {"fold", "eliminate", "fuse",
	                                     "dce"};
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		printf("%s:\n", groups[i]);
		listing l = {groups[i]};
		onnxopt_list_passes(print_if_group, &l);
	}
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

static void print_pass(const onnxopt_pass_report *r, void *user)
{
	(void)user;
	fprintf(stderr, "%-40s %4d %8d %10.3f\n", r->pass, r->iteration,
	        r->changes, r->seconds * 1e3);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* ---------------------------------------------------------------- main */

static int fail(onnxopt_status status)
{
	fprintf(stderr, "onnx-opt: %s\n", onnxopt_last_error());
	return status == ONNXOPT_ERR_PASS ? EXIT_PASS_FAILED : EXIT_BAD_INPUT;
}

int main(int argc, char **argv)
{
	enum {
		OPT_FIXED = 256,
		OPT_STATS,
		OPT_LIST,
		OPT_VERSION,
		OPT_VERIFY,
		OPT_FOLD_LIMIT,
		OPT_PRINT_AFTER,
	};
	static const struct option options[] = {
	    {"passes", required_argument, NULL, 'p'},
	    {"fixed-point", no_argument, NULL, OPT_FIXED},
	    {"stats", no_argument, NULL, OPT_STATS},
	    {"verify", no_argument, NULL, OPT_VERIFY},
	    {"fold-size-limit", required_argument, NULL, OPT_FOLD_LIMIT},
	    {"print-after", required_argument, NULL, OPT_PRINT_AFTER},
	    {"list-passes", no_argument, NULL, OPT_LIST},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	const char *passes = NULL, *print_after = NULL;
	unsigned flags = 0;
	int stats = 0, opt;
	bool has_fold_limit = false;
	long long fold_limit = 0;
	/* getopt's own message would be a second line on stderr. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "p:h", options, NULL)) != -1) {
		switch (opt) {
		case 'p': passes = optarg; break;
		case OPT_FIXED: flags |= ONNXOPT_FIXED_POINT; break;
		case OPT_STATS: stats = 1; break;
		case OPT_VERIFY: flags |= ONNXOPT_VERIFY; break;
		case OPT_FOLD_LIMIT: {
			char *end;
			errno = 0;
			fold_limit = strtoll(optarg, &end, 10);
			if (end == optarg || *end || errno) {
				fprintf(stderr,
				        "onnx-opt: --fold-size-limit "
				        "needs a number of bytes, not "
				        "'%s'\n",
				        optarg);
				return EXIT_BAD_INPUT;
			}
			has_fold_limit = true;
			break;
		}
		case OPT_PRINT_AFTER: print_after = optarg; break;
		case OPT_LIST: list_passes(); return 0;
		case 'h': usage(stdout); return 0;
		case OPT_VERSION:
			printf("onnx-opt %s\n", onnxopt_version());
			return 0;
		default:
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

	double t0 = now_ms();
	onnxopt_model *model = NULL;
	st = onnxopt_load_file(in, &model);
	if (st != ONNXOPT_OK)
		return fail(st);
	if (has_fold_limit)
		onnxopt_set_fold_size_limit(model, fold_limit);
	if (print_after && (st = onnxopt_set_print_after(
	                        model, print_after, stderr)) != ONNXOPT_OK) {
		onnxopt_model_free(model);
		return fail(st);
	}
	double t1 = now_ms();
	op_table table = {0};
	if (stats) {
		onnxopt_op_counts(model, add_count, &table);
		fprintf(stderr, "%-40s %4s %8s %10s\n", "pass", "iter",
		        "changes", "ms");
	}
	st = onnxopt_run_ex(model, passes, flags, stats ? print_pass : NULL,
	                    NULL);
	double t2 = now_ms();
	if (st == ONNXOPT_OK)
		st = onnxopt_save_file(model, out);
	double t3 = now_ms();
	if (st != ONNXOPT_OK) {
		onnxopt_model_free(model);
		free(table.rows);
		return fail(st);
	}
	if (stats) {
		table.after = 1;
		onnxopt_op_counts(model, add_count, &table);
		fputc('\n', stderr);
		print_op_table(&table);
		fprintf(stderr,
		        "\nload %.1f ms, passes %.1f ms, save %.1f ms\n",
		        t1 - t0, t2 - t1, t3 - t2);
	}
	free(table.rows);
	onnxopt_model_free(model);
	return 0;
}
