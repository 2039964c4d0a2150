/*
 * roundtrip_check - does loading and saving a model, with no pass run,
 * keep its content?
 *
 *     roundtrip_check [--cli ONNX_OPT] [--verbose] PATH...
 *
 * A PATH is a model file or a directory searched for *.onnx files. For
 * each model, two paths are checked:
 *
 *   in-process  ir_model_load_file -> ir_model_save (memory)
 *   cli         ONNX_OPT -p none MODEL OUT (only with --cli)
 *
 * "Same content" means: both files unpacked with plain protobuf-c (not the
 * loader's skeleton trick) and packed again give the same bytes. That
 * canonical form does not depend on field order or packed/unpacked
 * encoding of repeated fields in the input, and it keeps unknown fields,
 * so it compares what the model says rather than how it was written.
 * Whether the raw files are byte-identical is reported too, as a count:
 * today they are, and a drop in that count is worth a look.
 *
 * Prints one line per failure and `roundtrip: N passed, M failed`. Exit
 * status: 0 all passed, 1 a failure, 77 (skip) when no model was found.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ir.h"

extern char **environ;

typedef struct bytes {
	uint8_t *data;
	size_t size, cap;
} bytes;

typedef struct path_list {
	char **items;
	size_t n, cap;
} path_list;

typedef struct totals {
	int passed, failed;
	int cli_identical, inproc_identical;
} totals;

static void *must(void *p)
{
	if (!p) {
		fputs("roundtrip_check: out of memory\n", stderr);
		exit(99);
	}
	return p;
}

static bool append(void *out, const void *data, size_t size)
{
	bytes *b = out;
	if (b->size + size > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		while (cap < b->size + size)
			cap *= 2;
		b->data = must(realloc(b->data, cap));
		b->cap = cap;
	}
	if (size)
		memcpy(b->data + b->size, data, size);
	b->size += size;
	return true;
}

static bool read_file(const char *path, bytes *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	out->size = 0;
	uint8_t chunk[1 << 16];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		append(out, chunk, got);
	bool ok = !ferror(f);
	fclose(f);
	return ok;
}

/* ------------------------------------------------------------ gathering */

static void add_path(path_list *list, const char *path)
{
	if (list->n == list->cap) {
		list->cap = list->cap ? 2 * list->cap : 256;
		list->items =
		    must(realloc(list->items, sizeof *list->items * list->cap));
	}
	list->items[list->n++] = must(strdup(path));
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

static void gather(path_list *list, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		add_path(list, path);
		return;
	}
	DIR *dir = opendir(path);
	if (!dir)
		return;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char child[4096];
		snprintf(child, sizeof child, "%s/%s", path, e->d_name);
		if (stat(child, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			gather(list, child);
		else if (ends_with(e->d_name, ".onnx"))
			add_path(list, child);
	}
	closedir(dir);
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ------------------------------------------------------------ comparing */

/* Unpack with plain protobuf-c and pack again. */
static bool canonical(const bytes *in, bytes *out)
{
	Onnx__ModelProto *mp =
	    onnx__model_proto__unpack(NULL, in->size, in->data);
	if (!mp)
		return false;
	size_t size = onnx__model_proto__get_packed_size(mp);
	out->size = 0;
	if (size > out->cap) {
		out->data = must(realloc(out->data, size));
		out->cap = size;
	}
	out->size = onnx__model_proto__pack(mp, out->data);
	onnx__model_proto__free_unpacked(mp, NULL);
	return out->size == size;
}

static bool same_bytes(const bytes *a, const bytes *b)
{
	return a->size == b->size &&
	       (a->size == 0 || !memcmp(a->data, b->data, a->size));
}

typedef struct checker {
	const char *cli;
	char out_path[4096];
	bytes original, original_canon, saved, saved_canon;
	totals totals;
	bool verbose;
} checker;

/* Compare a result against the original; NULL when the content matches. */
static const char *compare(checker *c, const bytes *result, int *identical)
{
	if (same_bytes(result, &c->original)) {
		(*identical)++;
		return NULL;
	}
	if (!canonical(result, &c->saved_canon))
		return "output does not parse";
	if (!same_bytes(&c->saved_canon, &c->original_canon))
		return "content differs";
	return NULL;
}

static const char *check_in_process(checker *c, const char *path)
{
	static char message[600];
	ir_status status = {0};
	ir_model *model = ir_model_load_file(path, &status);
	if (!model) {
		snprintf(message, sizeof message, "load failed: %s",
		         status.message);
		return message;
	}
	c->saved.size = 0;
	bool ok = ir_model_save(model, append, &c->saved, &status);
	ir_model_free(model);
	if (!ok) {
		snprintf(message, sizeof message, "save failed: %s",
		         status.message);
		return message;
	}
	return compare(c, &c->saved, &c->totals.inproc_identical);
}

static const char *check_cli(checker *c, const char *path)
{
	static char message[600];
	unlink(c->out_path);
	char *argv[] = {(char *)c->cli, "-p",        "none",
	                (char *)path,   c->out_path, NULL};
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null",
	                                 O_WRONLY, 0);
	pid_t pid;
	int err = posix_spawn(&pid, c->cli, &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	if (err) {
		snprintf(message, sizeof message, "cannot run %s: %s", c->cli,
		         strerror(err));
		return message;
	}
	int wstatus;
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
		snprintf(message, sizeof message,
		         "onnx-opt -p none failed (status %d)",
		         WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
		return message;
	}
	if (!read_file(c->out_path, &c->saved))
		return "onnx-opt wrote no output";
	return compare(c, &c->saved, &c->totals.cli_identical);
}

static void check_model(checker *c, const char *path)
{
	const char *failure = NULL, *where = "";
	if (!read_file(path, &c->original)) {
		failure = "cannot read the file";
	} else if (!canonical(&c->original, &c->original_canon)) {
		failure = "protobuf-c cannot parse the input";
	} else {
		failure = check_in_process(c, path);
		where = "in-process: ";
		if (!failure && c->cli) {
			failure = check_cli(c, path);
			where = "cli: ";
		}
	}
	if (failure) {
		c->totals.failed++;
		printf("FAIL %s: %s%s\n", path, where, failure);
	} else {
		c->totals.passed++;
		if (c->verbose)
			printf("ok   %s\n", path);
	}
}

int main(int argc, char **argv)
{
	checker c = {0};
	path_list models = {0};
	int missing = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--cli") && i + 1 < argc) {
			c.cli = argv[++i];
		} else if (!strcmp(argv[i], "--verbose")) {
			c.verbose = true;
		} else {
			struct stat st;
			if (stat(argv[i], &st) != 0) {
				printf("skip %s: not found\n", argv[i]);
				missing++;
				continue;
			}
			size_t before = models.n;
			gather(&models, argv[i]);
			qsort(models.items + before, models.n - before,
			      sizeof *models.items, compare_paths);
		}
	}
	if (models.n == 0) {
		printf("roundtrip: no models found%s\n",
		       missing ? " (skipped)" : "");
		return 77;
	}
	char dir[] = "/tmp/onnxopt-roundtrip-XXXXXX";
	if (c.cli) {
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
		snprintf(c.out_path, sizeof c.out_path, "%s/out.onnx", dir);
	}
	for (size_t i = 0; i < models.n; i++)
		check_model(&c, models.items[i]);
	if (c.cli) {
		unlink(c.out_path);
		rmdir(dir);
	}
	int n = c.totals.passed + c.totals.failed;
	printf("raw bytes identical: in-process %d/%d",
	       c.totals.inproc_identical, n);
	if (c.cli)
		printf(", cli %d/%d", c.totals.cli_identical, n);
	printf("\nroundtrip: %d passed, %d failed\n", c.totals.passed,
	       c.totals.failed);
	for (size_t i = 0; i < models.n; i++)
		free(models.items[i]);
	free(models.items);
	free(c.original.data);
	free(c.original_canon.data);
	free(c.saved.data);
	free(c.saved_canon.data);
	return c.totals.failed ? 1 : 0;
}
