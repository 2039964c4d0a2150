/*
 * test_hooks.c - faults on purpose, for proving that onnx-opt notices
 * them. Compiled only with `meson setup -Dtest_hooks=true` (the test
 * command's build); never in a normal build.
 *
 * With ONNXOPT_TEST_BREAK_AFTER=PASS in the environment, the first run of
 * PASS that changes the model is followed by a wrong rewrite: the first
 * float initializer a node reads gets 1.0 added to its first element,
 * exactly the kind of silent numeric damage a buggy pass does (--check
 * must catch it).
 *
 * With ONNXOPT_TEST_FAIL_SAVE_ALLOCATION=N, the Nth allocation of
 * onnxopt_save_file fails as if memory ran out (no temporary file may be
 * left behind).
 */
#include <stdlib.h>
#include <string.h>

#include "ir_arena.h"
#include "lib.h"

static bool perturb_first_float_constant(ir_model *model)
{
	ir_graph *g = model->graph;
	for (int i = 0; i < g->n_initializers; i++) {
		ir_value *v = g->initializers[i];
		if (v->removed)
			continue;
		const void *data;
		size_t size;
		if (!v->tensor || v->tensor->elem_type != IR_FLOAT ||
		    !v->n_uses || v->is_graph_input ||
		    !ir_tensor_raw(model, v->tensor, &data, &size) || size < 4)
			continue;
		float *copy = malloc(size);
		if (!copy)
			return false;
		memcpy(copy, data, size);
		copy[0] += 1.0f;
		ir_tensor *t =
		    ir_tensor_create(model, IR_FLOAT, v->tensor->rank,
		                     v->tensor->dims, copy, size);
		free(copy);
		ir_value_replace_all_uses(v, ir_initializer_add(g, v->name, t));
		return true;
	}
	return false;
}

void lib_test_hook_after_pass(ir_model *model, const char *pass, int changes)
{
	static _Thread_local bool broken;
	const char *target = getenv("ONNXOPT_TEST_BREAK_AFTER");
	if (!target || broken || changes <= 0 || strcmp(target, pass))
		return;
	broken = perturb_first_float_constant(model);
}

void lib_test_hook_before_save(void)
{
	const char *nth = getenv("ONNXOPT_TEST_FAIL_SAVE_ALLOCATION");
	ir_test_fail_allocation(nth ? atol(nth) : 0);
}

void lib_test_hook_after_save(void)
{
	ir_test_fail_allocation(0);
}
