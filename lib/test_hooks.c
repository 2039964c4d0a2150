/*
 * test_hooks.c - a deliberately broken pass, for proving that --check
 * catches one. Compiled only with `meson setup -Dtest_hooks=true` (the
 * test command's build); never in a normal build.
 *
 * With ONNXOPT_TEST_BREAK_AFTER=PASS in the environment, the first run of
 * PASS that changes the model is followed by a wrong rewrite: the first
 * float initializer a node reads gets 1.0 added to its first element,
 * exactly the kind of silent numeric damage a buggy pass does.
 */
#include <stdlib.h>
#include <string.h>

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
