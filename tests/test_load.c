/*
 * test_load.c - the loader turns bytes into valid IR or into an error
 * value, never into a crash or a half-built model.
 *
 * Each rejection asserts the status code, a NULL model and that the
 * message names the culprit (node, value or graph). The sanitizer build
 * runs these too, so every error path is also checked for leaks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir_limits.h"
#include "test_util.h"

static ir_status load_fails(const void *data, size_t size)
{
	ir_status status = {0};
	ir_model *m = ir_model_load_buffer(data, size, false, &status);
	ck_assert_msg(m == NULL, "bad bytes loaded as a model");
	ck_assert_int_ne(status.code, IR_OK);
	ck_assert_msg(status.message[0], "error without a message");
	return status;
}

static ir_status proto_load_fails(proto_model *pm)
{
	size_t size;
	const uint8_t *bytes = proto_model_pack(pm, &size);
	return load_fails(bytes, size);
}

#define ASSERT_MESSAGE_HAS(status, ...)                                        \
	do {                                                                   \
		const char *const phrases_[] = {__VA_ARGS__};                  \
		for (size_t i_ = 0; i_ < sizeof phrases_ / sizeof phrases_[0]; \
		     i_++)                                                     \
			ck_assert_msg(strstr((status).message, phrases_[i_]),  \
			              "message lacks '%s': %s", phrases_[i_],  \
			              (status).message);                       \
	} while (0)

/* x -> Relu -> y, with a weight big enough to be borrowed. */
static proto_model *small_model(void)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	float w[1000];
	for (int i = 0; i < 1000; i++)
		w[i] = (float)i * 0.5f;
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){1000}, 1);
	proto_graph_add_initializer(pm, g, "w", IR_FLOAT, (int64_t[]){1000}, 1,
	                            w, sizeof w);
	proto_graph_add_node(pm, g, "Add", "add", "x,w", "s");
	proto_graph_add_node(pm, g, "Relu", "relu", "s", "y");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, (int64_t[]){1000}, 1);
	return pm;
}

/* ---------------------------------------------------------- not a model */

START_TEST(test_rejects_bad_bytes)
{
	const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99};
	ir_status st = load_fails(junk, sizeof junk);
	ck_assert_int_eq(st.code, IR_ERR_PARSE);
	ASSERT_MESSAGE_HAS(st, "not an ONNX model");
}
END_TEST

START_TEST(test_rejects_text)
{
	const char *text = "this is a text file, not a model\n";
	ir_status st = load_fails(text, strlen(text));
	ck_assert_int_eq(st.code, IR_ERR_PARSE);
	ASSERT_MESSAGE_HAS(st, "not an ONNX model");
}
END_TEST

START_TEST(test_rejects_empty_buffer)
{
	ir_status st = load_fails("", 0);
	ck_assert_int_eq(st.code, IR_ERR_PARSE);
	ASSERT_MESSAGE_HAS(st, "not an ONNX model", "ir_version");
}
END_TEST

START_TEST(test_rejects_model_without_graph)
{
	proto_model *pm = proto_model_create(8, 17);
	proto_model_message(pm)->graph = NULL;
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_PARSE);
	ASSERT_MESSAGE_HAS(st, "not an ONNX model", "no graph");
	proto_model_free(pm);
}
END_TEST

START_TEST(test_rejects_truncated_model)
{
	proto_model *pm = small_model();
	size_t size;
	const uint8_t *bytes = proto_model_pack(pm, &size);
	ir_status st = load_fails(bytes, size / 2);
	ck_assert_int_eq(st.code, IR_ERR_PARSE);
	ASSERT_MESSAGE_HAS(st, "truncated");
	proto_model_free(pm);
}
END_TEST

/* Every prefix of a model either loads into valid IR or fails with a
 * message: no crash, no leak (under the sanitizers), no half model. */
START_TEST(test_every_prefix_fails_cleanly)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_initializer(pm, g, "w", IR_FLOAT, (int64_t[]){2}, 1,
	                            (float[]){1, 2}, 8);
	proto_graph_add_node(pm, g, "Add", "add", "x,w", "y");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, (int64_t[]){2}, 1);
	size_t size;
	const uint8_t *bytes = proto_model_pack(pm, &size);
	int loaded = 0;
	for (size_t n = 0; n < size; n++) {
		ir_status status = {0};
		ir_model *m = ir_model_load_buffer(bytes, n, false, &status);
		if (m) {
			tu_assert_valid(m);
			ir_model_free(m);
			loaded++;
		} else {
			ck_assert_int_ne(status.code, IR_OK);
			ck_assert_msg(status.message[0],
			              "prefix %zu: no message", n);
		}
	}
	/* At most the prefix that stops right after the graph field (before
	 * opset_import) is a complete model; the whole model loads. */
	ck_assert_int_le(loaded, 1);
	ir_model *whole = tu_load_bytes(bytes, size);
	ir_model_free(whole);
	proto_model_free(pm);
}
END_TEST

/* ------------------------------------------------------ invalid graphs */

START_TEST(test_rejects_undefined_value)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_node(pm, g, "Add", "add", "x,nowhere", "y");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "undefined", "'add'", "'nowhere'", "input 1");
	proto_model_free(pm);
}
END_TEST

/* The If cases: a model with inputs cond (bool) and x (float[2]). */
static proto_model *model_with_cond_and_x(Onnx__GraphProto **g)
{
	proto_model *pm = proto_model_create(8, 17);
	*g = proto_main_graph(pm);
	proto_graph_add_input(pm, *g, "cond", IR_BOOL, NULL, 0);
	proto_graph_add_input(pm, *g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	return pm;
}

/* Node "if": If(cond) -> y with the two branches. */
static void add_if(proto_model *pm, Onnx__GraphProto *g,
                   Onnx__GraphProto *then_g, Onnx__GraphProto *else_g)
{
	Onnx__NodeProto *n_if =
	    proto_graph_add_node(pm, g, "If", "if", "cond", "y");
	proto_node_set_attr_graph(pm, n_if, "then_branch", then_g);
	proto_node_set_attr_graph(pm, n_if, "else_branch", else_g);
}

/* A body may read outer values, but not one that exists nowhere. */
START_TEST(test_rejects_undefined_value_in_subgraph)
{
	Onnx__GraphProto *g;
	proto_model *pm = model_with_cond_and_x(&g);
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	proto_graph_add_node(pm, then_g, "Neg", "inner_neg", "ghost", "t");
	proto_graph_add_output(pm, then_g, "t", IR_FLOAT, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_node(pm, else_g, "Neg", "inner_ok", "x", "e");
	proto_graph_add_output(pm, else_g, "e", IR_FLOAT, NULL, -1);
	add_if(pm, g, then_g, else_g);
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "undefined", "'inner_neg'", "'ghost'");
	proto_model_free(pm);
}
END_TEST

/* A value defined inside a body is not visible to the outer graph. */
START_TEST(test_rejects_read_of_inner_value)
{
	Onnx__GraphProto *g;
	proto_model *pm = model_with_cond_and_x(&g);
	Onnx__GraphProto *body = proto_graph_create(pm, "then");
	proto_graph_add_node(pm, body, "Neg", "inner", "x", "secret");
	proto_graph_add_output(pm, body, "secret", IR_FLOAT, NULL, -1);
	add_if(pm, g, body, body);
	proto_graph_add_node(pm, g, "Relu", "outer", "secret", "z");
	proto_graph_add_output(pm, g, "z", IR_FLOAT, NULL, -1);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "'outer'", "'secret'");
	proto_model_free(pm);
}
END_TEST

START_TEST(test_rejects_cycle)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_node(pm, g, "Add", "loop_a", "x,b", "a");
	proto_graph_add_node(pm, g, "Neg", "loop_b", "a", "b");
	proto_graph_add_node(pm, g, "Relu", "after", "b", "y");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "cycle");
	ck_assert_msg(strstr(st.message, "'loop_a'") ||
	                  strstr(st.message, "'loop_b'"),
	              "message names no node of the cycle: %s", st.message);
	proto_model_free(pm);
}
END_TEST

/* A branch that returns an outer value reads it when the If runs, so a
 * branch returning a value computed from the If's own output is a cycle,
 * though no node input records it. (A fuzzer found this one: accepted,
 * then folding the If wrote a graph out of order.) */
START_TEST(test_rejects_cycle_through_branch_output)
{
	Onnx__GraphProto *g;
	proto_model *pm = model_with_cond_and_x(&g);
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	proto_graph_add_output(pm, then_g, "later", IR_FLOAT, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_node(pm, else_g, "Neg", "inner", "x", "e");
	proto_graph_add_output(pm, else_g, "e", IR_FLOAT, NULL, -1);
	add_if(pm, g, then_g, else_g);
	proto_graph_add_node(pm, g, "Relu", "from_if", "y", "later");
	proto_graph_add_output(pm, g, "later", IR_FLOAT, NULL, -1);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "cycle");
	proto_model_free(pm);
}
END_TEST

START_TEST(test_rejects_self_loop)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_node(pm, g, "Neg", "self", "y", "y");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "cycle", "'self'");
	proto_model_free(pm);
}
END_TEST

START_TEST(test_rejects_duplicate_node_output)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_node(pm, g, "Relu", "first", "x", "twice");
	proto_graph_add_node(pm, g, "Neg", "second", "x", "twice");
	proto_graph_add_output(pm, g, "twice", IR_FLOAT, NULL, -1);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "defined twice", "'twice'");
	proto_model_free(pm);
}
END_TEST

START_TEST(test_rejects_node_output_shadowing_input)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_node(pm, g, "Relu", "clobber", "x", "x");
	proto_graph_add_output(pm, g, "x", IR_FLOAT, NULL, -1);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "defined twice", "'x'");
	proto_model_free(pm);
}
END_TEST

START_TEST(test_rejects_duplicate_initializer)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	float one = 1;
	proto_graph_add_initializer(pm, g, "k", IR_FLOAT, NULL, 0, &one, 4);
	proto_graph_add_initializer(pm, g, "k", IR_FLOAT, NULL, 0, &one, 4);
	proto_graph_add_output(pm, g, "k", IR_FLOAT, NULL, 0);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "defined twice", "'k'");
	proto_model_free(pm);
}
END_TEST

START_TEST(test_rejects_input_listed_twice)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_output(pm, g, "x", IR_FLOAT, NULL, -1);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "listed twice", "'x'");
	proto_model_free(pm);
}
END_TEST

START_TEST(test_rejects_undefined_graph_output)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_output(pm, g, "phantom", IR_FLOAT, NULL, -1);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "graph output", "'phantom'", "not defined");
	proto_model_free(pm);
}
END_TEST

START_TEST(test_rejects_node_without_op_type)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	Onnx__NodeProto *n =
	    proto_graph_add_node(pm, g, "Relu", "anonymous", "x", "y");
	n->op_type = NULL;
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "no op_type", "'anonymous'");
	proto_model_free(pm);
}
END_TEST

START_TEST(test_rejects_unnamed_initializer)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	float one = 1;
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_initializer(pm, g, "", IR_FLOAT, NULL, 0, &one, 4);
	proto_graph_add_output(pm, g, "x", IR_FLOAT, NULL, -1);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "initializer 0", "no name");
	proto_model_free(pm);
}
END_TEST

/* `depth` If nodes, each nested in the then-branch of the one above. */
static proto_model *nested_ifs(int depth)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *outer = proto_main_graph(pm);
	proto_graph_add_input(pm, outer, "cond", IR_BOOL, NULL, 0);
	char name[32];
	for (int level = 0; level < depth; level++) {
		Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
		Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
		snprintf(name, sizeof name, "e%d", level);
		proto_graph_add_node(pm, else_g, "Identity", NULL, "cond",
		                     name);
		proto_graph_add_output(pm, else_g, name, IR_BOOL, NULL, 0);
		snprintf(name, sizeof name, "r%d", level);
		Onnx__NodeProto *n =
		    proto_graph_add_node(pm, outer, "If", NULL, "cond", name);
		proto_node_set_attr_graph(pm, n, "then_branch", then_g);
		proto_node_set_attr_graph(pm, n, "else_branch", else_g);
		proto_graph_add_output(pm, outer, name, IR_BOOL, NULL, 0);
		outer = then_g;
	}
	proto_graph_add_node(pm, outer, "Identity", NULL, "cond", "last");
	proto_graph_add_output(pm, outer, "last", IR_BOOL, NULL, 0);
	return pm;
}

/* The main graph and IR_MAX_NESTING - 1 levels of If: at the limit. */
START_TEST(test_loads_nesting_up_to_the_limit)
{
	proto_model *pm = nested_ifs(IR_MAX_NESTING - 1);
	ir_model *m = tu_load_proto(pm);
	ck_assert_int_eq(m->n_graphs_total, 1 + 2 * (IR_MAX_NESTING - 1));
	ck_assert_int_eq(tu_count_ops(m, "If"), IR_MAX_NESTING - 1);
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/* One level past the limit is refused by the wire check, before
 * protobuf-c's unpack recurses, with a message naming the limit. */
START_TEST(test_rejects_deep_nesting)
{
	proto_model *pm = nested_ifs(IR_MAX_NESTING);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_PARSE);
	ASSERT_MESSAGE_HAS(st, "limit of 1024 levels");
	proto_model_free(pm);
}
END_TEST

/* ----------------------------------------------------- lying tensors */

/* x -> Add(w) -> y, where w's header is set by the caller. */
static Onnx__TensorProto *lying_initializer(proto_model *pm,
                                            const int64_t *dims, int rank)
{
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, NULL, -1);
	float data[4] = {1, 2, 3, 4};
	proto_graph_add_initializer(pm, g, "w", IR_FLOAT, dims, rank, data,
	                            sizeof data);
	proto_graph_add_node(pm, g, "Add", "add", "x,w", "y");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	return g->initializer[0];
}

START_TEST(test_rejects_negative_dim)
{
	proto_model *pm = proto_model_create(8, 17);
	lying_initializer(pm, (int64_t[]){-4}, 1);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "initializer 'w'", "negative dim");
	proto_model_free(pm);
}
END_TEST

/* dims whose product, or whose byte size, wraps 64 bits: 4 x (2^62 + 1)
 * bytes is 4 modulo 2^64, which a careless check would match. */
START_TEST(test_rejects_wrapping_dims)
{
	proto_model *pm = proto_model_create(8, 17);
	lying_initializer(pm, (int64_t[]){((int64_t)1 << 62) + 1}, 1);
	ir_status st = proto_load_fails(pm);
	ASSERT_MESSAGE_HAS(st, "initializer 'w'", "64 bits");
	proto_model_free(pm);
	pm = proto_model_create(8, 17);
	lying_initializer(pm, (int64_t[]){1 << 30, 1 << 30, 1 << 30}, 3);
	st = proto_load_fails(pm);
	ASSERT_MESSAGE_HAS(st, "initializer 'w'", "64 bits");
	proto_model_free(pm);
}
END_TEST

START_TEST(test_rejects_raw_size_mismatch)
{
	proto_model *pm = proto_model_create(8, 17);
	lying_initializer(pm, (int64_t[]){1 << 28}, 1);
	ir_status st = proto_load_fails(pm);
	ck_assert_int_eq(st.code, IR_ERR_INVALID);
	ASSERT_MESSAGE_HAS(st, "initializer 'w'", "16 bytes of raw_data",
	                   "1073741824");
	proto_model_free(pm);
}
END_TEST

START_TEST(test_rejects_typed_count_mismatch)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__TensorProto *t = lying_initializer(pm, (int64_t[]){4}, 1);
	t->has_raw_data = 0;
	static float three[] = {1, 2, 3};
	t->n_float_data = 3;
	t->float_data = three;
	ir_status st = proto_load_fails(pm);
	ASSERT_MESSAGE_HAS(st, "initializer 'w'", "holds 3 data entries",
	                   "need 4");
	proto_model_free(pm);
	/* No data at all for a claimed 2^28 strings. */
	pm = proto_model_create(8, 17);
	t = lying_initializer(pm, (int64_t[]){1 << 28}, 1);
	t->has_raw_data = 0;
	t->data_type = IR_STRING;
	st = proto_load_fails(pm);
	ASSERT_MESSAGE_HAS(st, "initializer 'w'", "holds 0 data entries");
	proto_model_free(pm);
}
END_TEST

START_TEST(test_rejects_lying_attribute_tensor)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	Onnx__NodeProto *n =
	    proto_graph_add_node(pm, g, "Constant", "const", "", "y");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	Onnx__TensorProto *value = proto_take(pm, sizeof *value);
	onnx__tensor_proto__init(value);
	value->has_data_type = 1;
	value->data_type = IR_INT64;
	value->n_dims = 1;
	value->dims = proto_take(pm, sizeof *value->dims);
	value->dims[0] = ((int64_t)1 << 61) + 1;
	value->n_int64_data = 1;
	value->int64_data = proto_take(pm, sizeof(int64_t));
	Onnx__AttributeProto *a = proto_take(pm, sizeof *a);
	onnx__attribute_proto__init(a);
	a->name = proto_string(pm, "value");
	a->has_type = 1;
	a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
	a->t = value;
	n->n_attribute = 1;
	n->attribute = proto_take(pm, sizeof *n->attribute);
	n->attribute[0] = a;
	ir_status st = proto_load_fails(pm);
	ASSERT_MESSAGE_HAS(st, "attribute 'value' of node 'const'", "64 bits");
	proto_model_free(pm);
}
END_TEST

/* ------------------------------------------------------------- files */

START_TEST(test_missing_file)
{
	ir_status st = {0};
	ck_assert_ptr_null(
	    ir_model_load_file("/nonexistent/dir/model.onnx", &st));
	ck_assert_int_eq(st.code, IR_ERR_IO);
	ASSERT_MESSAGE_HAS(st, "/nonexistent/dir/model.onnx");
}
END_TEST

START_TEST(test_directory_is_not_a_model)
{
	ir_status st = {0};
	ck_assert_ptr_null(ir_model_load_file("/", &st));
	ck_assert_int_eq(st.code, IR_ERR_IO);
	ASSERT_MESSAGE_HAS(st, "not a regular file");
}
END_TEST

START_TEST(test_empty_file)
{
	char path[] = "/tmp/onnxopt-test-empty-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ir_status st = {0};
	ir_model *m = ir_model_load_file(path, &st);
	unlink(path);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(st.code, IR_ERR_PARSE);
}
END_TEST

/* ------------------------------------------------------------- success */

/* Borrowed payloads sit wherever the file put them: no alignment. */
static float float_at(const void *raw, size_t index)
{
	float f;
	memcpy(&f, (const uint8_t *)raw + index * sizeof f, sizeof f);
	return f;
}

static bool points_into(const void *p, const void *base, size_t size)
{
	const uint8_t *b = base;
	return (const uint8_t *)p >= b && (const uint8_t *)p < b + size;
}

START_TEST(test_load_borrows_or_copies_weights)
{
	proto_model *pm = small_model();
	size_t size;
	const uint8_t *packed = proto_model_pack(pm, &size);
	uint8_t *bytes = malloc(size);
	memcpy(bytes, packed, size);

	ir_status st = {0};
	ir_model *borrowed = ir_model_load_buffer(bytes, size, true, &st);
	ck_assert_msg(borrowed != NULL, "%s", st.message);
	ir_value *w = ir_graph_lookup(borrowed->graph, "w");
	ck_assert_ptr_nonnull(w);
	ck_assert_uint_eq(w->tensor->raw_size, 4000);
	ck_assert(points_into(w->tensor->raw, bytes, size));
	ck_assert_float_eq(float_at(w->tensor->raw, 3), 1.5f);
	tu_assert_valid(borrowed);

	ir_model *copied = ir_model_load_buffer(bytes, size, false, &st);
	ck_assert_msg(copied != NULL, "%s", st.message);
	w = ir_graph_lookup(copied->graph, "w");
	ck_assert(!points_into(w->tensor->raw, bytes, size));
	memset(bytes, 0, size); /* the copy must not care */
	ck_assert_float_eq(float_at(w->tensor->raw, 3), 1.5f);

	ir_model_free(borrowed);
	ir_model_free(copied);
	free(bytes);
	proto_model_free(pm);
}
END_TEST

START_TEST(test_load_builds_ir)
{
	proto_model *pm = small_model();
	ir_model *m = tu_load_proto(pm);
	ir_graph *g = m->graph;
	ck_assert_int_eq(m->ir_version, 8);
	ck_assert_int_eq(ir_model_opset(m, ""), 17);
	ck_assert_int_eq(g->n_inputs, 1);
	ck_assert_int_eq(g->n_initializers, 1);
	ck_assert_int_eq(g->n_nodes, 2);
	ck_assert_str_eq(g->first->name, "add");
	ck_assert_str_eq(g->last->name, "relu");
	ir_value *s = ir_graph_lookup(g, "s");
	ck_assert_ptr_eq(s->producer, g->first);
	ck_assert_int_eq(s->n_uses, 1);
	ck_assert_ptr_eq(s->uses[0].node, g->last);
	ck_assert_int_eq(g->n_outputs, 1);
	ck_assert_str_eq(g->outputs[0]->name, "y");
	ir_value *x = ir_graph_lookup(g, "x");
	ck_assert_int_eq(x->type.elem_type, IR_FLOAT);
	ck_assert_int_eq(x->type.rank, 1);
	ck_assert_int_eq(x->type.dims[0].value, 1000);
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/* Nodes out of file order are sorted on load. */
START_TEST(test_load_sorts_unsorted_graph)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_node(pm, g, "Neg", "second", "a", "y");
	proto_graph_add_node(pm, g, "Relu", "first", "x", "a");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	ir_model *m = tu_load_proto(pm);
	ck_assert_str_eq(m->graph->first->name, "first");
	ck_assert_str_eq(m->graph->last->name, "second");
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/* A branch returning an outer value defined later in the file is valid
 * ONNX once sorted: the producer moves ahead of the If, and the verifier,
 * which checks that order, accepts the result. */
START_TEST(test_load_sorts_producer_of_branch_output)
{
	Onnx__GraphProto *g;
	proto_model *pm = model_with_cond_and_x(&g);
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	proto_graph_add_output(pm, then_g, "n", IR_FLOAT, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_output(pm, else_g, "x", IR_FLOAT, NULL, -1);
	add_if(pm, g, then_g, else_g);
	proto_graph_add_node(pm, g, "Neg", "producer", "x", "n");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	ir_model *m = tu_load_proto(pm);
	ck_assert_str_eq(m->graph->first->name, "producer");
	ck_assert_str_eq(m->graph->last->name, "if");
	ir_status st = {0};
	ck_assert_msg(ir_verify(m, &st), "%s", st.message);
	/* Let the branch return a value defined after the If, as a broken
	 * pass could: the verifier must object. */
	ir_node *n_if_ir = m->graph->last;
	ir_value *n = m->graph->first->outputs[0];
	ir_node *late = ir_node_create(m->graph, "Identity", "", &n, 1, 1);
	ir_node_append(m->graph, late);
	ir_graph_set_output(ir_node_attr(n_if_ir, "then_branch")->graph, 0,
	                    late->outputs[0]);
	ck_assert(!ir_verify(m, &st));
	ASSERT_MESSAGE_HAS(st, late->outputs[0]->name, "before it is defined");
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/* A weight stored outside the file (data_location = EXTERNAL) is a
 * reference the IR keeps: it is not a constant that passes may read, and
 * the reference survives optimization and saving unchanged. */
START_TEST(test_external_data_survives)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_initializer(pm, g, "w", IR_FLOAT, (int64_t[]){4}, 1,
	                            NULL, 0);
	Onnx__TensorProto *w = g->initializer[g->n_initializer - 1];
	w->has_raw_data = 0;
	w->has_data_location = 1;
	w->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	Onnx__StringStringEntryProto location =
	    ONNX__STRING_STRING_ENTRY_PROTO__INIT;
	location.key = "location";
	location.value = "weights.bin";
	Onnx__StringStringEntryProto *entries[] = {&location};
	w->n_external_data = 1;
	w->external_data = entries;
	/* Two consumers of w: folding must not read it, dce must keep it. */
	proto_graph_add_node(pm, g, "Add", "add", "x,w", "y");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, (int64_t[]){4}, 1);

	ir_model *m = tu_load_proto(pm);
	w->n_external_data = 0; /* entries live on this stack frame */
	w->external_data = NULL;
	ir_value *wv = ir_graph_lookup(m->graph, "w");
	ck_assert(wv->tensor->external);
	ck_assert(!ir_value_is_constant(wv));
	tu_run(m, "fold,eliminate,fuse,dce");
	ck_assert_int_eq(tu_count_ops(m, "Add"), 1);

	struct ir_arena *arena;
	Onnx__ModelProto *out = ir_export(m, &arena);
	ck_assert_uint_eq(out->graph->n_initializer, 1);
	const Onnx__TensorProto *t = out->graph->initializer[0];
	ck_assert(t->has_data_location);
	ck_assert_int_eq(t->data_location,
	                 ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL);
	ck_assert_uint_eq(t->n_external_data, 1);
	ck_assert_str_eq(t->external_data[0]->key, "location");
	ck_assert_str_eq(t->external_data[0]->value, "weights.bin");
	ck_assert(!t->has_raw_data);
	ir_export_free(arena);
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/* Fields this schema does not know (a newer IR's) are carried through:
 * appended to the model and to its graph, they come out of load, passes
 * and save unchanged. */
START_TEST(test_unknown_fields_survive)
{
	proto_model *pm = small_model();
	Onnx__ModelProto *mp = proto_model_message(pm);
	/* Field 1000 (varint 42) and field 1001 (bytes "new"), as raw wire
	 * data on the graph; protobuf-c keeps them as unknown fields. */
	static const uint8_t extra[] = {0xC0, 0x3E, 42,  0xCA, 0x3E,
	                                3,    'n',  'e', 'w'};
	size_t graph_size = onnx__graph_proto__get_packed_size(mp->graph);
	uint8_t *graph_bytes = malloc(graph_size + sizeof extra);
	onnx__graph_proto__pack(mp->graph, graph_bytes);
	memcpy(graph_bytes + graph_size, extra, sizeof extra);
	Onnx__GraphProto *g = onnx__graph_proto__unpack(
	    NULL, graph_size + sizeof extra, graph_bytes);
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->base.n_unknown_fields, 2);
	Onnx__GraphProto *original_graph = mp->graph;
	mp->graph = g;
	size_t size = onnx__model_proto__get_packed_size(mp);
	uint8_t *bytes = malloc(size + sizeof extra);
	onnx__model_proto__pack(mp, bytes);
	memcpy(bytes + size, extra, sizeof extra); /* and on the model */
	mp->graph = original_graph;
	onnx__graph_proto__free_unpacked(g, NULL);

	ir_model *m = tu_load_bytes(bytes, size + sizeof extra);
	tu_run(m, "fold,eliminate,fuse,dce");
	struct ir_arena *arena;
	Onnx__ModelProto *out = ir_export(m, &arena);
	size_t out_size = onnx__model_proto__get_packed_size(out);
	uint8_t *out_bytes = malloc(out_size);
	onnx__model_proto__pack(out, out_bytes);
	ir_export_free(arena);
	Onnx__ModelProto *back =
	    onnx__model_proto__unpack(NULL, out_size, out_bytes);
	ck_assert_ptr_nonnull(back);
	ck_assert_uint_eq(back->base.n_unknown_fields, 2);
	ck_assert_uint_eq(back->graph->base.n_unknown_fields, 2);
	for (int level = 0; level < 2; level++) {
		const ProtobufCMessage *msg =
		    level ? &back->graph->base : &back->base;
		ck_assert_uint_eq(msg->unknown_fields[0].tag, 1000);
		ck_assert_uint_eq(msg->unknown_fields[1].tag, 1001);
		ck_assert_uint_eq(msg->unknown_fields[1].len, 4);
		ck_assert(!memcmp(msg->unknown_fields[1].data, "\x03new", 4));
	}
	onnx__model_proto__free_unpacked(back, NULL);
	free(out_bytes);
	ir_model_free(m);
	free(bytes);
	free(graph_bytes);
	proto_model_free(pm);
}
END_TEST

static Suite *load_suite(void)
{
	Suite *s = suite_create("load");
	TCase *bytes = tcase_create("not a model");
	tcase_add_test(bytes, test_rejects_bad_bytes);
	tcase_add_test(bytes, test_rejects_text);
	tcase_add_test(bytes, test_rejects_empty_buffer);
	tcase_add_test(bytes, test_rejects_model_without_graph);
	tcase_add_test(bytes, test_rejects_truncated_model);
	tcase_add_test(bytes, test_every_prefix_fails_cleanly);
	suite_add_tcase(s, bytes);
	TCase *invalid = tcase_create("invalid graph");
	tcase_add_test(invalid, test_rejects_undefined_value);
	tcase_add_test(invalid, test_rejects_undefined_value_in_subgraph);
	tcase_add_test(invalid, test_rejects_read_of_inner_value);
	tcase_add_test(invalid, test_rejects_cycle);
	tcase_add_test(invalid, test_rejects_cycle_through_branch_output);
	tcase_add_test(invalid, test_rejects_self_loop);
	tcase_add_test(invalid, test_rejects_duplicate_node_output);
	tcase_add_test(invalid, test_rejects_node_output_shadowing_input);
	tcase_add_test(invalid, test_rejects_duplicate_initializer);
	tcase_add_test(invalid, test_rejects_input_listed_twice);
	tcase_add_test(invalid, test_rejects_undefined_graph_output);
	tcase_add_test(invalid, test_rejects_node_without_op_type);
	tcase_add_test(invalid, test_rejects_unnamed_initializer);
	tcase_add_test(invalid, test_rejects_deep_nesting);
	tcase_add_test(invalid, test_loads_nesting_up_to_the_limit);
	tcase_add_test(invalid, test_rejects_negative_dim);
	tcase_add_test(invalid, test_rejects_wrapping_dims);
	tcase_add_test(invalid, test_rejects_raw_size_mismatch);
	tcase_add_test(invalid, test_rejects_typed_count_mismatch);
	tcase_add_test(invalid, test_rejects_lying_attribute_tensor);
	suite_add_tcase(s, invalid);
	TCase *files = tcase_create("files");
	tcase_add_test(files, test_missing_file);
	tcase_add_test(files, test_directory_is_not_a_model);
	tcase_add_test(files, test_empty_file);
	suite_add_tcase(s, files);
	TCase *ok = tcase_create("loads");
	tcase_add_test(ok, test_load_borrows_or_copies_weights);
	tcase_add_test(ok, test_load_builds_ir);
	tcase_add_test(ok, test_load_sorts_unsorted_graph);
	tcase_add_test(ok, test_load_sorts_producer_of_branch_output);
	tcase_add_test(ok, test_external_data_survives);
	tcase_add_test(ok, test_unknown_fields_survive);
	suite_add_tcase(s, ok);
	return s;
}

int main(void)
{
	return tu_run_suite(load_suite());
}
