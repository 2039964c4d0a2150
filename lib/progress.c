/*
 * progress.c - a progress line on stderr for big models.
 *
 * Loading a model over 256 MB, running its passes and saving it take long
 * enough that a user at a terminal wants to see something move: one line,
 * rewritten in place ("\r"), naming the pass that just ran and, while
 * saving, the bytes written of the total. Only when stderr is a terminal
 * (a log file would fill with carriage returns) and --quiet is not set.
 */
#include <stdio.h>
#include <unistd.h>

#include "ir_external.h"
#include "lib.h"

enum { PROGRESS_MIN_BYTES = 256 << 20 };

bool lib_progress_wanted(const onnxopt_model *model)
{
	return !model->settings.quiet && isatty(STDERR_FILENO) &&
	       ir_model_input_bytes(model->ir) > PROGRESS_MIN_BYTES;
}

static double mib(uint64_t bytes)
{
	return (double)bytes / (1 << 20);
}

void lib_progress_loaded(const onnxopt_model *model)
{
	fprintf(stderr, "\ronnx-opt: loaded %.0f MiB\033[K",
	        mib(ir_model_input_bytes(model->ir)));
	fflush(stderr);
}

void lib_progress_pass(const char *pass, int iteration, int changes)
{
	fprintf(stderr, "\ronnx-opt: pass %d: %s (%d changes)\033[K", iteration,
	        pass, changes);
	fflush(stderr);
}

void lib_progress_save(void *ctx, uint64_t done, uint64_t total)
{
	int *last_percent = ctx;
	int percent = total ? (int)(done * 100 / total) : 100;
	if (percent == *last_percent)
		return;
	*last_percent = percent;
	fprintf(stderr, "\ronnx-opt: saving %.0f of %.0f MiB (%d%%)\033[K",
	        mib(done), mib(total), percent);
	if (done >= total)
		fputc('\n', stderr);
	fflush(stderr);
}
