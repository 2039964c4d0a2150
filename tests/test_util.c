/*
 * test_util.c - helpers for the Check suites (see test_util.h).
 */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

ir_model *tu_model(int64_t opset)
{
	return ir_model_create(8, opset);
}

ir_value *tu_input_typed(ir_graph *graph, const char *name, int elem_type,
                         const int64_t *dims, int rank)
{
	ir_dim shape[16];
	ck_assert_int_le(rank, 16);
	for (int i = 0; i < rank; i++)
		shape[i] = (ir_dim){IR_DIM_VALUE, dims[i], NULL};
	return ir_graph_add_input(graph, name, elem_type, rank, shape);
}

ir_value *tu_input(ir_graph *graph, const char *name, const int64_t *dims,
                   int rank)
{
	return tu_input_typed(graph, name, IR_FLOAT, dims, rank);
}

void tu_output(ir_value *value)
{
	ir_graph_add_output(value->graph, value);
}

static size_t element_count(const int64_t *dims, int rank)
{
	size_t n = 1;
	for (int i = 0; i < rank; i++)
		n *= (size_t)dims[i];
	return n;
}

static ir_value *initializer(ir_graph *graph, const char *hint, int elem_type,
                             const void *data, size_t elem_size,
                             const int64_t *dims, int rank)
{
	size_t size = element_count(dims, rank) * elem_size;
	ir_tensor *t =
	    ir_tensor_create(graph->model, elem_type, rank, dims, data, size);
	return ir_initializer_add(graph, hint, t);
}

ir_value *tu_initializer_f32(ir_graph *graph, const char *hint,
                             const float *data, const int64_t *dims, int rank)
{
	return initializer(graph, hint, IR_FLOAT, data, sizeof(float), dims,
	                   rank);
}

ir_value *tu_initializer_i64(ir_graph *graph, const char *hint,
                             const int64_t *data, const int64_t *dims, int rank)
{
	return initializer(graph, hint, IR_INT64, data, sizeof(int64_t), dims,
	                   rank);
}

ir_node *tu_node(ir_graph *graph, const char *op_type, ir_value *const *inputs,
                 int n_inputs, int n_outputs)
{
	ir_node *node =
	    ir_node_create(graph, op_type, "", inputs, n_inputs, n_outputs);
	ir_node_append(graph, node);
	return node;
}

ir_value *tu_output_of(const ir_node *node)
{
	return node->outputs[0];
}

static void add_changes(const pass_record *record, void *ctx)
{
	*(int *)ctx += record->changes;
}

int tu_run_status(ir_model *model, const char *passes, ir_status *status)
{
	pipeline p;
	if (!pipeline_parse(passes, &p, status))
		return -1;
	pipeline_options options;
	pipeline_options_init(&options);
	options.verify = true;
	int changes = 0;
	options.report = add_changes;
	options.report_ctx = &changes;
	bool ok = pipeline_run(model, &p, &options, status);
	pipeline_free(&p);
	return ok ? changes : -1;
}

int tu_run(ir_model *model, const char *passes)
{
	tu_assert_valid(model);
	ir_status status = {0};
	int changes = tu_run_status(model, passes, &status);
	ck_assert_msg(changes >= 0, "running '%s' failed: %s", passes,
	              status.message);
	return changes;
}

typedef struct op_count {
	const char *op_type;
	int count;
} op_count;

static void count_in_graph(ir_graph *graph, void *ctx)
{
	op_count *c = ctx;
	for (ir_node *n = graph->first; n; n = n->next)
		if (ir_node_is(n, c->op_type))
			c->count++;
}

int tu_count_ops(const ir_model *model, const char *op_type)
{
	op_count c = {op_type, 0};
	ir_graph_walk(model->graph, count_in_graph, &c);
	return c.count;
}

ir_node *tu_find_node(const ir_graph *graph, const char *op_type)
{
	for (ir_node *n = graph->first; n; n = n->next)
		if (ir_node_is(n, op_type))
			return n;
	return NULL;
}

void tu_assert_valid(const ir_model *model)
{
	ir_status status = {0};
	ck_assert_msg(ir_verify(model, &status), "IR invalid: %s",
	              status.message);
}

ir_model *tu_load_bytes(const void *data, size_t size)
{
	ir_status status = {0};
	ir_model *model = ir_model_load_buffer(data, size, false, &status);
	ck_assert_msg(model != NULL, "load failed: %s", status.message);
	tu_assert_valid(model);
	return model;
}

ir_model *tu_load_proto(proto_model *pm)
{
	size_t size;
	const uint8_t *bytes = proto_model_pack(pm, &size);
	return tu_load_bytes(bytes, size);
}

uint8_t *tu_save_bytes(ir_model *model, size_t *size)
{
	uint8_t *bytes = NULL;
	ir_status status = {0};
	ck_assert_msg(ir_model_save_buffer(model, &bytes, size, &status),
	              "save failed: %s", status.message);
	return bytes;
}

ir_model *tu_reload(ir_model *model)
{
	size_t size;
	uint8_t *bytes = tu_save_bytes(model, &size);
	ir_model_free(model);
	ir_model *loaded = tu_load_bytes(bytes, size);
	free(bytes);
	return loaded;
}

int tu_run_suite(Suite *suite)
{
	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_ENV);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? 0 : 1;
}
