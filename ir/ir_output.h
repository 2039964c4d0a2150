/*
 * ir_output.h - opening, committing and discarding an output file
 * (internal to ir/; see ir_output.c for what the output path keeps).
 */
#ifndef ONNXOPT_IR_OUTPUT_H
#define ONNXOPT_IR_OUTPUT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "ir_status.h"

typedef struct ir_output {
	char target[PATH_MAX]; /* the name finally written ("-": stdout) */
	char temp[PATH_MAX];   /* the temporary name; "" when in place */
	int fd;
	bool in_place; /* stdout, a FIFO or a device: written directly */
	int temp_slot; /* in the signal cleanup registry; -1: none */
} ir_output;

/* Open `path` for writing: a regular or absent file (through symlinks)
 * as a temporary beside it, anything else in place. With regular_only,
 * anything but a regular or absent file is an error. */
bool ir_output_open(ir_output *out, const char *path, bool regular_only,
                    ir_status *status);
/* Like ir_output_open with regular_only, but the temporary is a name
 * given to `fd`, an unnamed file (O_TMPFILE) on the same file system,
 * whose bytes are kept; false (errno EXDEV, ...) when it cannot be. */
bool ir_output_open_linked(ir_output *out, const char *path, int fd,
                           ir_status *status);
/* False when written in place (stdout, FIFO, device). */
bool ir_output_is_file(const ir_output *out);
void ir_output_folder(const ir_output *out, char *folder, size_t size);
const char *ir_output_basename(const ir_output *out);
/* fsync, close and rename into place; on failure the temporary is gone. */
bool ir_output_commit(ir_output *out, ir_status *status);
/* Close and remove the temporary (if any). */
void ir_output_discard(ir_output *out);

/* Temporary files removed on SIGINT/SIGTERM/SIGHUP while registered:
 * register returns a slot (or -1 if all are taken). */
int ir_temp_register(const char *path);
/* Like mkostemp(template_path), with the name registered before the file
 * is created, so a signal delivered to any thread never finds an
 * unregistered temporary; returns the fd (-1 on failure) and the slot. */
int ir_temp_create(char *template_path, int *slot);
void ir_temp_unregister(int slot);

#endif
