/*
 * check.c - the "check" option: does the optimized model compute what the
 * original computed? Both run on the same deterministic random inputs
 * with the library's own evaluator (analysis/eval), no ONNX Runtime, and
 * every output is compared.
 *
 * The original is re-parsed from the bytes the model was loaded from
 * (ir_model_reload): a mapped file's weights are shared, not copied, so a
 * big model does not need twice its memory.
 *
 * Inputs (documented in README, "--check"):
 *  - dims: as the optimized model's inputs state them (--input-shape and
 *    --dim-param applied), a symbol's size from --dim-param, otherwise
 *    (check_dim_value below) 1 for batch-like names ("batch", "N") and
 *    CHECK_DEFAULT_DIM for the rest. Every input with the same dim_param
 *    gets the same value.
 *  - values: floats uniform in [-1, 1), integers 0 or 1 (valid indices,
 *    masks and token types), bools 0 or 1; from a splitmix64 stream
 *    seeded with check-seed and the run number.
 * An output matches when, element by element, |optimized - original| <=
 * atol + rtol * |original| (NaN matches NaN), integers and other types
 * exactly, with equal element type and dims.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "eval/eval.h"
#include "ir_arena.h"
#include "lib.h"

enum { CHECK_DEFAULT_DIM = 8 };
static const double default_rtol = 1e-4, default_atol = 1e-5;

/* ------------------------------------------------------------ settings */

onnxopt_status option_set_check(lib_settings *settings, const char *value)
{
	long long runs = 1;
	if (value && !lib_parse_integer("check", value, &runs))
		return ONNXOPT_ERR_USAGE;
	if (runs < 0 || runs > 1000000)
		return lib_fail(ONNXOPT_ERR_USAGE,
		                "--check: %lld runs is out of range (0 to "
		                "1000000)",
		                runs);
	settings->check_runs = (int)runs;
	return ONNXOPT_OK;
}

static onnxopt_status set_tolerance(const char *name, const char *value,
                                    double *out, bool *has)
{
	double v;
	if (!lib_parse_number(name, value, &v))
		return ONNXOPT_ERR_USAGE;
	if (v < 0)
		return lib_fail(ONNXOPT_ERR_USAGE, "--%s must not be negative",
		                name);
	*out = v;
	*has = true;
	return ONNXOPT_OK;
}

onnxopt_status option_set_check_rtol(lib_settings *settings, const char *value)
{
	return set_tolerance("check-rtol", value, &settings->check_rtol,
	                     &settings->has_check_rtol);
}

onnxopt_status option_set_check_atol(lib_settings *settings, const char *value)
{
	return set_tolerance("check-atol", value, &settings->check_atol,
	                     &settings->has_check_atol);
}

onnxopt_status option_set_check_seed(lib_settings *settings, const char *value)
{
	long long seed;
	if (!lib_parse_integer("check-seed", value, &seed))
		return ONNXOPT_ERR_USAGE;
	settings->check_seed = (unsigned long long)seed;
	return ONNXOPT_OK;
}

/* --------------------------------------------------------------- inputs */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool is_batch_like(const char *name)
{
	if (!strcmp(name, "N") || !strcasecmp(name, "n"))
		return true;
	for (const char *p = name; *p; p++)
		if (!strncasecmp(p, "batch", 5))
			return true;
	return false;
}

/* The value of dim `axis` of graph input `input` for the check: as the
 * optimized model's input states it (after --input-shape and
 * --dim-param), a symbol --dim-param sizes, or the documented default. */
static int64_t check_dim_value(const lib_settings *settings,
                               const ir_graph *original,
                               const ir_graph *optimized, const ir_value *input,
                               int axis)
{
	const ir_dim *dim = &input->type.dims[axis];
	if (dim->kind == IR_DIM_VALUE && dim->value >= 0)
		return dim->value;
	if (dim->kind != IR_DIM_PARAM || !dim->param)
		return CHECK_DEFAULT_DIM;
	for (int i = 0; i < settings->n_dim_params; i++)
		if (!strcmp(settings->dim_params[i].name, dim->param))
			return settings->dim_params[i].value;
	/* --input-shape input_ids:1,128 also sizes the attention mask of
	 * [batch, sequence]: a symbol of the original that an input of the
	 * optimized model fixes has that size everywhere. */
	for (int i = 0; i < original->n_inputs; i++) {
		const ir_value *before = original->inputs[i];
		const ir_value *after =
		    ir_graph_lookup(optimized, before->name);
		if (!after || before->type.rank != after->type.rank)
			continue;
		for (int d = 0; d < before->type.rank; d++) {
			const ir_dim *b = &before->type.dims[d];
			const ir_dim *a = &after->type.dims[d];
			if (b->kind == IR_DIM_PARAM && b->param &&
			    !strcmp(b->param, dim->param) &&
			    a->kind == IR_DIM_VALUE && a->value >= 0)
				return a->value;
		}
	}
	return is_batch_like(dim->param) ? 1 : CHECK_DEFAULT_DIM;
}

/* A random tensor for graph input v in arena; false after lib_fail. */
static bool random_input(const lib_settings *settings, const ir_graph *original,
                         const ir_graph *optimized, const ir_value *v,
                         uint64_t *rng, struct ir_arena *arena, ir_tensor **out)
{
	const ir_type *type = &v->type;
	size_t elem_size = eval_elem_size(type->elem_type);
	eval_kind kind = eval_kind_of(type->elem_type);
	if (!type->is_tensor || type->rank < 0 || !elem_size ||
	    kind == EVAL_KIND_STRING || kind == EVAL_KIND_NONE) {
		lib_fail(ONNXOPT_ERR_UNCHECKABLE,
		         "cannot check: input '%s' is not a tensor of known "
		         "rank and numeric type",
		         v->name);
		return false;
	}
	ir_tensor *t = ir_arena_alloc(arena, sizeof *t);
	t->elem_type = type->elem_type;
	t->rank = type->rank;
	t->dims =
	    ir_arena_alloc(arena, sizeof(int64_t) * (size_t)(t->rank + 1));
	for (int i = 0; i < t->rank; i++)
		t->dims[i] =
		    check_dim_value(settings, original, optimized, v, i);
	int64_t numel = ir_tensor_numel(t);
	double *wide = ir_xmalloc(sizeof *wide * (size_t)(numel ? numel : 1));
	for (int64_t i = 0; i < numel; i++) {
		uint64_t bits = splitmix64(rng);
		if (kind == EVAL_KIND_FLOAT)
			wide[i] = (double)(bits >> 11) * 0x1.0p-52 - 1.0;
		else
			wide[i] = (double)(bits >> 63);
	}
	void *data = ir_arena_alloc(arena, elem_size * (size_t)numel);
	eval_store_doubles(data, t->elem_type, wide, numel);
	free(wide);
	t->raw = data;
	t->raw_size = elem_size * (size_t)numel;
	t->modified = true;
	*out = t;
	return true;
}

/* ------------------------------------------------------------ evaluating */

/* Run `model` on inputs named like `names`; outputs in graph order. */
static onnxopt_status evaluate(ir_model *model, const char *which,
                               ir_value *const *names,
                               ir_tensor *const *tensors, int n_inputs,
                               struct ir_arena *arena, ir_tensor **outputs)
{
	const ir_graph *g = model->graph;
	const ir_tensor **bound =
	    ir_xcalloc((size_t)g->n_inputs + 1, sizeof *bound);
	for (int i = 0; i < g->n_inputs; i++)
		for (int k = 0; k < n_inputs; k++)
			if (!strcmp(g->inputs[i]->name, names[k]->name))
				bound[i] = tensors[k];
	for (int i = 0; i < g->n_inputs; i++)
		if (!bound[i] && !g->inputs[i]->tensor) {
			free(bound);
			return lib_fail(ONNXOPT_ERR_CHECK,
			                "check failed: the %s model has an "
			                "input '%s' the original does not",
			                which, g->inputs[i]->name);
		}
	eval_graph_failure failure;
	int code = eval_graph_run(model, g, bound, arena, outputs, &failure);
	free(bound);
	if (code == EVAL_OK)
		return ONNXOPT_OK;
	const ir_node *node = failure.node;
	if (node && (!eval_find_kernel(node->op_type) ||
	             (node->domain[0] && strcmp(node->domain, "ai.onnx"))))
		return lib_fail(
		    ONNXOPT_ERR_UNCHECKABLE,
		    "cannot check: no kernel for %s%s%s (node '%s' of the "
		    "%s model)",
		    node->domain, node->domain[0] ? ":" : "", node->op_type,
		    node->name ? node->name : "", which);
	if (node)
		return lib_fail(ONNXOPT_ERR_UNCHECKABLE,
		                "cannot check: the %s model's node '%s': %s",
		                which, node->name ? node->name : "",
		                failure.reason);
	return lib_fail(ONNXOPT_ERR_UNCHECKABLE,
	                "cannot check: the %s model: %s", which,
	                failure.reason);
}

/* ------------------------------------------------------------ comparing */

/* Element i as a double, for the numeric types; false for the others. */
static bool element(int type, const void *data, int64_t i, double *out)
{
	switch (type) {
	case IR_FLOAT: *out = ((const float *)data)[i]; return true;
	case IR_DOUBLE: *out = ((const double *)data)[i]; return true;
	case IR_FLOAT16:
		*out = eval_half_to_float(((const uint16_t *)data)[i]);
		return true;
	case IR_BFLOAT16:
		*out = eval_bfloat_to_float(((const uint16_t *)data)[i]);
		return true;
	case IR_INT8: *out = ((const int8_t *)data)[i]; return true;
	case IR_UINT8:
	case IR_BOOL: *out = ((const uint8_t *)data)[i]; return true;
	case IR_INT16: *out = ((const int16_t *)data)[i]; return true;
	case IR_UINT16: *out = ((const uint16_t *)data)[i]; return true;
	case IR_INT32: *out = ((const int32_t *)data)[i]; return true;
	case IR_UINT32: *out = ((const uint32_t *)data)[i]; return true;
	case IR_INT64: *out = (double)((const int64_t *)data)[i]; return true;
	case IR_UINT64: *out = (double)((const uint64_t *)data)[i]; return true;
	default: return false;
	}
}

static bool same_element(const ir_tensor *a, const ir_tensor *b, int64_t i)
{
	if (a->elem_type == IR_STRING)
		return a->strings[i].len == b->strings[i].len &&
		       (!a->strings[i].len ||
		        !memcmp(a->strings[i].data, b->strings[i].data,
		                a->strings[i].len));
	size_t bits = (size_t)ir_elem_bits(a->elem_type);
	if (bits < 8) /* sub-byte types: compare the packed bytes */
		return !memcmp(a->raw, b->raw, a->raw_size);
	size_t es = bits / 8;
	return !memcmp((const char *)a->raw + (size_t)i * es,
	               (const char *)b->raw + (size_t)i * es, es);
}

static int format_dims(char *out, size_t size, const ir_tensor *t)
{
	int n = snprintf(out, size, "[");
	for (int i = 0; i < t->rank && n < (int)size - 24; i++)
		n += snprintf(out + n, size - (size_t)n, "%s%lld", i ? "," : "",
		              (long long)t->dims[i]);
	return n + snprintf(out + n, size - (size_t)n, "]");
}

/* The multi-index of flat index i in t, as "[a,b,c]". */
static void format_index(char *out, size_t size, const ir_tensor *t, int64_t i)
{
	int64_t index[64] = {0};
	for (int d = t->rank - 1; d >= 0 && d < 64; d--) {
		int64_t dim = t->dims[d] ? t->dims[d] : 1;
		index[d] = i % dim;
		i /= dim;
	}
	ir_tensor shown = {.rank = t->rank < 64 ? t->rank : 64, .dims = index};
	format_dims(out, size, &shown);
}

/* Compare output `name` of one run; folds the worst differences into
 * *worst. False after lib_fail on a mismatch. */
static bool compare(const lib_settings *s, const char *name, int run,
                    const ir_tensor *want, const ir_tensor *got,
                    onnxopt_check_output *worst)
{
	double rtol = s->has_check_rtol ? s->check_rtol : default_rtol;
	double atol = s->has_check_atol ? s->check_atol : default_atol;
	bool dims_equal = want->rank == got->rank;
	for (int i = 0; dims_equal && i < want->rank; i++)
		dims_equal = want->dims[i] == got->dims[i];
	if (want->elem_type != got->elem_type || !dims_equal) {
		char a[160], b[160];
		format_dims(a, sizeof a, want);
		format_dims(b, sizeof b, got);
		return !lib_fail(ONNXOPT_ERR_CHECK,
		                 "check failed: output '%s' is %s %s in the "
		                 "original but %s %s after the passes (run %d)",
		                 name, ir_elem_name(want->elem_type), a,
		                 ir_elem_name(got->elem_type), b, run + 1);
	}
	int64_t numel = ir_tensor_numel(want);
	for (int64_t i = 0; i < numel; i++) {
		double x, y;
		bool numeric = element(want->elem_type, want->raw, i, &x) &&
		               element(got->elem_type, got->raw, i, &y);
		bool ok;
		if (!numeric) {
			ok = same_element(want, got, i);
			x = y = 0;
		} else if (isnan(x) || isnan(y)) {
			ok = isnan(x) && isnan(y);
		} else if (isinf(x) || isinf(y)) {
			ok = x == y;
		} else {
			double diff = fabs(x - y);
			bool is_float = eval_is_float(want->elem_type);
			ok = is_float ? diff <= atol + rtol * fabs(x) : x == y;
			if (diff > worst->max_abs_diff)
				worst->max_abs_diff = diff;
			if (x != 0 && diff / fabs(x) > worst->max_rel_diff)
				worst->max_rel_diff = diff / fabs(x);
		}
		if (!ok) {
			char where[160];
			format_index(where, sizeof where, want, i);
			if (numeric)
				return !lib_fail(
				    ONNXOPT_ERR_CHECK,
				    "check failed: output '%s' differs at "
				    "index %lld %s: %.9g in the original, "
				    "%.9g after the passes (rtol %g, atol %g, "
				    "run %d)",
				    name, (long long)i, where, x, y, rtol, atol,
				    run + 1);
			return !lib_fail(ONNXOPT_ERR_CHECK,
			                 "check failed: output '%s' differs at "
			                 "index %lld %s (run %d)",
			                 name, (long long)i, where, run + 1);
		}
	}
	return true;
}

/* ---------------------------------------------------------------- check */

void lib_check_result_free(lib_check_result *result)
{
	free(result->outputs);
	memset(result, 0, sizeof *result);
}

/* One run: random inputs, both models, every output compared. */
static onnxopt_status check_run(onnxopt_model *model, ir_model *original,
                                int run)
{
	const lib_settings *s = &model->settings;
	const ir_graph *g = original->graph;
	const ir_graph *opt = model->ir->graph;
	struct ir_arena *arena = ir_arena_create();
	ir_value **names = ir_xcalloc((size_t)g->n_inputs + 1, sizeof *names);
	ir_tensor **inputs =
	    ir_xcalloc((size_t)g->n_inputs + 1, sizeof *inputs);
	ir_tensor **want = ir_xcalloc((size_t)g->n_outputs + 1, sizeof *want);
	ir_tensor **got = ir_xcalloc((size_t)opt->n_outputs + 1, sizeof *got);
	uint64_t rng = s->check_seed * 0x2545f4914f6cdd1dULL + (uint64_t)run;
	onnxopt_status status = ONNXOPT_OK;
	int n = 0;
	for (int i = 0; i < g->n_inputs && status == ONNXOPT_OK; i++) {
		ir_value *v = g->inputs[i];
		if (v->tensor) /* an initializer's default is kept */
			continue;
		names[n] = v;
		/* The optimized model's input carries --input-shape. */
		const ir_value *typed = ir_graph_lookup(opt, v->name);
		if (!typed || !typed->is_graph_input || typed->type.rank < 0)
			typed = v;
		if (!random_input(s, g, opt, typed, &rng, arena, &inputs[n++]))
			status = ONNXOPT_ERR_UNCHECKABLE;
	}
	if (status == ONNXOPT_OK)
		status = evaluate(original, "original", names, inputs, n, arena,
		                  want);
	if (status == ONNXOPT_OK)
		status = evaluate(model->ir, "optimized", names, inputs, n,
		                  arena, got);
	for (int i = 0; status == ONNXOPT_OK && i < g->n_outputs; i++) {
		const char *name = g->outputs[i]->name;
		int k = 0;
		while (k < opt->n_outputs &&
		       strcmp(opt->outputs[k]->name, name))
			k++;
		if (k == opt->n_outputs) {
			status = lib_fail(ONNXOPT_ERR_CHECK,
			                  "check failed: output '%s' is gone "
			                  "after the passes",
			                  name);
			break;
		}
		if (!compare(s, name, run, want[i], got[k],
		             &model->check.outputs[i]))
			status = ONNXOPT_ERR_CHECK;
	}
	free(names);
	free(inputs);
	free(want);
	free(got);
	ir_arena_free(arena);
	return status;
}

onnxopt_status lib_check_model(onnxopt_model *model)
{
	lib_check_result_free(&model->check);
	if (model->settings.check_runs <= 0)
		return ONNXOPT_OK;
	double start = lib_now_seconds();
	ir_status status = {0};
	ir_model *original = ir_model_reload(model->ir, &status);
	if (!original)
		return lib_fail(ONNXOPT_ERR_UNCHECKABLE, "cannot check: %s",
		                status.message);
	const ir_graph *g = original->graph;
	lib_check_result *result = &model->check;
	result->outputs =
	    ir_xcalloc((size_t)g->n_outputs + 1, sizeof *result->outputs);
	result->n_outputs = g->n_outputs;
	/* Names from the optimized model, which outlives the original. */
	for (int i = 0; i < g->n_outputs; i++) {
		ir_value *same =
		    ir_graph_lookup(model->ir->graph, g->outputs[i]->name);
		result->outputs[i].name = same ? same->name : "";
	}
	onnxopt_status st = ONNXOPT_OK;
	int run = 0;
	while (run < model->settings.check_runs && st == ONNXOPT_OK)
		st = check_run(model, original, run++);
	ir_model_free(original);
	result->runs = st == ONNXOPT_OK ? model->settings.check_runs : 0;
	if (st != ONNXOPT_OK) {
		result->failed_runs = run;
		snprintf(result->failure, sizeof result->failure, "%s",
		         onnxopt_last_error());
	}
	result->seconds = lib_now_seconds() - start;
	return st;
}

int onnxopt_check_result(const onnxopt_model *model,
                         const onnxopt_check_output **outputs, int *n_outputs,
                         double *seconds)
{
	if (!model)
		return 0;
	if (outputs)
		*outputs = model->check.outputs;
	if (n_outputs)
		*n_outputs = model->check.n_outputs;
	if (seconds)
		*seconds = model->check.seconds;
	return model->check.runs;
}
