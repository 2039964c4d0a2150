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
} lib_settings;

struct onnxopt_model {
	ir_model *ir;
	lib_settings settings;
};

typedef onnxopt_status (*lib_option_setter)(lib_settings *settings,
                                            const char *value);

#define OPTION(name, argument, setter, help)                                   \
	onnxopt_status setter(lib_settings *settings, const char *value);
#include "options.def"
#undef OPTION

/* Record a one-line message for onnxopt_last_error() and return status. */
onnxopt_status lib_fail(onnxopt_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Parse a whole decimal number for option `name`; false after lib_fail. */
bool lib_parse_integer(const char *name, const char *value, long long *out);

#endif
