/*
 * input_shape.c - input-shape specialization: the --input-shape and
 * --dim-param options (options.def) and their application to a model.
 *
 *   --input-shape input_ids:1,sequence   input_ids becomes [1, sequence]
 *   --dim-param sequence=128             every dim named "sequence" is 128
 *
 * The setters only parse (they also run before the model is loaded, to
 * reject a bad spelling early); the specs are checked against the model
 * and applied by lib_apply_input_shapes when a pipeline starts, so that
 * a bad spec is an error naming the input and nothing is written. Both
 * rewrite graph input types only (dim-param also the dims of value_info
 * and outputs that use the name, which would otherwise still claim a
 * symbol); shape inference and folding then turn the arithmetic on
 * shapes into constants.
 *
 * Legality: a spec may only narrow what the model allows. A dim the model
 * fixes keeps its value (a different value, or a symbol for it, is an
 * error), the rank must match when the model states one, and only real
 * graph inputs (not initializers) can be specialized.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ir_arena.h"
#include "lib.h"

static char *copy_text(const char *s, size_t n)
{
	char *c = ir_xcalloc(1, n + 1);
	memcpy(c, s, n);
	return c;
}

/* A whole number >= 0 spelled in s[0, n); false otherwise. */
static bool parse_size(const char *s, size_t n, int64_t *out)
{
	if (n == 0 || n > 18)
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool is_symbol_text(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == ':' || s[i] == '=' || s[i] == ' ')
			return false;
	return true;
}

static onnxopt_status bad_input_shape(const char *value, const char *why)
{
	return lib_fail(ONNXOPT_ERR_USAGE,
	                "--input-shape expects NAME:D0,D1,... (each D a size "
	                "or a symbol name), not '%s': %s",
	                value ? value : "", why);
}

onnxopt_status option_set_input_shape(lib_settings *settings, const char *value)
{
	const char *colon = value ? strrchr(value, ':') : NULL;
	if (!colon || colon == value)
		return bad_input_shape(value, "no NAME:");
	lib_input_shape spec = {0};
	const char *p = colon + 1;
	/* "NAME:" is a scalar (rank 0). */
	while (*p) {
		if (spec.rank == LIB_INPUT_SHAPE_MAX_RANK)
			return bad_input_shape(value, "too many dims");
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		lib_dim_spec *d = &spec.dims[spec.rank];
		if (n == 0) {
			for (int i = 0; i < spec.rank; i++)
				free(spec.dims[i].symbol);
			return bad_input_shape(value, "empty dim");
		}
		if (parse_size(p, n, &d->value)) {
			d->symbol = NULL;
		} else if (is_symbol_text(p, n) &&
		           !(p[0] >= '0' && p[0] <= '9') && p[0] != '-') {
			d->value = -1;
			d->symbol = copy_text(p, n);
		} else {
			for (int i = 0; i < spec.rank; i++)
				free(spec.dims[i].symbol);
			return bad_input_shape(value, "a dim is neither a size "
			                              "nor a name");
		}
		spec.rank++;
		if (!end)
			break;
		p = end + 1;
		if (!*p) {
			for (int i = 0; i < spec.rank; i++)
				free(spec.dims[i].symbol);
			return bad_input_shape(value, "empty dim");
		}
	}
	spec.input = copy_text(value, (size_t)(colon - value));
	settings->input_shapes =
	    ir_xrealloc(settings->input_shapes,
	                sizeof spec * (size_t)(settings->n_input_shapes + 1));
	settings->input_shapes[settings->n_input_shapes++] = spec;
	return ONNXOPT_OK;
}

onnxopt_status option_set_dim_param(lib_settings *settings, const char *value)
{
	const char *eq = value ? strrchr(value, '=') : NULL;
	lib_dim_param spec;
	if (!eq || eq == value ||
	    !parse_size(eq + 1, strlen(eq + 1), &spec.value))
		return lib_fail(ONNXOPT_ERR_USAGE,
		                "--dim-param expects NAME=SIZE (a whole number "
		                ">= 0), not '%s'",
		                value ? value : "");
	spec.name = copy_text(value, (size_t)(eq - value));
	settings->dim_params =
	    ir_xrealloc(settings->dim_params,
	                sizeof spec * (size_t)(settings->n_dim_params + 1));
	settings->dim_params[settings->n_dim_params++] = spec;
	return ONNXOPT_OK;
}

void lib_settings_free(lib_settings *settings)
{
	for (int i = 0; i < settings->n_input_shapes; i++) {
		lib_input_shape *s = &settings->input_shapes[i];
		free(s->input);
		for (int d = 0; d < s->rank; d++)
			free(s->dims[d].symbol);
	}
	free(settings->input_shapes);
	for (int i = 0; i < settings->n_dim_params; i++)
		free(settings->dim_params[i].name);
	free(settings->dim_params);
	settings->input_shapes = NULL;
	settings->dim_params = NULL;
	settings->n_input_shapes = settings->n_dim_params = 0;
}

/* ------------------------------------------------------------ applying */

static ir_value *find_graph_input(ir_graph *graph, const char *name)
{
	for (int i = 0; i < graph->n_inputs; i++)
		if (!strcmp(graph->inputs[i]->name, name))
			return graph->inputs[i];
	return NULL;
}

static onnxopt_status apply_input_shape(ir_model *model,
                                        const lib_input_shape *spec)
{
	ir_value *v = find_graph_input(model->graph, spec->input);
	if (!v)
		return lib_fail(ONNXOPT_ERR_USAGE,
		                "--input-shape: the model has no input '%s'",
		                spec->input);
	if (v->def == IR_DEF_INITIALIZER)
		return lib_fail(ONNXOPT_ERR_USAGE,
		                "--input-shape: input '%s' is an initializer",
		                spec->input);
	if (!v->type.is_tensor)
		return lib_fail(ONNXOPT_ERR_USAGE,
		                "--input-shape: input '%s' is not a tensor",
		                spec->input);
	const ir_type *old = &v->type;
	if (old->rank >= 0 && old->rank != spec->rank)
		return lib_fail(
		    ONNXOPT_ERR_USAGE,
		    "--input-shape: input '%s' has rank %d, the spec "
		    "gives %d dims",
		    spec->input, old->rank, spec->rank);
	ir_dim dims[LIB_INPUT_SHAPE_MAX_RANK];
	for (int i = 0; i < spec->rank; i++) {
		const lib_dim_spec *d = &spec->dims[i];
		bool fixed = old->rank >= 0 &&
		             old->dims[i].kind == IR_DIM_VALUE &&
		             old->dims[i].value >= 0;
		if (fixed && (d->symbol || d->value != old->dims[i].value)) {
			if (d->symbol)
				return lib_fail(
				    ONNXOPT_ERR_USAGE,
				    "--input-shape: input '%s' dim %d "
				    "is fixed to %" PRId64
				    ", not the symbol '%s'",
				    spec->input, i, old->dims[i].value,
				    d->symbol);
			return lib_fail(ONNXOPT_ERR_USAGE,
			                "--input-shape: input '%s' dim %d is "
			                "fixed to %" PRId64 ", not %" PRId64,
			                spec->input, i, old->dims[i].value,
			                d->value);
		}
		dims[i] = d->symbol ? (ir_dim){IR_DIM_PARAM, 0,
		                               ir_strdup(model, d->symbol)}
		                    : (ir_dim){IR_DIM_VALUE, d->value, NULL};
	}
	ir_value_set_type(v, old->elem_type, spec->rank, dims);
	return ONNXOPT_OK;
}

typedef struct dim_param_walk {
	const lib_dim_param *spec;
	int inputs_named; /* graph inputs of the main graph using the name */
} dim_param_walk;

static void fix_dim_param(ir_value *v, dim_param_walk *walk, bool is_input)
{
	if (!v || !v->type.is_tensor || v->type.rank <= 0)
		return;
	bool hit = false;
	ir_dim dims[64];
	if (v->type.rank > 64)
		return;
	for (int i = 0; i < v->type.rank; i++) {
		dims[i] = v->type.dims[i];
		if (dims[i].kind == IR_DIM_PARAM && dims[i].param &&
		    !strcmp(dims[i].param, walk->spec->name)) {
			dims[i] =
			    (ir_dim){IR_DIM_VALUE, walk->spec->value, NULL};
			hit = true;
		}
	}
	if (!hit)
		return;
	walk->inputs_named += is_input;
	ir_value_set_type(v, v->type.elem_type, v->type.rank, dims);
}

static void fix_dim_param_in_graph(ir_graph *graph, void *ctx)
{
	dim_param_walk *walk = ctx;
	bool main_graph = graph->parent == NULL;
	for (ir_value *v = graph->scope; v; v = v->hh.next)
		fix_dim_param(v, walk,
		              main_graph && v->is_graph_input &&
		                  v->def != IR_DEF_INITIALIZER);
}

onnxopt_status lib_apply_input_shapes(ir_model *model,
                                      const lib_settings *settings)
{
	for (int i = 0; i < settings->n_input_shapes; i++) {
		onnxopt_status st =
		    apply_input_shape(model, &settings->input_shapes[i]);
		if (st != ONNXOPT_OK)
			return st;
	}
	for (int i = 0; i < settings->n_dim_params; i++) {
		dim_param_walk walk = {&settings->dim_params[i], 0};
		/* Only the main graph's inputs decide whether the name is
		 * known; the rest follows so that no type still claims it. */
		bool named = false;
		for (int k = 0; k < model->graph->n_inputs && !named; k++) {
			const ir_type *t = &model->graph->inputs[k]->type;
			for (int d = 0; t->is_tensor && d < t->rank; d++)
				if (t->dims[d].kind == IR_DIM_PARAM &&
				    t->dims[d].param &&
				    !strcmp(t->dims[d].param, walk.spec->name))
					named = true;
		}
		if (!named)
			return lib_fail(
			    ONNXOPT_ERR_USAGE,
			    "--dim-param: no input of the model has "
			    "a dim named '%s'",
			    walk.spec->name);
		ir_graph_walk(model->graph, fix_dim_param_in_graph, &walk);
	}
	return ONNXOPT_OK;
}
