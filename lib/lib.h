/*
 * lib.h - the library front end's internals (lib/): the model handle that
 * include/onnxopt.h hands out, and the settings its options fill in.
 *
 * Settings are plain values with a "has" flag where the library's default
 * must stay the pass manager's own (one definition of each default, in
 * the module that owns it).
 */
#ifndef ONNXOPT_LIB_H
#define ONNXOPT_LIB_H

#include <stdbool.h>
#include <stdio.h>

#include "ir.h"
#include "onnxopt.h"

typedef struct lib_settings {
	bool has_fold_size_limit;
	long long fold_size_limit;
	const char *print_after; /* a pass name (static storage) or "all" */
	FILE *print_to;
	int check_runs; /* 0: no --check */
	double check_rtol, check_atol;
	bool has_check_rtol, has_check_atol;
	unsigned long long check_seed;
} lib_settings;

/* What the last check found (lib/check.c). */
typedef struct lib_check_result {
	int runs; /* 0: none ran */
	double seconds;
	onnxopt_check_output *outputs; /* names owned by the model */
	int n_outputs;
} lib_check_result;

struct onnxopt_model {
	ir_model *ir;
	lib_settings settings;
	lib_check_result check;
};

/* Run the check the settings ask for on a model whose passes have run. */
onnxopt_status lib_check_model(onnxopt_model *model);
void lib_check_result_free(lib_check_result *result);

typedef onnxopt_status (*lib_option_setter)(lib_settings *settings,
                                            const char *value);

#define OPTION(name, argument, setter, help)                                   \
	onnxopt_status setter(lib_settings *settings, const char *value);
#include "options.def"
#undef OPTION

#ifdef ONNXOPT_TEST_HOOKS
/* Break the model after a named pass (lib/test_hooks.c; test builds). */
void lib_test_hook_after_pass(ir_model *model, const char *pass, int changes);
#endif

/* Record a one-line message for onnxopt_last_error() and return status. */
onnxopt_status lib_fail(onnxopt_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Parse a whole decimal number for option `name`; false after lib_fail. */
bool lib_parse_integer(const char *name, const char *value, long long *out);
/* The same for a finite decimal number. */
bool lib_parse_number(const char *name, const char *value, double *out);

#endif
