/*
 * fold_check - prove the evaluator on ONNX's own backend test data.
 *
 *     fold_check [--floor PERCENT] [--exclusions FILE] [--strict]
 *                [--write FILE] [--verbose] NODE_DIR [CASE...]
 *
 * For every case NODE_DIR/<case>/ (model.onnx + test_data_set_0) whose
 * graph inputs and outputs are all tensors, the graph inputs become
 * initializers holding the recorded input_<i>.pb tensors, so the model is
 * constant-only. The pipeline `fold,dce` then runs through the pass
 * manager with the verifier on, and every graph output must have become
 * a constant equal to output_<i>.pb: within rtol 1e-3 / atol 1e-7 for
 * floats (NaN equals NaN), exactly for integers, bools and strings, with
 * the recorded element type and dims.
 *
 * Cases with random ops are not counted. A case that does not fold is
 * listed with the reason the evaluator gives; it is not an error. The
 * run fails when
 *  - any output folds to a WRONG value, or the pipeline breaks the IR;
 *  - the pass rate drops below --floor;
 *  - with --strict, a case that --exclusions does not list fails to
 *    fold (without --strict such a regression is only reported).
 * --write FILE records the current list of cases that do not fold.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_case.h"
#include "eval/eval.h"
#include "ir_arena.h"
#include "pass.h"

typedef enum { CASE_PASS, CASE_SKIP, CASE_NOT_FOLDED, CASE_WRONG } outcome;

typedef struct result {
	outcome kind;
	char reason[512];
} result;

static bool verbose;

/* Cases whose recorded outputs disagree with the operator spec as it
 * stands and with ONNX Runtime; they count as not passed, not as wrong. */
static const struct {
	const char *name;
	const char *why;
} reference_differs[] = {
    {"test_cast_FLOAT_to_BFLOAT16",
     "ONNX 1.12 data truncates float to bfloat16; the spec (Cast-19) and "
     "ONNX Runtime round to nearest even"},
    {"test_castlike_FLOAT_to_BFLOAT16",
     "ONNX 1.12 data truncates float to bfloat16; the spec (Cast-19) and "
     "ONNX Runtime round to nearest even"},
    {"test_castlike_FLOAT_to_BFLOAT16_expanded",
     "ONNX 1.12 data truncates float to bfloat16; the spec (Cast-19) and "
     "ONNX Runtime round to nearest even"},
};

static const char *known_difference(const char *name)
{
	for (size_t i = 0;
	     i < sizeof reference_differs / sizeof reference_differs[0]; i++)
		if (!strcmp(reference_differs[i].name, name))
			return reference_differs[i].why;
	return NULL;
}

static bool graph_has_random(const Onnx__GraphProto *g)
{
	for (size_t i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];
		if (eval_op_is_random(n->op_type))
			return true;
		for (size_t a = 0; a < n->n_attribute; a++) {
			const Onnx__AttributeProto *attr = n->attribute[a];
			if (attr->g && graph_has_random(attr->g))
				return true;
			for (size_t k = 0; k < attr->n_graphs; k++)
				if (graph_has_random(attr->graphs[k]))
					return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------ comparing */

static double element(int type, const void *data, int64_t i)
{
	const unsigned char *p = data;
	switch (type) {
	case IR_FLOAT: return ((const float *)data)[i];
	case IR_DOUBLE: return ((const double *)data)[i];
	case IR_FLOAT16: return eval_half_to_float(((const uint16_t *)data)[i]);
	case IR_BFLOAT16:
		return eval_bfloat_to_float(((const uint16_t *)data)[i]);
	default: (void)p; return 0;
	}
}

static bool same_bits(int type, const void *a, const void *b, int64_t i)
{
	size_t es = (size_t)ir_elem_bits(type) / 8;
	if (type == IR_BOOL)
		return (((const uint8_t *)a)[i] != 0) ==
		       (((const uint8_t *)b)[i] != 0);
	return !memcmp((const char *)a + (size_t)i * es,
	               (const char *)b + (size_t)i * es, es);
}

static bool compare(ir_model *model, const ir_tensor *got,
                    const Onnx__TensorProto *want_proto, char *why,
                    size_t why_size)
{
	ir_tensor want = {
	    .elem_type = want_proto->data_type,
	    .rank = (int)want_proto->n_dims,
	    .dims = want_proto->dims,
	    .origin = want_proto,
	};
	if (want_proto->has_raw_data) {
		want.raw = want_proto->raw_data.data;
		want.raw_size = want_proto->raw_data.len;
	}
	if (got->elem_type != want.elem_type) {
		snprintf(why, why_size, "type %s, expected %s",
		         ir_elem_name(got->elem_type),
		         ir_elem_name(want.elem_type));
		return false;
	}
	bool dims_equal = got->rank == want.rank;
	for (int i = 0; dims_equal && i < got->rank; i++)
		dims_equal = got->dims[i] == want.dims[i];
	if (!dims_equal) {
		int n = snprintf(why, why_size, "dims [");
		for (int i = 0; i < got->rank && n < (int)why_size - 24; i++)
			n += snprintf(why + n, why_size - (size_t)n, "%s%lld",
			              i ? "," : "", (long long)got->dims[i]);
		n += snprintf(why + n, why_size - (size_t)n, "], expected [");
		for (int i = 0; i < want.rank && n < (int)why_size - 24; i++)
			n += snprintf(why + n, why_size - (size_t)n, "%s%lld",
			              i ? "," : "", (long long)want.dims[i]);
		snprintf(why + n, why_size - (size_t)n, "]");
		return false;
	}
	int64_t numel = ir_tensor_numel(&want);
	if (want.elem_type == IR_STRING) {
		for (int64_t i = 0; i < numel; i++) {
			ProtobufCBinaryData a, b;
			if (!ir_tensor_string(got, i, &a) ||
			    !ir_tensor_string(&want, i, &b) || a.len != b.len ||
			    (a.len && memcmp(a.data, b.data, a.len))) {
				snprintf(why, why_size,
				         "mismatch at index %lld (string)",
				         (long long)i);
				return false;
			}
		}
		return true;
	}
	const void *a, *b;
	size_t sa, sb;
	if (!ir_tensor_raw(model, got, &a, &sa) ||
	    !ir_tensor_raw(model, &want, &b, &sb) || sa != sb) {
		snprintf(why, why_size, "unreadable data");
		return false;
	}
	bool is_float = eval_is_float(want.elem_type);
	for (int64_t i = 0; i < numel; i++) {
		if (!is_float) {
			if (!same_bits(want.elem_type, a, b, i)) {
				snprintf(why, why_size,
				         "mismatch at index %lld (exact %s)",
				         (long long)i,
				         ir_elem_name(want.elem_type));
				return false;
			}
			continue;
		}
		double x = element(want.elem_type, a, i);
		double y = element(want.elem_type, b, i);
		if (isnan(x) && isnan(y))
			continue;
		if (x == y)
			continue;
		if (!(fabs(x - y) <= 1e-7 + 1e-3 * fabs(y))) {
			snprintf(why, why_size,
			         "mismatch at index %lld: %.9g, expected %.9g",
			         (long long)i, x, y);
			return false;
		}
	}
	return true;
}

/* ----------------------------------------------------------- one case */

static bool inputs_constant(const ir_node *node)
{
	for (int i = 0; i < node->n_inputs; i++)
		if (node->inputs[i] && !ir_value_is_constant(node->inputs[i]))
			return false;
	return true;
}

/* Why the graph did not fold: the evaluator's word on the first node
 * whose inputs are all constant, or the first node left. */
static void explain(ir_model *model, char *why, size_t size)
{
	for (ir_node *n = model->graph->first; n; n = n->next) {
		if (!inputs_constant(n))
			continue;
		ir_tensor *inputs[64] = {NULL};
		for (int i = 0; i < n->n_inputs && i < 64; i++)
			inputs[i] = n->inputs[i] ? n->inputs[i]->tensor : NULL;
		eval_call call;
		eval_call_begin(&call, model, n, inputs,
		                n->n_inputs < 64 ? n->n_inputs : 64, -1);
		int code = eval_run(&call);
		snprintf(why, size, "%s",
		         code == EVAL_OK ? "evaluates, yet was not folded"
		                         : call.reason);
		eval_call_end(&call);
		return;
	}
	if (model->graph->first)
		snprintf(why, size, "%s%s%s remains with non-constant inputs",
		         model->graph->first->domain,
		         model->graph->first->domain[0] ? ":" : "",
		         model->graph->first->op_type);
	else
		snprintf(why, size, "an output is not constant");
}

/* ONNX 1.12 records bfloat16 data as uint16 tensors of the same bits;
 * the model's declared type says what they are. */
static void retype_recorded(Onnx__TensorProto *t,
                            const Onnx__ValueInfoProto *declared)
{
	int type = declared->type->tensor_type->elem_type;
	if (t->data_type == IR_UINT16 && type == IR_BFLOAT16)
		t->data_type = IR_BFLOAT16;
}

/* Dropout in training mode draws a random mask, unless its ratio is a
 * constant zero. */
static bool random_dropout(ir_model *model)
{
	for (ir_node *n = model->graph->first; n; n = n->next) {
		if (!ir_node_is(n, "Dropout") || n->n_inputs < 3 ||
		    !n->inputs[2] || !ir_value_is_constant(n->inputs[2]))
			continue;
		const void *data;
		size_t size;
		if (!ir_tensor_raw(model, n->inputs[2]->tensor, &data, &size) ||
		    size != 1 || !*(const uint8_t *)data)
			continue;
		const ir_value *ratio = n->inputs[1];
		if (!ratio || !ir_value_is_constant(ratio) ||
		    ratio->tensor->elem_type != IR_FLOAT ||
		    !ir_tensor_raw(model, ratio->tensor, &data, &size) ||
		    size != 4 || *(const float *)data != 0)
			return true;
	}
	return false;
}

static ir_model *constant_model(const char *dir, Onnx__ModelProto *mp,
                                char *why, size_t why_size)
{
	Onnx__GraphProto *g = mp->graph;
	size_t n_in = g->n_input, n_init = g->n_initializer;
	Onnx__TensorProto **inits = calloc(n_init + n_in + 1, sizeof *inits);
	Onnx__TensorProto **read = calloc(n_in + 1, sizeof *read);
	char **names = calloc(n_in + 1, sizeof *names);
	for (size_t i = 0; i < n_init; i++)
		inits[i] = g->initializer[i];
	ir_model *model = NULL;
	/* Inputs that also have an initializer (IR < 4 models) keep it as
	 * a plain initializer; the others take the recorded tensors in
	 * order. */
	size_t k = 0, recorded = 0, added = 0;
	bool ok = true;
	for (; k < n_in; k++) {
		bool has_init = false;
		for (size_t j = 0; j < n_init && !has_init; j++)
			has_init =
			    !strcmp(g->initializer[j]->name, g->input[k]->name);
		if (has_init)
			continue;
		read[added] = backend_read_recorded(dir, "input", recorded);
		if (!read[added]) {
			snprintf(why, why_size, "cannot read input_%zu.pb",
			         recorded);
			ok = false;
			break;
		}
		recorded++;
		names[added] = read[added]->name;
		read[added]->name = g->input[k]->name;
		retype_recorded(read[added], g->input[k]);
		inits[n_init + added] = read[added];
		added++;
	}
	k = added;
	if (ok) {
		Onnx__TensorProto **old_inits = g->initializer;
		Onnx__ValueInfoProto **old_inputs = g->input;
		g->initializer = inits;
		g->n_initializer = n_init + added;
		g->n_input = 0;
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
			snprintf(why, why_size, "load: %.400s", status.message);
		free(bytes);
	}
	for (size_t i = 0; i < k; i++) {
		read[i]->name = names[i];
		onnx__tensor_proto__free_unpacked(read[i], NULL);
	}
	free(names);
	free(read);
	free(inits);
	return model;
}

static void run_case(const char *dir, result *r)
{
	char path[4096];
	snprintf(path, sizeof path, "%.4000s/model.onnx", dir);
	size_t size;
	void *bytes = backend_read_file(path, &size);
	Onnx__ModelProto *mp =
	    bytes ? onnx__model_proto__unpack(NULL, size, bytes) : NULL;
	free(bytes);
	if (!mp || !mp->graph) {
		r->kind = CASE_SKIP;
		snprintf(r->reason, sizeof r->reason, "unreadable model");
		if (mp)
			onnx__model_proto__free_unpacked(mp, NULL);
		return;
	}
	const Onnx__GraphProto *g = mp->graph;
	bool tensors = true;
	for (size_t i = 0; i < g->n_input; i++)
		tensors = tensors && backend_is_tensor_info(g->input[i]);
	for (size_t i = 0; i < g->n_output; i++)
		tensors = tensors && backend_is_tensor_info(g->output[i]);
	if (!tensors || graph_has_random(g)) {
		r->kind = CASE_SKIP;
		snprintf(r->reason, sizeof r->reason, "%s",
		         tensors ? "random" : "not all tensors");
		onnx__model_proto__free_unpacked(mp, NULL);
		return;
	}
	r->kind = CASE_NOT_FOLDED;
	ir_model *model = constant_model(dir, mp, r->reason, sizeof r->reason);
	if (!model) {
		onnx__model_proto__free_unpacked(mp, NULL);
		return;
	}
	if (random_dropout(model)) {
		r->kind = CASE_SKIP;
		snprintf(r->reason, sizeof r->reason, "random");
		ir_model_free(model);
		onnx__model_proto__free_unpacked(mp, NULL);
		return;
	}
	pipeline p;
	pipeline_options options;
	pipeline_options_init(&options);
	options.verify = true;
	ir_status status = {0};
	if (!pipeline_parse("fold,dce", &p, &status) ||
	    !pipeline_run(model, &p, &options, &status)) {
		r->kind = CASE_WRONG;
		snprintf(r->reason, sizeof r->reason, "pipeline: %.400s",
		         status.message);
		pipeline_free(&p);
		ir_model_free(model);
		onnx__model_proto__free_unpacked(mp, NULL);
		return;
	}
	pipeline_free(&p);
	r->kind = CASE_PASS;
	for (int i = 0; i < model->graph->n_outputs; i++) {
		ir_value *out = model->graph->outputs[i];
		if (!ir_value_is_constant(out)) {
			r->kind = CASE_NOT_FOLDED;
			explain(model, r->reason, sizeof r->reason);
			break;
		}
		Onnx__TensorProto *want =
		    backend_read_recorded(dir, "output", (size_t)i);
		char why[400];
		if (!want) {
			r->kind = CASE_NOT_FOLDED;
			snprintf(r->reason, sizeof r->reason,
			         "cannot read output_%d.pb", i);
			break;
		}
		if ((size_t)i < g->n_output)
			retype_recorded(want, g->output[i]);
		bool equal = compare(model, out->tensor, want, why, sizeof why);
		onnx__tensor_proto__free_unpacked(want, NULL);
		if (!equal) {
			r->kind = CASE_WRONG;
			snprintf(r->reason, sizeof r->reason,
			         "output %d '%s': %s", i, out->name, why);
			break;
		}
	}
	ir_model_free(model);
	onnx__model_proto__free_unpacked(mp, NULL);
}

/* ------------------------------------------------------------- driver */

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct name_list {
	char **names;
	int n, cap;
} name_list;

static void list_add(name_list *l, const char *name)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->names =
		    ir_xrealloc(l->names, sizeof *l->names * (size_t)l->cap);
	}
	size_t len = strlen(name) + 1;
	l->names[l->n] = ir_xmalloc(len);
	memcpy(l->names[l->n++], name, len);
}

static bool list_has(const name_list *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->names[i], name))
			return true;
	return false;
}

static void list_free(name_list *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
}

/* Case names from an exclusions file: the first word of each line that
 * is not blank or a # comment. */
static bool read_exclusions(const char *path, name_list *out)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, " \t\n")] = 0;
		if (line[0])
			list_add(out, line);
	}
	fclose(f);
	return true;
}

int main(int argc, char **argv)
{
	double floor_percent = 0;
	bool strict = false;
	const char *exclusions = NULL, *write_path = NULL, *root = NULL;
	name_list only = {0};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--floor") && i + 1 < argc)
			floor_percent = atof(argv[++i]);
		else if (!strcmp(argv[i], "--exclusions") && i + 1 < argc)
			exclusions = argv[++i];
		else if (!strcmp(argv[i], "--write") && i + 1 < argc)
			write_path = argv[++i];
		else if (!strcmp(argv[i], "--verbose"))
			verbose = true;
		else if (!strcmp(argv[i], "--strict"))
			strict = true;
		else if (!root)
			root = argv[i];
		else
			list_add(&only, argv[i]);
	}
	if (!root) {
		fprintf(stderr, "usage: fold_check [--floor PERCENT] "
		                "[--exclusions FILE] [--strict] [--write FILE] "
		                "[--verbose] NODE_DIR [CASE...]\n");
		return 2;
	}
	name_list excluded = {0};
	if (exclusions && !read_exclusions(exclusions, &excluded)) {
		fprintf(stderr, "fold_check: cannot read %s\n", exclusions);
		return 2;
	}
	DIR *d = opendir(root);
	if (!d) {
		/* 77: meson's "skipped", for machines without the data. */
		fprintf(stderr, "fold_check: cannot open %s\n", root);
		return 77;
	}
	name_list cases = {0};
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.' && e->d_type != DT_REG &&
		    (!only.n || list_has(&only, e->d_name)))
			list_add(&cases, e->d_name);
	closedir(d);
	qsort(cases.names, (size_t)cases.n, sizeof *cases.names, compare_names);

	FILE *out = write_path ? fopen(write_path, "w") : NULL;
	if (write_path && !out) {
		fprintf(stderr, "fold_check: cannot write %s\n", write_path);
		return 2;
	}
	if (out)
		fprintf(out, "# Node test cases that `fold,dce` does not fold "
		             "to the recorded outputs,\n# with the reason. "
		             "Generated by tests/fold_check --write.\n");
	int passed = 0, not_folded = 0, wrong = 0, skipped = 0, regressed = 0;
	for (int i = 0; i < cases.n; i++) {
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/%s", root, cases.names[i]);
		result r = {CASE_SKIP, ""};
		run_case(dir, &r);
		const char *difference = known_difference(cases.names[i]);
		if (r.kind == CASE_WRONG && difference) {
			r.kind = CASE_NOT_FOLDED;
			snprintf(r.reason, sizeof r.reason,
			         "reference differs: %s", difference);
		}
		switch (r.kind) {
		case CASE_SKIP: skipped++; break;
		case CASE_PASS:
			passed++;
			if (verbose)
				printf("  ok     %s\n", cases.names[i]);
			break;
		case CASE_NOT_FOLDED:
			not_folded++;
			if (exclusions &&
			    !list_has(&excluded, cases.names[i])) {
				regressed++;
				printf("  REGRESSED %s: %s\n", cases.names[i],
				       r.reason);
			} else {
				printf("  not folded  %s: %s\n", cases.names[i],
				       r.reason);
			}
			break;
		case CASE_WRONG:
			wrong++;
			printf("  WRONG  %s: %s\n", cases.names[i], r.reason);
			break;
		}
		if (out && (r.kind == CASE_NOT_FOLDED || r.kind == CASE_WRONG))
			fprintf(out, "%s\t%s%s\n", cases.names[i],
			        r.kind == CASE_WRONG ? "WRONG: " : "",
			        r.reason);
	}
	if (out)
		fclose(out);
	int counted = passed + not_folded + wrong;
	double rate = counted ? 100.0 * passed / counted : 0;
	printf("fold: %d passed, %d failed (%d wrong, %d not folded) of %d "
	       "cases (%.1f%%); %d skipped (random or not all tensors)\n",
	       passed, not_folded + wrong, wrong, not_folded, counted, rate,
	       skipped);
	bool ok = wrong == 0 && (!strict || regressed == 0);
	if (rate < floor_percent) {
		printf("fold: pass rate %.1f%% is below the floor of %.1f%%\n",
		       rate, floor_percent);
		ok = false;
	}
	if (regressed)
		printf(
		    "fold: %d case(s) not listed in the exclusions no longer "
		    "fold\n",
		    regressed);
	list_free(&cases);
	list_free(&excluded);
	list_free(&only);
	return ok ? 0 : 1;
}
