/*
 * stats.c - the numbers behind --stats and --stats-json: op counts per
 * domain, nodes, initializers and their bytes and file sizes before and
 * after, each pass's changes and time, load/passes/save times and the
 * --check result.
 *
 * "Before" is taken once, when the model is loaded; "after" when it is
 * saved (or when asked, if it was not saved yet). The CLI's table and the
 * JSON file read the same lib_stats, so they cannot disagree.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir_arena.h"
#include "lib.h"

/* ------------------------------------------------------------ counting */

static void count_graph(ir_graph *graph, void *ctx)
{
	lib_op_counts *c = ctx;
	for (ir_node *n = graph->first; n; n = n->next) {
		int i = 0;
		while (i < c->n && (strcmp(c->items[i].op_type, n->op_type) ||
		                    strcmp(c->items[i].domain, n->domain)))
			i++;
		if (i == c->n) {
			if (c->n == c->cap) {
				c->cap = c->cap ? c->cap * 2 : 32;
				c->items =
				    ir_xrealloc(c->items, sizeof *c->items *
				                              (size_t)c->cap);
			}
			c->items[c->n++] =
			    (lib_op_count){n->domain, n->op_type, 0};
		}
		c->items[i].count++;
	}
}

void lib_count_ops(ir_model *model, lib_op_counts *out)
{
	memset(out, 0, sizeof *out);
	ir_graph_walk(model->graph, count_graph, out);
}

/* Bytes of one initializer's data as stored (external data included). */
static long long tensor_bytes(const ir_tensor *t)
{
	int64_t numel = ir_tensor_numel(t);
	if (numel < 0)
		return 0;
	if (t->elem_type == IR_STRING) {
		long long bytes = 0;
		for (int64_t i = 0; i < numel; i++) {
			ProtobufCBinaryData s;
			if (ir_tensor_string(t, i, &s))
				bytes += (long long)s.len;
		}
		return bytes;
	}
	return (
	    long long)(((uint64_t)numel * (uint64_t)ir_elem_bits(t->elem_type) +
	                7) /
	               8);
}

static void size_graph(ir_graph *graph, void *ctx)
{
	onnxopt_model_size *size = ctx;
	size->nodes += graph->n_nodes;
	for (int i = 0; i < graph->n_initializers; i++) {
		const ir_value *v = graph->initializers[i];
		size->initializers++;
		if (v->tensor)
			size->initializer_bytes += tensor_bytes(v->tensor);
	}
}

static void measure(ir_model *model, long long file_bytes,
                    onnxopt_model_size *out)
{
	memset(out, 0, sizeof *out);
	ir_graph_walk(model->graph, size_graph, out);
	out->file_bytes = file_bytes;
}

/* ----------------------------------------------------------- recording */

void lib_stats_loaded(onnxopt_model *model, double seconds)
{
	lib_stats *s = &model->stats;
	s->load_seconds = seconds;
	size_t source = ir_model_source_size(model->ir);
	measure(model->ir, source ? (long long)source : -1, &s->before);
	lib_count_ops(model->ir, &s->ops_before);
}

void lib_stats_pass(onnxopt_model *model, const char *pass, int iteration,
                    int changes, double seconds)
{
	lib_stats *s = &model->stats;
	if (s->n_passes == s->cap_passes) {
		s->cap_passes = s->cap_passes ? 2 * s->cap_passes : 32;
		s->passes = ir_xrealloc(s->passes, sizeof *s->passes *
		                                       (size_t)s->cap_passes);
	}
	s->passes[s->n_passes++] =
	    (lib_pass_stat){pass, iteration, changes, seconds};
}

void lib_stats_free(lib_stats *stats)
{
	free(stats->ops_before.items);
	free(stats->passes);
	memset(stats, 0, sizeof *stats);
}

void onnxopt_get_stats(const onnxopt_model *model, onnxopt_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!model)
		return;
	const lib_stats *s = &model->stats;
	out->before = s->before;
	if (s->saved)
		out->after = s->after;
	else
		measure(model->ir, -1, &out->after);
	out->load_seconds = s->load_seconds;
	out->passes_seconds = s->passes_seconds;
	out->save_seconds = s->save_seconds;
}

/* ---------------------------------------------------------------- JSON */

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;
	     p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* A finite number, or null (JSON has no NaN or infinity). */
static void json_number(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.9g", v);
	else
		fputs("null", f);
}

static const char *domain_name(const char *domain)
{
	return domain && domain[0] ? domain : "ai.onnx";
}

static int compare_ops(const void *a, const void *b)
{
	const lib_op_count *x = a, *y = b;
	int d = strcmp(domain_name(x->domain), domain_name(y->domain));
	return d ? d : strcmp(x->op_type, y->op_type);
}

/* {"ai.onnx": {"Add": 3, ...}, "com.microsoft": {...}} */
static void json_ops(FILE *f, lib_op_counts *ops)
{
	qsort(ops->items, (size_t)ops->n, sizeof *ops->items, compare_ops);
	fputc('{', f);
	for (int i = 0; i < ops->n; i++) {
		bool new_domain =
		    i == 0 || strcmp(domain_name(ops->items[i].domain),
		                     domain_name(ops->items[i - 1].domain));
		if (new_domain) {
			fputs(i ? "}, " : "", f);
			json_string(f, domain_name(ops->items[i].domain));
			fputs(": {", f);
		} else {
			fputs(", ", f);
		}
		json_string(f, ops->items[i].op_type);
		fprintf(f, ": %d", ops->items[i].count);
	}
	fputs(ops->n ? "}}" : "}", f);
}

static void json_size(FILE *f, const char *name, const onnxopt_model_size *s,
                      lib_op_counts *ops)
{
	fprintf(f, "  ");
	json_string(f, name);
	fprintf(f,
	        ": {\"nodes\": %lld, \"initializers\": %lld, "
	        "\"initializer_bytes\": %lld, \"file_bytes\": ",
	        s->nodes, s->initializers, s->initializer_bytes);
	if (s->file_bytes >= 0)
		fprintf(f, "%lld", s->file_bytes);
	else
		fputs("null", f);
	fputs(",\n    \"ops\": ", f);
	json_ops(f, ops);
	fputs("},\n", f);
}

static void json_write(onnxopt_model *model, FILE *f)
{
	lib_stats *s = &model->stats;
	onnxopt_stats totals;
	onnxopt_get_stats(model, &totals);
	lib_op_counts after;
	lib_count_ops(model->ir, &after);
	fprintf(f, "{\n  \"onnxopt_version\": ");
	json_string(f, ONNXOPT_VERSION);
	fputs(",\n", f);
	json_size(f, "before", &totals.before, &s->ops_before);
	json_size(f, "after", &totals.after, &after);
	free(after.items);
	fputs("  \"passes\": [", f);
	for (int i = 0; i < s->n_passes; i++) {
		fputs(i ? ",\n    {\"pass\": " : "\n    {\"pass\": ", f);
		json_string(f, s->passes[i].pass);
		fprintf(f, ", \"iteration\": %d, \"changes\": %d, \"ms\": ",
		        s->passes[i].iteration, s->passes[i].changes);
		json_number(f, s->passes[i].seconds * 1e3);
		fputc('}', f);
	}
	fputs(s->n_passes ? "\n  ],\n" : "],\n", f);
	fprintf(f, "  \"shape_inference\": {\"runs\": %d, \"ms\": ",
	        s->inference_runs);
	json_number(f, s->inference_seconds * 1e3);
	fputs("},\n", f);
	fputs("  \"ms\": {\"load\": ", f);
	json_number(f, totals.load_seconds * 1e3);
	fputs(", \"passes\": ", f);
	json_number(f, totals.passes_seconds * 1e3);
	fputs(", \"save\": ", f);
	json_number(f, totals.save_seconds * 1e3);
	fputs("},\n  \"check\": ", f);
	const onnxopt_check_output *outputs;
	int n_outputs;
	double seconds;
	int runs = onnxopt_check_result(model, &outputs, &n_outputs, &seconds);
	const lib_check_result *check = &model->check;
	if (!runs && !check->failed_runs) {
		fputs("null\n}\n", f);
		return;
	}
	if (runs) {
		fprintf(f, "{\"runs\": %d, \"passed\": true, \"ms\": ", runs);
	} else {
		fprintf(f, "{\"runs\": %d, \"passed\": false, \"error\": ",
		        check->failed_runs);
		json_string(f, check->failure);
		fputs(", \"ms\": ", f);
		outputs = check->outputs;
		n_outputs = check->n_outputs;
		seconds = check->seconds;
	}
	json_number(f, seconds * 1e3);
	fputs(", \"outputs\": [", f);
	for (int i = 0; i < n_outputs; i++) {
		fputs(i ? ",\n      {\"name\": " : "\n      {\"name\": ", f);
		json_string(f, outputs[i].name);
		fputs(", \"max_abs_diff\": ", f);
		json_number(f, outputs[i].max_abs_diff);
		fputs(", \"max_rel_diff\": ", f);
		json_number(f, outputs[i].max_rel_diff);
		fputc('}', f);
	}
	fputs("]}\n}\n", f);
}

static onnxopt_status write_json(onnxopt_model *model);

onnxopt_status lib_stats_check_failed(onnxopt_model *model,
                                      onnxopt_status failed)
{
	if (!model->settings.stats_json[0])
		return failed;
	char message[sizeof model->check.failure];
	snprintf(message, sizeof message, "%s", onnxopt_last_error());
	if (write_json(model) != ONNXOPT_OK)
		return failed; /* the check's failure matters more */
	return lib_fail(failed, "%s", message);
}

onnxopt_status lib_stats_saved(onnxopt_model *model, double seconds,
                               long long file_bytes)
{
	lib_stats *s = &model->stats;
	s->saved = true;
	s->save_seconds = seconds;
	measure(model->ir, file_bytes, &s->after);
	return write_json(model);
}

static onnxopt_status write_json(onnxopt_model *model)
{
	const char *path = model->settings.stats_json;
	if (!path[0])
		return ONNXOPT_OK;
	bool to_stdout = !strcmp(path, "-");
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	if (!f)
		return lib_fail(ONNXOPT_ERR_IO,
		                "--stats-json: cannot write '%s'", path);
	json_write(model, f);
	bool ok = !ferror(f);
	if (to_stdout)
		ok = fflush(f) == 0 && ok;
	else
		ok = fclose(f) == 0 && ok;
	return ok ? ONNXOPT_OK
	          : lib_fail(ONNXOPT_ERR_IO, "--stats-json: cannot write '%s'",
	                     path);
}

/* Paths are kept in fixed buffers: options are validated into scratch
 * settings that are never freed. */
onnxopt_status lib_set_path(const char *option, const char *value, char *out,
                            size_t size)
{
	if (!value || !value[0])
		return lib_fail(ONNXOPT_ERR_USAGE, "--%s needs a path", option);
	if (strlen(value) >= size)
		return lib_fail(ONNXOPT_ERR_USAGE, "--%s: path too long",
		                option);
	memcpy(out, value, strlen(value) + 1);
	return ONNXOPT_OK;
}

onnxopt_status option_set_stats_json(lib_settings *settings, const char *value)
{
	return lib_set_path("stats-json", value, settings->stats_json,
	                    sizeof settings->stats_json);
}
