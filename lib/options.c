/*
 * options.c - the option table (options.def) behind onnxopt_set_option,
 * onnxopt_list_options and the setters of the options the library front
 * end owns itself.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"
#include "pass.h"

typedef struct option_row {
	const char *name, *argument;
	lib_option_setter set;
	const char *help;
} option_row;

static const option_row option_rows[] = {
#define OPTION(name, argument, setter, help) {name, argument, setter, help},
#include "options.def"
#undef OPTION
};

enum { option_count = sizeof option_rows / sizeof option_rows[0] };

bool lib_parse_integer(const char *name, const char *value, long long *out)
{
	char *end;
	errno = 0;
	long long v = value ? strtoll(value, &end, 10) : 0;
	if (!value || end == value || *end || errno) {
		lib_fail(ONNXOPT_ERR_USAGE,
		         "--%s needs a whole number, not '%s'", name,
		         value ? value : "");
		return false;
	}
	*out = v;
	return true;
}

bool lib_parse_number(const char *name, const char *value, double *out)
{
	char *end;
	errno = 0;
	double v = value ? strtod(value, &end) : 0;
	if (!value || end == value || *end || errno || !isfinite(v)) {
		lib_fail(ONNXOPT_ERR_USAGE, "--%s needs a number, not '%s'",
		         name, value ? value : "");
		return false;
	}
	*out = v;
	return true;
}

onnxopt_status option_set_fold_size_limit(lib_settings *settings,
                                          const char *value)
{
	long long bytes;
	if (!lib_parse_integer("fold-size-limit", value, &bytes))
		return ONNXOPT_ERR_USAGE;
	if (bytes < -1)
		return lib_fail(ONNXOPT_ERR_USAGE,
		                "--fold-size-limit must be a size in bytes or "
		                "-1 (no limit), not '%s'",
		                value);
	settings->has_fold_size_limit = true;
	settings->fold_size_limit = bytes;
	return ONNXOPT_OK;
}

onnxopt_status option_set_target_opset(lib_settings *settings,
                                       const char *value)
{
	long long opset;
	if (!lib_parse_integer("target-opset", value, &opset))
		return ONNXOPT_ERR_USAGE;
	if (opset < 7 || opset > 23)
		return lib_fail(ONNXOPT_ERR_USAGE,
		                "--target-opset: %lld is outside 7-23", opset);
	settings->target_opset = opset;
	return ONNXOPT_OK;
}

onnxopt_status option_set_fold_memory_limit(lib_settings *settings,
                                            const char *value)
{
	long long bytes;
	if (!lib_parse_integer("fold-memory-limit", value, &bytes))
		return ONNXOPT_ERR_USAGE;
	if (bytes < -1)
		return lib_fail(
		    ONNXOPT_ERR_USAGE,
		    "--fold-memory-limit must be a size in bytes or "
		    "-1 (no limit), not '%s'",
		    value);
	settings->has_fold_memory_limit = true;
	settings->fold_memory_limit = bytes;
	return ONNXOPT_OK;
}

onnxopt_status option_set_print_after(lib_settings *settings, const char *value)
{
	if (!value)
		return lib_fail(ONNXOPT_ERR_USAGE,
		                "--print-after needs a pass");
	const char *name = NULL;
	if (!strcmp(value, "all"))
		name = "all";
	else if (pass_find(value))
		name = pass_find(value)->name;
	if (!name)
		return lib_fail(ONNXOPT_ERR_USAGE,
		                "--print-after: unknown pass '%s' (see "
		                "--list-passes)",
		                value);
	settings->print_after = name;
	if (!settings->print_to)
		settings->print_to = stderr;
	return ONNXOPT_OK;
}

/* A flag's value: NULL or "1" sets it, "0" clears it. */
static bool flag_value(const char *name, const char *value, bool *out)
{
	if (!value || !strcmp(value, "1")) {
		*out = true;
		return true;
	}
	if (!strcmp(value, "0")) {
		*out = false;
		return true;
	}
	lib_fail(ONNXOPT_ERR_USAGE,
	         "--%s is a flag: its value is 1 or 0, not "
	         "'%s'",
	         name, value);
	return false;
}

onnxopt_status option_set_external_data(lib_settings *settings,
                                        const char *value)
{
	if (value && (!value[0] || strchr(value, '/') || !strcmp(value, ".") ||
	              !strcmp(value, "..") ||
	              strlen(value) >= sizeof settings->external_name))
		return lib_fail(ONNXOPT_ERR_USAGE,
		                "--external-data: '%s' is not a file name (the "
		                "data file goes beside OUT)",
		                value);
	settings->external_data = true;
	snprintf(settings->external_name, sizeof settings->external_name, "%s",
	         value ? value : "");
	return ONNXOPT_OK;
}

static onnxopt_status set_bytes(const char *name, const char *value,
                                long long min, bool *has,
                                unsigned long long *out)
{
	long long bytes;
	if (!lib_parse_integer(name, value, &bytes))
		return ONNXOPT_ERR_USAGE;
	if (bytes < min)
		return lib_fail(ONNXOPT_ERR_USAGE,
		                "--%s must be at least %lld, not '%s'", name,
		                min, value);
	*has = true;
	*out = (unsigned long long)bytes;
	return ONNXOPT_OK;
}

onnxopt_status option_set_external_threshold(lib_settings *settings,
                                             const char *value)
{
	return set_bytes("external-data-threshold", value, 0,
	                 &settings->has_external_threshold,
	                 &settings->external_threshold);
}

onnxopt_status option_set_external_align(lib_settings *settings,
                                         const char *value)
{
	return set_bytes("external-data-align", value, 1,
	                 &settings->has_external_align,
	                 &settings->external_align);
}

onnxopt_status option_set_quiet(lib_settings *settings, const char *value)
{
	return flag_value("quiet", value, &settings->quiet) ? ONNXOPT_OK
	                                                    : ONNXOPT_ERR_USAGE;
}

static const option_row *option_find(const char *name)
{
	for (int i = 0; i < option_count; i++)
		if (!strcmp(option_rows[i].name, name))
			return &option_rows[i];
	return NULL;
}

onnxopt_status onnxopt_set_option(onnxopt_model *model, const char *name,
                                  const char *value)
{
	if (!name)
		return lib_fail(ONNXOPT_ERR_USAGE,
		                "onnxopt_set_option: NULL name");
	const option_row *row = option_find(name);
	if (!row)
		return lib_fail(ONNXOPT_ERR_USAGE, "unknown option '%s'", name);
	if (row->argument && row->argument[0] != '[' && !value)
		return lib_fail(ONNXOPT_ERR_USAGE, "--%s needs a value (%s)",
		                name, row->argument);
	/* Without a model, validate into scratch settings. */
	lib_settings scratch = {0};
	onnxopt_status st =
	    row->set(model ? &model->settings : &scratch, value);
	lib_settings_free(&scratch);
	return st;
}

void onnxopt_list_options(onnxopt_option_info_fn fn, void *user)
{
	for (int i = 0; i < option_count; i++)
		fn(option_rows[i].name, option_rows[i].argument,
		   option_rows[i].help, user);
}
