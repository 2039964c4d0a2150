/*
 * backend_case.h - reading ONNX backend test cases (a directory with
 * model.onnx and test_data_set_0/{input,output}_N.pb), shared by the
 * fold and shape harnesses.
 */
#ifndef ONNXOPT_TESTS_BACKEND_CASE_H
#define ONNXOPT_TESTS_BACKEND_CASE_H

#include <stdbool.h>
#include <stddef.h>

#include "onnx.pb-c.h"

/* The whole file in a malloc'd buffer, or NULL. */
void *backend_read_file(const char *path, size_t *size);
/* test_data_set_0/<kind>_<index>.pb of a case as a TensorProto (free with
 * onnx__tensor_proto__free_unpacked), or NULL when missing or not a
 * tensor. kind is "input" or "output". */
Onnx__TensorProto *backend_read_recorded(const char *case_dir, const char *kind,
                                         size_t index);
/* Does the value info declare a tensor type? */
bool backend_is_tensor_info(const Onnx__ValueInfoProto *vi);

#endif
