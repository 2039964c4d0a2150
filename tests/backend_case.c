/*
 * backend_case.c - see backend_case.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "backend_case.h"

void *backend_read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	void *data = NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		if (n >= 0 && fseek(f, 0, SEEK_SET) == 0) {
			data = malloc(n > 0 ? (size_t)n : 1);
			if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
				free(data);
				data = NULL;
			}
			*size = (size_t)n;
		}
	}
	fclose(f);
	return data;
}

Onnx__TensorProto *backend_read_recorded(const char *case_dir, const char *kind,
                                         size_t index)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/test_data_set_0/%s_%zu.pb", case_dir,
	         kind, index);
	size_t size;
	void *data = backend_read_file(path, &size);
	if (!data)
		return NULL;
	Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, size, data);
	free(data);
	return t;
}

bool backend_is_tensor_info(const Onnx__ValueInfoProto *vi)
{
	return vi->type &&
	       vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
}
