/*
 * ir_status.h - errors as values.
 *
 * Nothing in the library exits or aborts on bad input: a failing function
 * returns false/NULL and fills an ir_status whose message names the model
 * element at fault (node name, op type, input index, value name).
 */
#ifndef ONNXOPT_IR_STATUS_H
#define ONNXOPT_IR_STATUS_H

#include <stdbool.h>

typedef enum {
	IR_OK = 0,
	IR_ERR_IO,      /* missing file, unreadable, cannot write */
	IR_ERR_PARSE,   /* not an ONNX model, truncated protobuf */
	IR_ERR_INVALID, /* undefined value, cycle, duplicate definition */
	IR_ERR_USAGE,   /* unknown pass name, bad option */
	IR_ERR_PASS,    /* a pass failed or left the IR inconsistent */
	IR_ERR_NOMEM,
	IR_ERR_WRITE, /* the output could not be written (disk full, EPIPE) */
} ir_status_code;

typedef struct ir_status {
	ir_status_code code;
	char message[512];
} ir_status;

/* Record an error (printf-style) and return false, so callers can write
 * `return ir_fail(status, IR_ERR_INVALID, "...", ...);`. A NULL status is
 * allowed and ignored. */
bool ir_fail(ir_status *status, ir_status_code code, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
