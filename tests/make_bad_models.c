/*
 * make_bad_models - write the models the CLI tests feed to onnx-opt.
 *
 *     make_bad_models DIR
 *
 * writes into DIR:
 *   good.onnx             x -> Add(w) -> Relu -> y, plus a dead Neg; the
 *                         weight w is 4000 bytes, so the graph field is
 *                         most of the file and cutting it in half lands
 *                         inside the graph
 *   undefined_value.onnx  node 'reads_ghost' reads 'ghost', defined nowhere
 *   cycle.onnx            'spin_a' and 'spin_b' read each other
 *   duplicate.onnx        'twice' is the output of two nodes
 *   custom_op.onnx        x -> Relu -> com.example:MyCustomOp -> y, valid
 *                         but with an op the evaluator has no kernel for
 *   random.bin            4096 bytes from a fixed-seed generator
 *
 * Written with protobuf-c (through proto_build.c), so the tests need no
 * Python or ONNX tooling at run time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "proto_build.h"

static int write_file(const char *dir, const char *name, const void *data,
                      size_t size)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		fprintf(stderr, "make_bad_models: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

static int write_model(const char *dir, const char *name, proto_model *pm)
{
	size_t size;
	const uint8_t *data = proto_model_pack(pm, &size);
	int rc = write_file(dir, name, data, size);
	proto_model_free(pm);
	return rc;
}

static proto_model *good_model(void)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	float w[1000];
	for (int i = 0; i < 1000; i++)
		w[i] = (float)(i % 7) - 3.0f;
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){1000}, 1);
	proto_graph_add_initializer(pm, g, "w", IR_FLOAT, (int64_t[]){1000}, 1,
	                            w, sizeof w);
	proto_graph_add_node(pm, g, "Add", "add", "x,w", "s");
	proto_graph_add_node(pm, g, "Neg", "dead", "s", "unused");
	proto_graph_add_node(pm, g, "Relu", "relu", "s", "y");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, (int64_t[]){1000}, 1);
	return pm;
}

static proto_model *undefined_value_model(void)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_node(pm, g, "Add", "reads_ghost", "x,ghost", "y");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, (int64_t[]){4}, 1);
	return pm;
}

static proto_model *cycle_model(void)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_node(pm, g, "Add", "spin_a", "x,b", "a");
	proto_graph_add_node(pm, g, "Relu", "spin_b", "a", "b");
	proto_graph_add_output(pm, g, "b", IR_FLOAT, (int64_t[]){4}, 1);
	return pm;
}

static proto_model *duplicate_model(void)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_node(pm, g, "Relu", "one", "x", "twice");
	proto_graph_add_node(pm, g, "Neg", "two", "x", "twice");
	proto_graph_add_output(pm, g, "twice", IR_FLOAT, (int64_t[]){4}, 1);
	return pm;
}

static proto_model *custom_op_model(void)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_node(pm, g, "Relu", "relu", "x", "r");
	Onnx__NodeProto *custom =
	    proto_graph_add_node(pm, g, "MyCustomOp", "custom", "r", "y");
	custom->domain = "com.example"; /* static, like the arena's strings */
	proto_graph_add_output(pm, g, "y", IR_FLOAT, (int64_t[]){4}, 1);
	return pm;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: make_bad_models DIR\n", stderr);
		return 2;
	}
	const char *dir = argv[1];
	int rc = 0;
	rc |= write_model(dir, "good.onnx", good_model());
	rc |= write_model(dir, "undefined_value.onnx", undefined_value_model());
	rc |= write_model(dir, "cycle.onnx", cycle_model());
	rc |= write_model(dir, "duplicate.onnx", duplicate_model());
	rc |= write_model(dir, "custom_op.onnx", custom_op_model());

	/* A 64-bit LCG: the same bytes on every run and machine. */
	uint8_t noise[4096];
	uint64_t state = 0x9E3779B97F4A7C15u;
	for (size_t i = 0; i < sizeof noise; i++) {
		state = state * 6364136223846793005u + 1442695040888963407u;
		noise[i] = (uint8_t)(state >> 56);
	}
	rc |= write_file(dir, "random.bin", noise, sizeof noise);
	return rc;
}
