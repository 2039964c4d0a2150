/*
 * test_verify.c - ir_verify accepts good IR and rejects each corruption.
 *
 * The corruptions are made by poking the structs directly, bypassing the
 * mutation API: that is what a buggy pass would do, and the verifier is
 * what must catch it. Each test asserts the rejection, the key phrase of
 * the message and that the message names the element at fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ir_impl.h"
#include "test_util.h"

/*
 *   x, w(initializer) -> Add -> a -> Neg -> b (output)
 */
typedef struct base {
	ir_model *model;
	ir_graph *graph;
	ir_value *x, *w, *a, *b;
	ir_node *add, *neg;
} base;

static base base_model(void)
{
	base t;
	t.model = tu_model(17);
	t.graph = t.model->graph;
	t.x = tu_input(t.graph, "x", TU_DIMS(3));
	t.w = tu_initializer_f32(t.graph, "w", (float[]){1, 2, 3}, TU_DIMS(3));
	t.add = tu_node(t.graph, "Add", TU_VALUES(t.x, t.w), 1);
	t.a = t.add->outputs[0];
	t.neg = tu_node(t.graph, "Neg", TU_VALUES(t.a), 1);
	t.b = t.neg->outputs[0];
	tu_output(t.b);
	tu_assert_valid(t.model);
	return t;
}

/*
 * main: x, cond -> a = Relu(x) -> If(cond) -> out
 *       then: t = Neg(a); else: e = Identity(x)
 */
static ir_model *if_model(void)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_input(pm, g, "cond", IR_BOOL, NULL, 0);
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	proto_graph_add_node(pm, then_g, "Neg", "neg", "a", "t");
	proto_graph_add_output(pm, then_g, "t", IR_FLOAT, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_node(pm, else_g, "Identity", "id", "x", "e");
	proto_graph_add_output(pm, else_g, "e", IR_FLOAT, NULL, -1);
	proto_graph_add_node(pm, g, "Relu", "relu", "x", "a");
	Onnx__NodeProto *n_if =
	    proto_graph_add_node(pm, g, "If", "if", "cond", "out");
	proto_node_set_attr_graph(pm, n_if, "then_branch", then_g);
	proto_node_set_attr_graph(pm, n_if, "else_branch", else_g);
	proto_graph_add_output(pm, g, "out", IR_FLOAT, NULL, -1);
	ir_model *m = tu_load_proto(pm);
	proto_model_free(pm);
	return m;
}

static ir_graph *then_branch(ir_model *m)
{
	return ir_node_attr(tu_find_node(m->graph, "If"), "then_branch")->graph;
}

/* Reject, with every phrase in the message. */
#define ASSERT_REJECTED(model, ...)                                            \
	assert_rejected((model), (const char *const[]){__VA_ARGS__, NULL})

static void assert_rejected(const ir_model *model, const char *const *phrases)
{
	ir_status status = {0};
	ck_assert_msg(!ir_verify(model, &status),
	              "the verifier accepted corrupt IR");
	ck_assert_int_eq(status.code, IR_ERR_PASS);
	for (int i = 0; phrases[i]; i++)
		ck_assert_msg(strstr(status.message, phrases[i]),
		              "message lacks '%s': %s", phrases[i],
		              status.message);
}

/* Append a use entry without touching the node (a stale entry). */
static void poke_extra_use(ir_value *v, ir_node *node, int index)
{
	v->uses = ir_grow(v->graph->model, v->uses, &v->cap_uses, v->n_uses + 1,
	                  sizeof *v->uses);
	v->uses[v->n_uses++] = (ir_use){node, index};
}

static void poke_drop_use(ir_value *v, const ir_node *node, int index)
{
	for (int u = 0; u < v->n_uses; u++)
		if (v->uses[u].node == node && v->uses[u].index == index) {
			v->uses[u] = v->uses[--v->n_uses];
			return;
		}
	ck_abort_msg("no such use to drop");
}

/* ------------------------------------------------------------- accepts */

START_TEST(test_accepts_built_and_edited_ir)
{
	base t = base_model();
	ir_node *relu = ir_node_create(t.graph, "Relu", "", TU_VALUES(t.x), 1);
	ir_node_insert_before(t.add, relu);
	ir_node_set_input(t.add, 0, relu->outputs[0]);
	tu_assert_valid(t.model);
	ir_model_free(t.model);
}
END_TEST

START_TEST(test_accepts_subgraphs)
{
	ir_model *m = if_model();
	tu_assert_valid(m);
	ir_model_free(m);
}
END_TEST

/* Real models with If, Loop and Scan bodies, when the test data is here. */
START_TEST(test_accepts_testdata_with_bodies)
{
	static const char *const cases[] = {
	    "node/test_if",
	    "node/test_loop11",
	    "node/test_loop13_seq",
	    "node/test_scan9_sum",
	    "node/test_range_float_type_positive_delta_expanded",
	};
	const char *root = getenv("ONNXOPT_TESTDATA");
	if (!root)
		root = "/usr/share/libonnx-testdata/data";
	struct stat st;
	if (stat(root, &st) != 0)
		return; /* test data not installed */
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s/model.onnx", root, cases[i]);
		ir_status status = {0};
		ir_model *m = ir_model_load_file(path, &status);
		ck_assert_msg(m != NULL, "%s: %s", path, status.message);
		ck_assert_msg(m->n_graphs_total > 1, "%s has no body", path);
		ck_assert_msg(ir_verify(m, &status), "%s: %s", path,
		              status.message);
		ir_model_free(m);
	}
}
END_TEST

/* ------------------------------------------------------------- rejects */

START_TEST(test_rejects_stale_use_entry)
{
	base t = base_model();
	/* x claims to be read by Neg, which reads a. */
	poke_extra_use(t.x, t.neg, 0);
	ASSERT_REJECTED(t.model, "stale", t.x->name, t.neg->name);
	ir_model_free(t.model);
}
END_TEST

START_TEST(test_rejects_use_entry_past_inputs)
{
	base t = base_model();
	poke_extra_use(t.a, t.neg, 5);
	ASSERT_REJECTED(t.model, "stale", t.a->name);
	ir_model_free(t.model);
}
END_TEST

START_TEST(test_rejects_missing_use_entry)
{
	base t = base_model();
	poke_drop_use(t.a, t.neg, 0);
	ASSERT_REJECTED(t.model, "use list", t.a->name, t.neg->name);
	ir_model_free(t.model);
}
END_TEST

START_TEST(test_rejects_duplicate_use_entry)
{
	base t = base_model();
	poke_extra_use(t.a, t.neg, 0);
	ASSERT_REJECTED(t.model, "use list of", t.a->name, "input 0 twice");
	ir_model_free(t.model);
}
END_TEST

/* Both sides at once: w's entry for Add's slot 1 is doubled and x's for
 * slot 0 is gone, so the totals still agree (3 entries, 3 slots). */
START_TEST(test_rejects_duplicate_beside_missing_use_entry)
{
	base t = base_model();
	poke_extra_use(t.w, t.add, 1);
	poke_drop_use(t.x, t.add, 0);
	ASSERT_REJECTED(t.model, "use list of", t.w->name, "input 1 twice");
	ir_model_free(t.model);
}
END_TEST

/* An input rewired by hand: the slot changes, the use lists do not. */
START_TEST(test_rejects_input_set_without_api)
{
	base t = base_model();
	t.neg->inputs[0] = t.x;
	ASSERT_REJECTED(t.model, t.neg->name);
	ir_model_free(t.model);
}
END_TEST

START_TEST(test_rejects_out_of_order_node)
{
	base t = base_model();
	/* Swap Add and Neg in the list: Neg now reads a before Add. */
	ir_graph *g = t.graph;
	g->first = t.neg;
	g->last = t.add;
	t.neg->prev = NULL;
	t.neg->next = t.add;
	t.add->prev = t.neg;
	t.add->next = NULL;
	ASSERT_REJECTED(t.model, "topological order", t.neg->name, t.a->name);
	ir_model_free(t.model);
}
END_TEST

START_TEST(test_rejects_corrupt_node_list)
{
	base t = base_model();
	t.neg->prev = NULL; /* broken back link */
	ASSERT_REJECTED(t.model, "node list", t.neg->name);
	t.neg->prev = t.add;
	t.graph->n_nodes = 3;
	ASSERT_REJECTED(t.model, "node list", "3");
	ir_model_free(t.model);
}
END_TEST

/* An outer node reads a value defined inside an If body. The use lists
 * agree (ir_node_set_input keeps them), but the name does not resolve in
 * the outer scope. */
START_TEST(test_rejects_input_out_of_scope)
{
	ir_model *m = if_model();
	ir_graph *inner = then_branch(m);
	ir_value *t = ir_graph_lookup(inner, "t");
	ir_node *relu = tu_find_node(m->graph, "Relu");
	ir_node_set_input(relu, 0, t);
	ASSERT_REJECTED(m, "does not resolve in scope", "relu", "'t'");
	ir_model_free(m);
}
END_TEST

/* A value from another model, with a name that does resolve: to a
 * different object. */
START_TEST(test_rejects_foreign_value)
{
	base t = base_model();
	base other = base_model();
	ir_node_set_input(t.neg, 0, other.a);
	ASSERT_REJECTED(t.model, "does not resolve in scope", t.neg->name);
	ir_node_set_input(t.neg, 0, t.a);
	ir_model_free(other.model);
	ir_model_free(t.model);
}
END_TEST

/* An initializer removed by hand while Add still reads it. */
START_TEST(test_rejects_removed_value_still_used)
{
	base t = base_model();
	ir_graph *g = t.graph;
	g->n_initializers = 0;
	ir_scope_remove(t.w);
	ASSERT_REJECTED(t.model, "does not resolve", t.add->name, t.w->name);
	ir_model_free(t.model);
}
END_TEST

/* A node removed by hand while its output is still a graph output. */
START_TEST(test_rejects_removed_graph_output)
{
	base t = base_model();
	ir_graph *g = t.graph;
	t.add->next = NULL;
	g->last = t.add;
	g->n_nodes = 1;
	t.neg->removed = true;
	poke_drop_use(t.a, t.neg, 0);
	ir_scope_remove(t.b);
	ASSERT_REJECTED(t.model, "output", t.b->name, "does not resolve");
	ir_model_free(t.model);
}
END_TEST

START_TEST(test_rejects_value_with_two_producers)
{
	base t = base_model();
	/* Neg also claims a as its output. */
	t.neg->outputs[0] = t.a;
	ASSERT_REJECTED(t.model, "producer", t.b->name);
	ir_model_free(t.model);
}
END_TEST

START_TEST(test_rejects_subgraph_wrong_parent_node)
{
	ir_model *m = if_model();
	ir_graph *inner = then_branch(m);
	inner->parent_node = tu_find_node(m->graph, "Relu");
	ASSERT_REJECTED(m, "wrong parent link", "'if'");
	ir_model_free(m);
}
END_TEST

START_TEST(test_rejects_subgraph_wrong_parent_graph)
{
	ir_model *m = if_model();
	ir_node *n_if = tu_find_node(m->graph, "If");
	ir_graph *then_g = ir_node_attr(n_if, "then_branch")->graph;
	ir_graph *else_g = ir_node_attr(n_if, "else_branch")->graph;
	then_g->parent = else_g;
	ASSERT_REJECTED(m, "wrong parent link", "'if'");
	ir_model_free(m);
}
END_TEST

/* ---------------------------------------------------- the pass manager */

static int corrupt_run(ir_model *model, pass_context *ctx, ir_status *status)
{
	(void)ctx;
	(void)status;
	ir_node *neg = tu_find_node(model->graph, "Neg");
	neg->inputs[0] = model->graph->inputs[0]; /* no use-list update */
	return 1;
}

static const pass corrupt_pass = {.name = "corrupt",
                                  .group = "test",
                                  .summary = "breaks a use list",
                                  .run = corrupt_run};

START_TEST(test_pass_manager_names_corrupting_pass)
{
	base t = base_model();
	const pass *list[] = {&corrupt_pass};
	pipeline p = {list, 1, 1};
	pipeline_options options;
	pipeline_options_init(&options);
	options.verify = true;
	ir_status status = {0};
	ck_assert(!pipeline_run(t.model, &p, &options, &status));
	ck_assert_int_eq(status.code, IR_ERR_PASS);
	ck_assert_msg(strstr(status.message, "after pass 'corrupt'"), "%s",
	              status.message);
	ir_model_free(t.model);
}
END_TEST

static Suite *verify_suite(void)
{
	Suite *s = suite_create("verify");
	TCase *good = tcase_create("accepts");
	tcase_add_test(good, test_accepts_built_and_edited_ir);
	tcase_add_test(good, test_accepts_subgraphs);
	tcase_add_test(good, test_accepts_testdata_with_bodies);
	suite_add_tcase(s, good);
	TCase *uses = tcase_create("use lists");
	tcase_add_test(uses, test_rejects_stale_use_entry);
	tcase_add_test(uses, test_rejects_use_entry_past_inputs);
	tcase_add_test(uses, test_rejects_missing_use_entry);
	tcase_add_test(uses, test_rejects_duplicate_beside_missing_use_entry);
	tcase_add_test(uses, test_rejects_duplicate_use_entry);
	tcase_add_test(uses, test_rejects_input_set_without_api);
	suite_add_tcase(s, uses);
	TCase *order = tcase_create("order");
	tcase_add_test(order, test_rejects_out_of_order_node);
	tcase_add_test(order, test_rejects_corrupt_node_list);
	suite_add_tcase(s, order);
	TCase *scope = tcase_create("scope");
	tcase_add_test(scope, test_rejects_input_out_of_scope);
	tcase_add_test(scope, test_rejects_foreign_value);
	tcase_add_test(scope, test_rejects_removed_value_still_used);
	tcase_add_test(scope, test_rejects_removed_graph_output);
	tcase_add_test(scope, test_rejects_value_with_two_producers);
	suite_add_tcase(s, scope);
	TCase *sub = tcase_create("subgraphs");
	tcase_add_test(sub, test_rejects_subgraph_wrong_parent_node);
	tcase_add_test(sub, test_rejects_subgraph_wrong_parent_graph);
	suite_add_tcase(s, sub);
	TCase *manager = tcase_create("pass manager");
	tcase_add_test(manager, test_pass_manager_names_corrupting_pass);
	suite_add_tcase(s, manager);
	return s;
}

int main(void)
{
	return tu_run_suite(verify_suite());
}
