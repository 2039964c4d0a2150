/*
 * test_util.h - build small IR graphs in C tests, run passes over them with
 * the verifier on, and look at the result.
 *
 *     ir_model *m = tu_model(17);
 *     ir_graph *g = m->graph;
 *     ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
 *     ir_value *b = tu_initializer_f32(g, "b", (float[]){1, 2, 3},
 *                                      TU_DIMS(3));
 *     ir_value *y = tu_op(g, "Add", x, b);
 *     tu_output(tu_op(g, "Relu", y));
 *     ck_assert_int_eq(tu_run(m, "dce"), 0);
 *     ck_assert_int_eq(tu_count_ops(m, "Add"), 1);
 *     ir_model_free(m);
 *
 * Nodes are appended in call order, so building a graph front to back
 * keeps it topologically sorted. Values and initializers get fresh names
 * derived from the hint ("b" becomes "b__oo3"); graph inputs keep their
 * exact names. Helpers that can fail inside a test (tu_run, tu_load_bytes,
 * tu_assert_valid) fail the Check test with the IR's message.
 */
#ifndef ONNXOPT_TESTS_TEST_UTIL_H
#define ONNXOPT_TESTS_TEST_UTIL_H

#include <check.h>

#include "ir.h"
#include "pass.h"
#include "proto_build.h"

/* A shape literal for the helpers below: TU_DIMS(2, 3) expands to the
 * dims array and its rank; TU_SCALAR is rank 0. */
#define TU_DIMS(...)                                                           \
	(const int64_t[]){__VA_ARGS__},                                        \
	    (int)(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t))
#define TU_SCALAR NULL, 0

/* An input list for tu_node: TU_VALUES(x, NULL, w); NULL is an absent
 * optional input. */
#define TU_VALUES(...)                                                         \
	(ir_value *const[]){__VA_ARGS__},                                      \
	    (int)(sizeof((ir_value *const[]){__VA_ARGS__}) /                   \
	          sizeof(ir_value *))

/* An empty model (IR version 8) importing the ONNX domain at `opset`. */
ir_model *tu_model(int64_t opset);

ir_value *tu_input(ir_graph *graph, const char *name, const int64_t *dims,
                   int rank);
ir_value *tu_input_typed(ir_graph *graph, const char *name, int elem_type,
                         const int64_t *dims, int rank);
void tu_output(ir_value *value);

ir_value *tu_initializer_f32(ir_graph *graph, const char *hint,
                             const float *data, const int64_t *dims, int rank);
ir_value *tu_initializer_i64(ir_graph *graph, const char *hint,
                             const int64_t *data, const int64_t *dims,
                             int rank);

/* Create a node with n_outputs fresh outputs and append it to the graph. */
ir_node *tu_node(ir_graph *graph, const char *op_type, ir_value *const *inputs,
                 int n_inputs, int n_outputs);
/* The one output of a new single-output node: tu_op(g, "Add", x, y). */
#define tu_op(graph, op_type, ...)                                             \
	tu_output_of(tu_node((graph), (op_type), TU_VALUES(__VA_ARGS__), 1))
ir_value *tu_output_of(const ir_node *node);

/* Run a pass list ("dce", "fold,dce", a group name) once through the pass
 * manager with ir_verify after every pass. Returns the number of changes
 * the passes reported; fails the test if the pipeline fails. */
int tu_run(ir_model *model, const char *passes);
/* The same, for tests that expect a failure: -1 with *status filled. */
int tu_run_status(ir_model *model, const char *passes, ir_status *status);

/* Nodes of this ONNX-domain op type, counting nodes in subgraphs. */
int tu_count_ops(const ir_model *model, const char *op_type);
/* The first node of `op_type` in `graph` (not its subgraphs), or NULL. */
ir_node *tu_find_node(const ir_graph *graph, const char *op_type);

/* Fail the test with the verifier's message if the IR is inconsistent. */
void tu_assert_valid(const ir_model *model);

/* Load bytes (copied) and fail the test if they do not load. */
ir_model *tu_load_bytes(const void *data, size_t size);
ir_model *tu_load_proto(proto_model *pm);
/* Save to memory and load the result back: what a consumer of the
 * optimized file would see. Frees `model`. */
ir_model *tu_reload(ir_model *model);
/* Save to a malloc'd buffer; fails the test on error. */
uint8_t *tu_save_bytes(ir_model *model, size_t *size);

/* Run one suite and return the process exit status (0: all passed). */
int tu_run_suite(Suite *suite);

#endif
