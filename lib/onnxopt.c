/*
 * onnxopt.c - the public library API (include/onnxopt.h), a thin layer
 * that turns IR statuses into onnxopt_status codes and a per-thread
 * message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ir.h"
#include "ir_arena.h"
#include "ir_external.h"
#include "lib.h"
#include "pass.h"

static _Thread_local char last_error[512];

onnxopt_status lib_fail(onnxopt_status status, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vsnprintf(last_error, sizeof last_error, format, args);
	va_end(args);
	return status;
}

double lib_now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *onnxopt_version(void)
{
	return ONNXOPT_VERSION;
}

const char *onnxopt_last_error(void)
{
	return last_error;
}

static onnxopt_status fail_with(const ir_status *status)
{
	snprintf(last_error, sizeof last_error, "%s", status->message);
	switch (status->code) {
	case IR_ERR_IO: return ONNXOPT_ERR_IO;
	case IR_ERR_PARSE: return ONNXOPT_ERR_PARSE;
	case IR_ERR_INVALID: return ONNXOPT_ERR_INVALID;
	case IR_ERR_USAGE: return ONNXOPT_ERR_USAGE;
	case IR_ERR_WRITE: return ONNXOPT_ERR_WRITE;
	case IR_ERR_NOMEM: return ONNXOPT_ERR_NOMEM;
	default: return ONNXOPT_ERR_PASS;
	}
}

static onnxopt_status usage_error(const char *message)
{
	return lib_fail(ONNXOPT_ERR_USAGE, "%s", message);
}

static onnxopt_status wrap(ir_model *ir, const ir_status *status, double start,
                           onnxopt_model **out)
{
	if (!ir)
		return fail_with(status);
	onnxopt_model *m = calloc(1, sizeof *m);
	if (!m) {
		ir_model_free(ir);
		return lib_fail(ONNXOPT_ERR_NOMEM, "out of memory");
	}
	m->ir = ir;
	lib_stats_loaded(m, lib_now_seconds() - start);
	*out = m;
	return ONNXOPT_OK;
}

onnxopt_status onnxopt_load_file(const char *path, onnxopt_model **out)
{
	if (!path || !out)
		return usage_error("onnxopt_load_file: NULL argument");
	*out = NULL;
	ir_status status = {0};
	double start = lib_now_seconds();
	return wrap(ir_model_load_file(path, &status), &status, start, out);
}

onnxopt_status onnxopt_load_buffer(const void *data, size_t size,
                                   onnxopt_model **out)
{
	return onnxopt_load_buffer_with_base(data, size, NULL, out);
}

onnxopt_status onnxopt_load_buffer_with_base(const void *data, size_t size,
                                             const char *base_dir,
                                             onnxopt_model **out)
{
	if ((!data && size) || !out)
		return usage_error("onnxopt_load_buffer: NULL argument");
	*out = NULL;
	ir_status status = {0};
	double start = lib_now_seconds();
	return wrap(ir_model_load_buffer_at(data ? data : "", size, false,
	                                    base_dir, &status),
	            &status, start, out);
}

void onnxopt_model_free(onnxopt_model *model)
{
	if (!model)
		return;
	lib_check_result_free(&model->check);
	lib_stats_free(&model->stats);
	if (model->broken)
		ir_model_free_after_oom(model->ir);
	else
		ir_model_free(model->ir);
	lib_settings_free(&model->settings);
	free(model);
}

typedef struct report_bridge {
	onnxopt_report_fn fn;
	void *user;
	onnxopt_model *model;
	bool progress;
} report_bridge;

static void bridge_report(const pass_record *record, void *ctx)
{
	report_bridge *b = ctx;
	/* What a pass touched of a big model's weights need not stay. */
	if (ir_model_input_bytes(b->model->ir) > LIB_TRIM_MIN_BYTES)
		ir_memory_trim(b->model->ir);
	if (b->progress)
		lib_progress_pass(record->name, record->iteration,
		                  record->changes);
	bool analysis = !strcmp(record->name, PASS_RECORD_SHAPE_INFERENCE);
	if (analysis) {
		b->model->stats.inference_runs++;
		b->model->stats.inference_seconds += record->seconds;
	}
#ifdef ONNXOPT_TEST_HOOKS
	if (!analysis)
		lib_test_hook_after_pass(b->model->ir, record->name,
		                         record->changes);
#endif
	if (!analysis)
		lib_stats_pass(b->model, record->name, record->iteration,
		               record->changes, record->seconds);
	if (!b->fn)
		return;
	onnxopt_pass_report r = {record->name, record->iteration,
	                         record->changes, record->seconds};
	b->fn(&r, b->user);
}

static onnxopt_status broken_model(void)
{
	return lib_fail(ONNXOPT_ERR_NOMEM,
	                "the model ran out of memory earlier and can only "
	                "be freed");
}

static onnxopt_status run_passes(onnxopt_model *model, const char *passes,
                                 unsigned flags, onnxopt_report_fn report,
                                 void *user);

/* Running out of memory in a pass unwinds to here (ir_oom_handler): the
 * IR may be half rewritten, so the model is marked broken. */
onnxopt_status onnxopt_run_ex(onnxopt_model *model, const char *passes,
                              unsigned flags, onnxopt_report_fn report,
                              void *user)
{
	if (!model)
		return usage_error("onnxopt_run: NULL model");
	if (model->broken)
		return broken_model();
	ir_oom_handler oom;
	ir_oom_enter(&oom);
	if (setjmp(oom.jump)) {
		model->broken = true;
		return lib_fail(ONNXOPT_ERR_NOMEM,
		                "out of memory while running the passes");
	}
	onnxopt_status st = run_passes(model, passes, flags, report, user);
	ir_oom_leave(&oom);
	return st;
}

static onnxopt_status run_passes(onnxopt_model *model, const char *passes,
                                 unsigned flags, onnxopt_report_fn report,
                                 void *user)
{
	ir_status status = {0};
	const lib_settings *settings = &model->settings;
	const char *spec = passes ? passes : pass_default_pipeline;
	/* --target-opset converts first, whatever the pipeline. */
	char *with_conversion = NULL;
	if (settings->target_opset && spec[0]) {
		size_t size = strlen(spec) + sizeof "convert_opset,";
		with_conversion = ir_xmalloc(size);
		snprintf(with_conversion, size, "convert_opset,%s", spec);
		spec = with_conversion;
	}
	pipeline p;
	bool parsed = pipeline_parse(spec, &p, &status);
	free(with_conversion);
	if (!parsed)
		return fail_with(&status);
	pipeline_options options;
	pipeline_options_init(&options);
	/* The default pipeline always runs to a fixed point. */
	options.fixed_point = (flags & ONNXOPT_FIXED_POINT) || !passes;
	if (flags & ONNXOPT_VERIFY)
		options.verify = true;
	if (flags & ONNXOPT_NO_VERIFY)
		options.verify = false;
	if (getenv("ONNXOPT_VERIFY"))
		options.verify = true;
	if (settings->dot_before[0]) {
		onnxopt_status drawn = lib_write_dot(
		    model->ir, settings->dot_before, "dot-before");
		if (drawn != ONNXOPT_OK) {
			pipeline_free(&p);
			return drawn;
		}
	}
	onnxopt_status specialized =
	    lib_apply_input_shapes(model->ir, settings);
	if (specialized != ONNXOPT_OK) {
		pipeline_free(&p);
		return specialized;
	}
	if (settings->has_fold_size_limit)
		options.pass.fold_size_limit = settings->fold_size_limit;
	options.pass.target_opset = settings->target_opset;
	if (settings->has_fold_memory_limit)
		options.pass.fold_memory_limit = settings->fold_memory_limit;
	options.print_after = settings->print_after;
	options.print_to = settings->print_to;
	report_bridge bridge = {report, user, model,
	                        lib_progress_wanted(model)};
	if (bridge.progress)
		lib_progress_loaded(model);
	options.report = bridge_report;
	options.report_ctx = &bridge;
	double start = lib_now_seconds();
	bool ok = pipeline_run(model->ir, &p, &options, &status);
	model->stats.passes_seconds += lib_now_seconds() - start;
	pipeline_free(&p);
	if (!ok)
		return fail_with(&status);
	onnxopt_status checked = lib_check_model(model);
	if (checked == ONNXOPT_ERR_CHECK || checked == ONNXOPT_ERR_UNCHECKABLE)
		return lib_stats_check_failed(model, checked);
	if (checked != ONNXOPT_OK || !settings->dot[0])
		return checked;
	return lib_write_dot(model->ir, settings->dot, "dot");
}

onnxopt_status onnxopt_set_fold_size_limit(onnxopt_model *model,
                                           long long bytes)
{
	if (!model)
		return usage_error("onnxopt_set_fold_size_limit: NULL model");
	char text[32];
	snprintf(text, sizeof text, "%lld", bytes);
	return onnxopt_set_option(model, "fold-size-limit", text);
}

onnxopt_status onnxopt_set_store_folder(onnxopt_model *model,
                                        const char *folder)
{
	if (!model)
		return usage_error("onnxopt_set_store_folder: NULL model");
	ir_model_set_store_folder(model->ir, folder);
	return ONNXOPT_OK;
}

onnxopt_status onnxopt_set_print_after(onnxopt_model *model, const char *pass,
                                       FILE *out)
{
	if (!model)
		return usage_error("onnxopt_set_print_after: NULL model");
	if (!pass) {
		model->settings.print_after = NULL;
		return ONNXOPT_OK;
	}
	if (!out)
		return usage_error("onnxopt_set_print_after: NULL stream");
	onnxopt_status st = onnxopt_set_option(model, "print-after", pass);
	if (st == ONNXOPT_OK)
		model->settings.print_to = out;
	return st;
}

onnxopt_status onnxopt_check_passes(const char *passes)
{
	ir_status status = {0};
	pipeline p;
	if (!pipeline_parse(passes ? passes : pass_default_pipeline, &p,
	                    &status))
		return fail_with(&status);
	pipeline_free(&p);
	return ONNXOPT_OK;
}

onnxopt_status onnxopt_run(onnxopt_model *model, const char *passes,
                           unsigned flags)
{
	return onnxopt_run_ex(model, passes, flags, NULL, NULL);
}

onnxopt_status onnxopt_save_file(onnxopt_model *model, const char *path)
{
	if (!model || !path)
		return usage_error("onnxopt_save_file: NULL argument");
	if (!strcmp(path, "-") && !strcmp(model->settings.stats_json, "-"))
		return usage_error("--stats-json - and the output cannot both "
		                   "go to standard output");
	if (model->broken)
		return broken_model();
	ir_status status = {0};
	double start = lib_now_seconds();
	const lib_settings *settings = &model->settings;
	ir_save_options options;
	ir_save_options_init(&options);
	options.external = settings->external_data;
	if (settings->external_name[0])
		options.external_name = settings->external_name;
	if (settings->has_external_threshold)
		options.external_threshold = settings->external_threshold;
	if (settings->has_external_align)
		options.external_align = settings->external_align;
	options.notes = settings->quiet ? NULL : stderr;
	int last_percent = -1;
	if (lib_progress_wanted(model)) {
		options.progress = lib_progress_save;
		options.progress_ctx = &last_percent;
	}
	ir_oom_handler oom;
	ir_oom_enter(&oom);
	if (setjmp(oom.jump)) {
#ifdef ONNXOPT_TEST_HOOKS
		lib_test_hook_after_save();
#endif
		return lib_fail(ONNXOPT_ERR_NOMEM, "out of memory saving '%s'",
		                path);
	}
#ifdef ONNXOPT_TEST_HOOKS
	lib_test_hook_before_save();
#endif
	bool ok = ir_model_save_file_ex(model->ir, path, &options, &status);
#ifdef ONNXOPT_TEST_HOOKS
	lib_test_hook_after_save();
#endif
	ir_oom_leave(&oom);
	if (!ok)
		return fail_with(&status);
	struct stat st;
	long long bytes = strcmp(path, "-") && stat(path, &st) == 0
	                      ? (long long)st.st_size
	                      : -1;
	return lib_stats_saved(model, lib_now_seconds() - start, bytes);
}

onnxopt_status onnxopt_save_buffer(onnxopt_model *model, void **data,
                                   size_t *size)
{
	if (!model || !data || !size)
		return usage_error("onnxopt_save_buffer: NULL argument");
	if (model->broken)
		return broken_model();
	ir_status status = {0};
	uint8_t *bytes;
	double start = lib_now_seconds();
	ir_oom_handler oom;
	ir_oom_enter(&oom);
	if (setjmp(oom.jump))
		return lib_fail(ONNXOPT_ERR_NOMEM, "out of memory saving");
	bool ok = ir_model_save_buffer(model->ir, &bytes, size, &status);
	ir_oom_leave(&oom);
	if (!ok)
		return fail_with(&status);
	onnxopt_status st =
	    lib_stats_saved(model, lib_now_seconds() - start, (long long)*size);
	if (st != ONNXOPT_OK) {
		free(bytes);
		return st;
	}
	*data = bytes;
	return ONNXOPT_OK;
}

void onnxopt_free(void *data)
{
	free(data);
}

void onnxopt_op_counts(const onnxopt_model *model, onnxopt_op_count_fn fn,
                       void *user)
{
	lib_op_counts c;
	lib_count_ops(model->ir, &c);
	for (int i = 0; i < c.n; i++)
		fn(c.items[i].domain, c.items[i].op_type, c.items[i].count,
		   user);
	free(c.items);
}

void onnxopt_list_passes(onnxopt_pass_info_fn fn, void *user)
{
	for (int i = 0; i < pass_registry_count; i++)
		fn(pass_registry[i]->name, pass_registry[i]->group,
		   pass_registry[i]->summary, user);
}

const char *onnxopt_default_pipeline(void)
{
	return pass_default_pipeline;
}
