/*
 * shape_check - prove shape inference on ONNX's own backend test data.
 *
 *     shape_check [--floor PERCENT] [--types-floor PERCENT]
 *                 [--expected FILE] [--write FILE] [--verbose]
 *                 NODE_DIR [CASE...]
 *
 * For every case NODE_DIR/<case>/ (model.onnx + test_data_set_0) whose
 * graph outputs are tensors, the type of every node output is stripped
 * (graph outputs and value_info included, in bodies too), shape_infer_model
 * runs, and each graph output's inferred element type and dims must equal
 * those of the recorded output_<i>.pb. Each case is checked twice:
 *
 *   types:  the unmodified model; graph inputs keep their declared types
 *           and nothing else. Outputs whose size depends on the *value* of
 *           an input (Reshape's shape, Range's limit, Slice's starts, ...
 *           are graph inputs in these tests) cannot be known here.
 *   values: the graph inputs become initializers holding the recorded
 *           input_<i>.pb, as they would be constants or shape
 *           computations in a real model.
 *
 * A case passes when every output is exact. A failure is WRONG when the
 * inference states something false (a different element type, rank or
 * static dim): that is a bug, and fails the run in either mode. Otherwise
 * it is incomplete (a dim or type left unknown) and only counts against
 * the pass rate, which must reach --floor (values mode, default 95) and
 * --types-floor (types mode, default 0). With --expected FILE, every
 * failure must also be listed there (mode, case, reason per line), so a
 * regression in any one case fails the run; --write FILE records the
 * current list. Cases with non-tensor outputs (sequences, optionals) are
 * skipped and counted apart.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend_case.h"
#include "ir.h"
#include "shape/shape.h"

typedef enum { MODE_TYPES, MODE_VALUES, N_MODES } mode;
static const char *const mode_names[] = {"types", "values"};

typedef enum { CASE_PASS, CASE_INCOMPLETE, CASE_WRONG } outcome;

static bool verbose;

static int declared_elem(const Onnx__ValueInfoProto *vi)
{
	const Onnx__TypeProto__Tensor *t = vi->type->tensor_type;
	return t && t->has_elem_type ? t->elem_type : IR_UNDEFINED;
}

/* ------------------------------------------------------ preparing models */

/* The model as bytes, with every tensor graph input turned into an
 * initializer holding its recorded value when `constant_inputs`. */
static ir_model *load_case(const char *dir, Onnx__ModelProto *mp,
                           bool constant_inputs, char *why, size_t why_size)
{
	Onnx__GraphProto *g = mp->graph;
	size_t n_in = g->n_input, n_init = g->n_initializer;
	Onnx__TensorProto **inits = calloc(n_init + n_in + 1, sizeof *inits);
	Onnx__ValueInfoProto **inputs = calloc(n_in + 1, sizeof *inputs);
	Onnx__TensorProto **read = calloc(n_in + 1, sizeof *read);
	char **own_names = calloc(n_in + 1, sizeof *own_names);
	size_t n_inits = n_init, n_inputs = 0;
	bool ok = inits && inputs && read && own_names;
	for (size_t i = 0; ok && i < n_init; i++)
		inits[i] = g->initializer[i];
	/* input_<i>.pb feed the inputs that no initializer provides. */
	size_t fed = 0;
	for (size_t k = 0; ok && k < n_in; k++) {
		bool has_initializer = false;
		for (size_t i = 0; i < n_init && !has_initializer; i++)
			has_initializer =
			    g->initializer[i]->name &&
			    !strcmp(g->initializer[i]->name, g->input[k]->name);
		size_t index = has_initializer ? 0 : fed++;
		if (!constant_inputs || has_initializer ||
		    !backend_is_tensor_info(g->input[k])) {
			inputs[n_inputs++] = g->input[k];
			continue;
		}
		read[k] = backend_read_recorded(dir, "input", index);
		if (!read[k]) {
			snprintf(why, why_size, "cannot read input_%zu.pb",
			         index);
			ok = false;
			break;
		}
		own_names[k] = read[k]->name;
		read[k]->name = g->input[k]->name;
		/* ONNX 1.12 records bfloat16 data as uint16 of the same
		 * bits; the declared type says what it is. */
		if (read[k]->data_type == IR_UINT16 &&
		    declared_elem(g->input[k]) == IR_BFLOAT16)
			read[k]->data_type = IR_BFLOAT16;
		inits[n_inits++] = read[k];
	}
	ir_model *model = NULL;
	if (ok) {
		Onnx__TensorProto **old_inits = g->initializer;
		Onnx__ValueInfoProto **old_inputs = g->input;
		g->initializer = inits;
		g->n_initializer = n_inits;
		g->input = inputs;
		g->n_input = n_inputs;
		size_t size = onnx__model_proto__get_packed_size(mp);
		uint8_t *bytes = malloc(size ? size : 1);
		onnx__model_proto__pack(mp, bytes);
		g->initializer = old_inits;
		g->n_initializer = n_init;
		g->input = old_inputs;
		g->n_input = n_in;
		ir_status status = {0};
		model = ir_model_load_buffer(bytes, size, false, &status);
		if (!model)
			snprintf(why, why_size, "load: %.200s", status.message);
		free(bytes);
	}
	for (size_t k = 0; k < n_in; k++)
		if (read && read[k]) {
			read[k]->name = own_names[k];
			onnx__tensor_proto__free_unpacked(read[k], NULL);
		}
	free(own_names);
	free(read);
	free(inputs);
	free(inits);
	return model;
}

/* Forget the type of every node output, in bodies too: only graph inputs
 * and initializers keep theirs. */
static void strip_graph(ir_graph *graph)
{
	ir_graph_for_each_node(graph, node)
	{
		for (int i = 0; i < node->n_outputs; i++) {
			ir_value *v = node->outputs[i];
			if (v && v->type.is_tensor)
				ir_value_set_type(v, IR_UNDEFINED, -1, NULL);
		}
	}
	for (int i = 0; i < graph->n_subgraphs; i++)
		strip_graph(graph->subgraphs[i]);
}

/* ------------------------------------------------------------ comparing */

static int format_dims(char *buf, size_t size, const ir_type *t)
{
	if (t->rank < 0)
		return snprintf(buf, size, "?");
	int n = snprintf(buf, size, "[");
	for (int i = 0; i < t->rank && n < (int)size; i++) {
		const ir_dim *d = &t->dims[i];
		if (d->kind == IR_DIM_VALUE)
			n += snprintf(buf + n, size - (size_t)n, "%s%lld",
			              i ? "," : "", (long long)d->value);
		else if (d->kind == IR_DIM_PARAM)
			n += snprintf(buf + n, size - (size_t)n, "%s%s",
			              i ? "," : "", d->param);
		else
			n += snprintf(buf + n, size - (size_t)n, "%s?",
			              i ? "," : "");
	}
	if (n < (int)size)
		n += snprintf(buf + n, size - (size_t)n, "]");
	return n;
}

/* Ops whose output size depends on the data itself: only evaluating them
 * (folding) can give it. */
static const char *data_dependent(const ir_value *v)
{
	static const char *const ops[] = {"NonMaxSuppression", "Unique",
	                                  "NonZero", "Compress", NULL};
	for (int i = 0; v->producer && ops[i]; i++)
		if (!strcmp(v->producer->op_type, ops[i]))
			return "; the size depends on the data";
	return "";
}

static outcome compare(const ir_value *v, const Onnx__TensorProto *want,
                       int want_elem, char *why, size_t why_size)
{
	const ir_type *t = &v->type;
	bool wrong = false, exact = true;
	if (t->elem_type != want_elem) {
		exact = false;
		wrong |= t->elem_type != IR_UNDEFINED;
	}
	if (t->rank != (int)want->n_dims) {
		exact = false;
		wrong |= t->rank >= 0;
	} else {
		for (int i = 0; i < t->rank; i++) {
			if (t->dims[i].kind == IR_DIM_VALUE &&
			    t->dims[i].value == want->dims[i])
				continue;
			exact = false;
			wrong |= t->dims[i].kind == IR_DIM_VALUE;
		}
	}
	if (exact)
		return CASE_PASS;
	char got[256], expected[256];
	format_dims(got, sizeof got, t);
	ir_type recorded = {.rank = (int)want->n_dims};
	ir_dim dims[64];
	for (size_t i = 0; i < want->n_dims && i < 64; i++)
		dims[i] = (ir_dim){IR_DIM_VALUE, want->dims[i], NULL};
	recorded.dims = dims;
	if (recorded.rank > 64)
		recorded.rank = -1;
	format_dims(expected, sizeof expected, &recorded);
	snprintf(why, why_size,
	         "%s '%.80s' (%s): got %s %.120s, expected %s %.120s%s",
	         wrong ? "WRONG" : "incomplete", v->name,
	         v->producer ? v->producer->op_type : "no node",
	         ir_elem_name(t->elem_type), got, ir_elem_name(want_elem),
	         expected, data_dependent(v));
	return wrong ? CASE_WRONG : CASE_INCOMPLETE;
}

/* Check one case in one mode; recorded[i] are the expected outputs. */
static outcome check_mode(const char *dir, Onnx__ModelProto *mp,
                          Onnx__TensorProto **recorded, mode m, char *why,
                          size_t why_size)
{
	ir_model *model = load_case(dir, mp, m == MODE_VALUES, why, why_size);
	if (!model)
		return CASE_INCOMPLETE;
	strip_graph(model->graph);
	outcome result = CASE_PASS;
	shape_infer_model(model);
	const Onnx__GraphProto *g = mp->graph;
	for (int i = 0; result != CASE_WRONG && i < model->graph->n_outputs;
	     i++) {
		int want_elem = recorded[i]->data_type;
		if (want_elem == IR_UINT16 &&
		    declared_elem(g->output[i]) == IR_BFLOAT16)
			want_elem = IR_BFLOAT16;
		char reason[512];
		outcome o = compare(model->graph->outputs[i], recorded[i],
		                    want_elem, reason, sizeof reason);
		if (o > result) {
			result = o;
			snprintf(why, why_size, "%s", reason);
		}
	}
	ir_model_free(model);
	return result;
}

/* --------------------------------------------------------------- driver */

typedef struct tally {
	int passed, incomplete, wrong;
} tally;

typedef struct failure {
	char name[256];
	mode m;
	outcome kind;
	char why[512];
} failure;

static failure *failures;
static int n_failures, cap_failures;

static int note_failure(const char *name, mode m, outcome kind, const char *why)
{
	if (n_failures == cap_failures) {
		cap_failures = cap_failures ? 2 * cap_failures : 64;
		failures =
		    realloc(failures, sizeof *failures * (size_t)cap_failures);
		if (!failures) {
			fputs("shape_check: out of memory\n", stderr);
			exit(2);
		}
	}
	failure *f = &failures[n_failures++];
	snprintf(f->name, sizeof f->name, "%s", name);
	f->m = m;
	f->kind = kind;
	snprintf(f->why, sizeof f->why, "%s", why);
	return n_failures - 1;
}

/* Returns false for a case with non-tensor outputs (skipped). */
static bool check_case(const char *node_dir, const char *name,
                       tally tallies[N_MODES])
{
	char dir[4096], path[4200];
	snprintf(dir, sizeof dir, "%s/%s", node_dir, name);
	snprintf(path, sizeof path, "%s/model.onnx", dir);
	size_t size;
	void *bytes = backend_read_file(path, &size);
	Onnx__ModelProto *mp =
	    bytes ? onnx__model_proto__unpack(NULL, size, bytes) : NULL;
	free(bytes);
	if (!mp || !mp->graph) {
		for (int m = 0; m < N_MODES; m++) {
			tallies[m].wrong++;
			note_failure(name, (mode)m, CASE_WRONG,
			             "cannot read model.onnx");
		}
		if (mp)
			onnx__model_proto__free_unpacked(mp, NULL);
		return true;
	}
	bool tensors = true;
	for (size_t i = 0; i < mp->graph->n_output; i++)
		tensors &= backend_is_tensor_info(mp->graph->output[i]);
	if (!tensors) {
		onnx__model_proto__free_unpacked(mp, NULL);
		return false;
	}
	size_t n_out = mp->graph->n_output;
	Onnx__TensorProto **recorded = calloc(n_out + 1, sizeof *recorded);
	bool have_all = recorded != NULL;
	for (size_t i = 0; have_all && i < n_out; i++)
		have_all =
		    (recorded[i] = backend_read_recorded(dir, "output", i));
	int types_failure = -1;
	for (int m = 0; m < N_MODES; m++) {
		char why[512] = "cannot read the recorded outputs";
		outcome o = have_all ? check_mode(dir, mp, recorded, (mode)m,
		                                  why, sizeof why)
		                     : CASE_WRONG;
		if (o == CASE_PASS) {
			tallies[m].passed++;
			if (verbose)
				printf("ok   %-6s %s\n", mode_names[m], name);
			continue;
		}
		if (o == CASE_WRONG)
			tallies[m].wrong++;
		else
			tallies[m].incomplete++;
		int index = note_failure(name, (mode)m, o, why);
		if (m == MODE_TYPES)
			types_failure = index;
	}
	/* A size that only the inputs' values decide is not a defect of the
	 * inference; say so when the values mode got it right. */
	if (types_failure >= 0 &&
	    (n_failures == 0 || failures[n_failures - 1].m != MODE_VALUES ||
	     strcmp(failures[n_failures - 1].name, name))) {
		failure *f = &failures[types_failure];
		size_t len = strlen(f->why);
		snprintf(f->why + len, sizeof f->why - len,
		         "; exact once input values are known");
	}
	for (size_t i = 0; recorded && i < n_out; i++)
		if (recorded[i])
			onnx__tensor_proto__free_unpacked(recorded[i], NULL);
	free(recorded);
	onnx__model_proto__free_unpacked(mp, NULL);
	return true;
}

/* ---------------------------------------------------- expected failures */

/* Lines "<mode> <case> <reason>" naming the failures we know of; '#'
 * starts a comment. */
typedef struct expected {
	char name[256];
	mode m;
	bool seen;
} expected;

static expected *expectations;
static int n_expectations;

static bool read_expected(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "shape_check: cannot read %s\n", path);
		return false;
	}
	char line[1024];
	int cap = 0;
	while (fgets(line, sizeof line, f)) {
		char m[32], name[256];
		if (line[0] == '#' || sscanf(line, "%31s %255s", m, name) != 2)
			continue;
		int which = !strcmp(m, "types")    ? MODE_TYPES
		            : !strcmp(m, "values") ? MODE_VALUES
		                                   : -1;
		if (which < 0)
			continue;
		if (n_expectations == cap) {
			cap = cap ? 2 * cap : 64;
			expectations = realloc(
			    expectations, sizeof *expectations * (size_t)cap);
			if (!expectations) {
				fclose(f);
				return false;
			}
		}
		expected *e = &expectations[n_expectations++];
		snprintf(e->name, sizeof e->name, "%s", name);
		e->m = (mode)which;
		e->seen = false;
	}
	fclose(f);
	return true;
}

static expected *find_expected(const char *name, mode m)
{
	for (int i = 0; i < n_expectations; i++)
		if (expectations[i].m == m &&
		    !strcmp(expectations[i].name, name))
			return &expectations[i];
	return NULL;
}

static bool write_expected(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	fprintf(f, "# Shape inference cases of libonnx-testdata/data/node that "
	           "do not yet\n# match the recorded outputs, one per line: "
	           "mode, case, reason.\n# Written by `shape_check --write`; "
	           "read by `shape_check --expected`.\n");
	for (int i = 0; i < n_failures; i++)
		fprintf(f, "%s %s %s\n", mode_names[failures[i].m],
		        failures[i].name, failures[i].why);
	return fclose(f) == 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	double floors[N_MODES] = {0, 95};
	const char *node_dir = NULL, *expected_path = NULL, *write_path = NULL;
	int first_case = argc;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--floor") && i + 1 < argc) {
			floors[MODE_VALUES] = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--types-floor") && i + 1 < argc) {
			floors[MODE_TYPES] = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--expected") && i + 1 < argc) {
			expected_path = argv[++i];
		} else if (!strcmp(argv[i], "--write") && i + 1 < argc) {
			write_path = argv[++i];
		} else if (!strcmp(argv[i], "--verbose")) {
			verbose = true;
		} else if (!node_dir) {
			node_dir = argv[i];
		} else {
			first_case = i;
			break;
		}
	}
	if (!node_dir) {
		fprintf(stderr,
		        "usage: shape_check [--floor PERCENT] "
		        "[--types-floor PERCENT] [--expected FILE] "
		        "[--write FILE] [--verbose] NODE_DIR [CASE...]\n");
		return 2;
	}
	if (expected_path && !read_expected(expected_path))
		return 2;
	struct stat st;
	if (stat(node_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("shape: skipped, no test data at %s\n", node_dir);
		return 77;
	}
	char **names = NULL;
	int n_names = 0;
	if (first_case < argc) {
		names = &argv[first_case];
		n_names = argc - first_case;
	} else {
		DIR *d = opendir(node_dir);
		struct dirent *e;
		int cap = 0;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			if (n_names == cap) {
				cap = cap ? 2 * cap : 256;
				names =
				    realloc(names, sizeof *names * (size_t)cap);
			}
			names[n_names++] = strdup(e->d_name);
		}
		if (d)
			closedir(d);
		qsort(names, (size_t)n_names, sizeof *names, name_cmp);
	}

	tally tallies[N_MODES] = {{0}};
	int skipped = 0;
	for (int i = 0; i < n_names; i++)
		if (!check_case(node_dir, names[i], tallies))
			skipped++;

	bool ok = true;
	for (int m = 0; m < N_MODES; m++) {
		const tally *t = &tallies[m];
		int total = t->passed + t->incomplete + t->wrong;
		double rate = total ? 100.0 * t->passed / total : 100.0;
		printf("shape: %d passed, %d failed (%d incomplete, %d wrong) "
		       "of %d; %.1f%%; mode %s%s\n",
		       t->passed, t->incomplete + t->wrong, t->incomplete,
		       t->wrong, total, rate, mode_names[m],
		       m == MODE_TYPES
		           ? " (graph inputs typed only)"
		           : " (graph inputs hold recorded values)");
		if (t->wrong > 0 || rate < floors[m])
			ok = false;
	}
	printf("shape: %d cases with non-tensor outputs skipped\n", skipped);
	int unexpected = 0;
	for (int m = 0; m < N_MODES; m++) {
		printf("failures, mode %s:\n", mode_names[m]);
		for (int i = 0; i < n_failures; i++) {
			if (failures[i].m != (mode)m)
				continue;
			expected *e = find_expected(failures[i].name, (mode)m);
			bool listed = e != NULL;
			if (e)
				e->seen = true;
			else
				unexpected++;
			printf("  %s%s: %s\n",
			       expected_path && !listed ? "NEW " : "",
			       failures[i].name, failures[i].why);
		}
	}
	if (expected_path) {
		for (int i = 0; i < n_expectations; i++)
			if (!expectations[i].seen && first_case >= argc)
				printf("now passes (drop it from %s): %s %s\n",
				       expected_path,
				       mode_names[expectations[i].m],
				       expectations[i].name);
		printf("shape: %d failures not listed in %s\n", unexpected,
		       expected_path);
		if (unexpected)
			ok = false;
	}
	if (write_path && !write_expected(write_path)) {
		fprintf(stderr, "shape_check: cannot write %s\n", write_path);
		ok = false;
	}
	free(expectations);
	if (first_case >= argc) {
		for (int i = 0; i < n_names; i++)
			free(names[i]);
		free(names);
	}
	free(failures);
	return ok ? 0 : 1;
}
