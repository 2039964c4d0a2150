/*
 * test_pass_dce.c - dead code elimination removes exactly what nothing
 * reads: positive cases (it removes) and negative cases (it must keep).
 * Every run goes through the pass manager with the verifier on, and the
 * result is saved and reloaded to check that the written model is whole.
 */
#include <string.h>

#include "test_util.h"

static bool graph_has_input(const ir_graph *g, const char *name)
{
	for (int i = 0; i < g->n_inputs; i++)
		if (!strcmp(g->inputs[i]->name, name))
			return true;
	return false;
}

static ir_graph *body_of(const ir_graph *g, const char *op, const char *attr)
{
	ir_node *n = tu_find_node(g, op);
	ck_assert_msg(n != NULL, "no %s node", op);
	const ir_attr *a = ir_node_attr(n, attr);
	ck_assert_msg(a && a->graph, "%s has no %s", op, attr);
	return a->graph;
}

/* ------------------------------------------------------------ removes */

START_TEST(test_removes_dead_chain)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *a = tu_op(g, "Relu", x);
	tu_op(g, "Neg", a); /* nothing reads it */
	tu_output(tu_op(g, "Abs", x));

	ck_assert_int_eq(tu_run(m, "dce"), 2);
	ck_assert_int_eq(tu_count_ops(m, "Relu"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Neg"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Abs"), 1);
	ck_assert_int_eq(x->n_uses, 1);
	ck_assert_int_eq(tu_run(m, "dce"), 0); /* nothing left to do */
	m = tu_reload(m);
	ck_assert_int_eq(m->graph->n_nodes, 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_removes_unused_initializer)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2));
	ir_value *used =
	    tu_initializer_f32(g, "used", (float[]){1, 2}, TU_DIMS(2));
	ir_value *unused =
	    tu_initializer_f32(g, "unused", (float[]){3, 4}, TU_DIMS(2));
	/* read only by a dead node: goes in the same run */
	ir_value *dead_read =
	    tu_initializer_f32(g, "dead", (float[]){5, 6}, TU_DIMS(2));
	tu_op(g, "Mul", x, dead_read);
	tu_output(tu_op(g, "Add", x, used));
	const char *unused_name = unused->name;
	const char *dead_name = dead_read->name;

	ck_assert_int_eq(tu_run(m, "dce"), 3);
	ck_assert_int_eq(g->n_initializers, 1);
	ck_assert_ptr_eq(g->initializers[0], used);
	ck_assert_ptr_null(ir_graph_lookup(g, unused_name));
	ck_assert_ptr_null(ir_graph_lookup(g, dead_name));
	m = tu_reload(m);
	ck_assert_int_eq(m->graph->n_initializers, 1);
	ir_model_free(m);
}
END_TEST

/* IR < 4 lists initializers as graph inputs too. In the main graph such
 * an input only supplies a default nobody reads, so it goes with the
 * initializer. */
START_TEST(test_removes_initializer_input_entry_in_main_graph)
{
	proto_model *pm = proto_model_create(3, 9);
	Onnx__GraphProto *pg = proto_main_graph(pm);
	const float w[2] = {1, 2};
	proto_graph_add_input(pm, pg, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_input(pm, pg, "w_used", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_input(pm, pg, "w_dead", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_initializer(pm, pg, "w_used", IR_FLOAT, (int64_t[]){2},
	                            1, w, sizeof w);
	proto_graph_add_initializer(pm, pg, "w_dead", IR_FLOAT, (int64_t[]){2},
	                            1, w, sizeof w);
	proto_graph_add_value_info(pm, pg, "w_dead", IR_FLOAT, (int64_t[]){2},
	                           1);
	proto_graph_add_node(pm, pg, "Add", "add", "x,w_used", "y");
	proto_graph_add_output(pm, pg, "y", IR_FLOAT, (int64_t[]){2}, 1);
	ir_model *m = tu_load_proto(pm);
	ck_assert_int_eq(m->graph->n_inputs, 3);

	ck_assert_int_eq(tu_run(m, "dce"), 1);
	ir_graph *g = m->graph;
	ck_assert_int_eq(g->n_inputs, 2);
	ck_assert(graph_has_input(g, "x"));
	ck_assert(graph_has_input(g, "w_used"));
	ck_assert(!graph_has_input(g, "w_dead"));
	ck_assert_int_eq(ir_graph_value_info_count(g), 0);
	m = tu_reload(m);
	ck_assert(!graph_has_input(m->graph, "w_dead"));
	ck_assert_int_eq(m->graph->n_inputs, 2);
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/*
 * x, cond -> a = Relu(x) -> If(cond) -> y
 *   then: t = Neg(a)  (+ a dead Exp(a) when with_dead_inner)
 *   else: e = Identity(x)
 */
static proto_model *if_reading_outer(bool if_is_output, bool with_dead_inner)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_input(pm, g, "cond", IR_BOOL, NULL, 0);
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	if (with_dead_inner)
		proto_graph_add_node(pm, then_g, "Exp", "inner_dead", "a", "d");
	proto_graph_add_node(pm, then_g, "Neg", "inner_neg", "a", "t");
	proto_graph_add_output(pm, then_g, "t", IR_FLOAT, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_node(pm, else_g, "Identity", "inner_id", "x", "e");
	proto_graph_add_output(pm, else_g, "e", IR_FLOAT, NULL, -1);
	proto_graph_add_node(pm, g, "Relu", "relu", "x", "a");
	Onnx__NodeProto *n_if =
	    proto_graph_add_node(pm, g, "If", "if", "cond", "y");
	proto_node_set_attr_graph(pm, n_if, "then_branch", then_g);
	proto_node_set_attr_graph(pm, n_if, "else_branch", else_g);
	if (if_is_output) {
		proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	} else {
		proto_graph_add_node(pm, g, "Abs", "abs", "x", "z");
		proto_graph_add_output(pm, g, "z", IR_FLOAT, NULL, -1);
	}
	return pm;
}

START_TEST(test_removes_dead_node_inside_live_body)
{
	proto_model *pm = if_reading_outer(true, true);
	ir_model *m = tu_load_proto(pm);
	ck_assert_int_eq(tu_count_ops(m, "Exp"), 1);
	ck_assert_int_eq(tu_run(m, "dce"), 1);
	ck_assert_int_eq(tu_count_ops(m, "Exp"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Neg"), 1);
	ck_assert_int_eq(tu_count_ops(m, "Relu"), 1);
	ck_assert_int_eq(ir_graph_lookup(m->graph, "a")->n_uses, 1);
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/* A dead If goes, and with it the outer producer only its body read. */
START_TEST(test_removes_dead_if_and_what_only_it_read)
{
	proto_model *pm = if_reading_outer(false, false);
	ir_model *m = tu_load_proto(pm);
	ck_assert_int_eq(tu_run(m, "dce"), 2);
	ck_assert_int_eq(tu_count_ops(m, "If"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Relu"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Neg"), 0);
	ck_assert_int_eq(m->graph->n_subgraphs, 0);
	ck_assert_int_eq(m->graph->n_nodes, 1);
	/* cond and x stay: graph inputs are the model's interface */
	ck_assert_int_eq(m->graph->n_inputs, 2);
	m = tu_reload(m);
	ck_assert_int_eq(m->graph->n_nodes, 1);
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/* --------------------------------------------------------------- keeps */

START_TEST(test_keeps_graph_outputs)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2));
	ir_value *k = tu_initializer_f32(g, "k", (float[]){1, 2}, TU_DIMS(2));
	ir_node *split = tu_node(g, "Split", TU_VALUES(x), 2);
	tu_output(split->outputs[1]); /* only the second output is read */
	tu_output(k);                 /* an initializer as an output */
	tu_output(x);                 /* an input as an output */
	ck_assert_int_eq(tu_run(m, "dce"), 0);
	ck_assert_int_eq(g->n_nodes, 1);
	ck_assert_int_eq(g->n_initializers, 1);
	ck_assert_int_eq(g->n_outputs, 3);
	ir_model_free(m);
}
END_TEST

START_TEST(test_keeps_producer_read_only_in_if_body)
{
	proto_model *pm = if_reading_outer(true, false);
	ir_model *m = tu_load_proto(pm);
	ck_assert_int_eq(tu_run(m, "dce"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Relu"), 1);
	ck_assert_int_eq(tu_count_ops(m, "If"), 1);
	ck_assert_int_eq(tu_count_ops(m, "Neg"), 1);
	ck_assert_int_eq(tu_count_ops(m, "Identity"), 1);
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/*
 * x, k(int64 trip count) -> a = Relu(x), b = Abs(x)
 *   Loop(k, "", v0=x) -> y
 *     body(i, c, v [, p]): c_out = Identity(c)
 *                          v_out = Add(v, a)
 *                          If(c) then: Mul(b, v)... reads b two levels down
 *   with an initializer `p` listed as a body input, unused, and an
 *   initializer `q` that is not an input, unused.
 */
static proto_model *loop_model(void)
{
	proto_model *pm = proto_model_create(6, 11);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_input(pm, g, "trip", IR_INT64, NULL, 0);
	proto_graph_add_node(pm, g, "Relu", "relu", "x", "a");
	proto_graph_add_node(pm, g, "Abs", "abs", "x", "b");

	Onnx__GraphProto *body = proto_graph_create(pm, "body");
	const float p[4] = {0};
	proto_graph_add_input(pm, body, "i", IR_INT64, NULL, 0);
	proto_graph_add_input(pm, body, "c", IR_BOOL, NULL, 0);
	proto_graph_add_input(pm, body, "v", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_input(pm, body, "p", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_initializer(pm, body, "p", IR_FLOAT, (int64_t[]){4}, 1,
	                            p, sizeof p);
	proto_graph_add_initializer(pm, body, "q", IR_FLOAT, (int64_t[]){4}, 1,
	                            p, sizeof p);
	proto_graph_add_node(pm, body, "Identity", "keep_going", "c", "c_out");
	proto_graph_add_node(pm, body, "Add", "step", "v,a", "v_mid");
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	proto_graph_add_node(pm, then_g, "Mul", "deep_read", "b,v_mid", "t");
	proto_graph_add_output(pm, then_g, "t", IR_FLOAT, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_node(pm, else_g, "Identity", "pass", "v_mid", "e");
	proto_graph_add_output(pm, else_g, "e", IR_FLOAT, NULL, -1);
	Onnx__NodeProto *n_if =
	    proto_graph_add_node(pm, body, "If", "inner_if", "c", "v_out");
	proto_node_set_attr_graph(pm, n_if, "then_branch", then_g);
	proto_node_set_attr_graph(pm, n_if, "else_branch", else_g);
	proto_graph_add_output(pm, body, "c_out", IR_BOOL, NULL, 0);
	proto_graph_add_output(pm, body, "v_out", IR_FLOAT, NULL, -1);

	Onnx__NodeProto *loop =
	    proto_graph_add_node(pm, g, "Loop", "loop", "trip,,x", "y");
	proto_node_set_attr_graph(pm, loop, "body", body);
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	return pm;
}

START_TEST(test_keeps_producers_read_in_loop_body)
{
	proto_model *pm = loop_model();
	ir_model *m = tu_load_proto(pm);
	ck_assert_int_eq(tu_run(m, "dce"), 1);        /* only q goes */
	ck_assert_int_eq(tu_count_ops(m, "Relu"), 1); /* read in the body */
	ck_assert_int_eq(tu_count_ops(m, "Abs"), 1);  /* two levels down */
	ck_assert_int_eq(tu_count_ops(m, "Mul"), 1);
	ck_assert_int_eq(tu_count_ops(m, "Loop"), 1);
	ir_graph *body = body_of(m->graph, "Loop", "body");
	ck_assert_ptr_null(ir_graph_lookup(body, "q"));
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/* Body inputs are positional: dropping `p` would shift the others. */
START_TEST(test_keeps_initializer_listed_as_body_input)
{
	proto_model *pm = loop_model();
	ir_model *m = tu_load_proto(pm);
	tu_run(m, "dce");
	ir_graph *body = body_of(m->graph, "Loop", "body");
	ck_assert_int_eq(body->n_inputs, 4);
	ck_assert_str_eq(body->inputs[3]->name, "p");
	ck_assert_ptr_nonnull(ir_graph_lookup(body, "p"));
	ck_assert_int_eq(body->n_initializers, 1);
	m = tu_reload(m);
	body = body_of(m->graph, "Loop", "body");
	ck_assert_int_eq(body->n_inputs, 4);
	ck_assert_int_eq(body->n_initializers, 1);
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

START_TEST(test_keeps_unused_graph_inputs)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2));
	tu_input(g, "ignored", TU_DIMS(2));
	tu_output(tu_op(g, "Relu", x));
	ck_assert_int_eq(tu_run(m, "dce"), 0);
	ck_assert_int_eq(g->n_inputs, 2);
	ck_assert(graph_has_input(g, "ignored"));
	m = tu_reload(m);
	ck_assert(graph_has_input(m->graph, "ignored"));
	ir_model_free(m);
}
END_TEST

/* A node with one used and one unused output stays whole. */
START_TEST(test_keeps_node_with_one_live_output)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *split = tu_node(g, "Split", TU_VALUES(x), 2);
	tu_output(tu_op(g, "Relu", split->outputs[0]));
	ck_assert_int_eq(tu_run(m, "dce"), 0);
	ck_assert_int_eq(split->n_outputs, 2);
	ck_assert_ptr_nonnull(split->outputs[1]);
	ir_model_free(m);
}
END_TEST

static Suite *dce_suite(void)
{
	Suite *s = suite_create("dce");
	TCase *removes = tcase_create("removes");
	tcase_add_test(removes, test_removes_dead_chain);
	tcase_add_test(removes, test_removes_unused_initializer);
	tcase_add_test(removes,
	               test_removes_initializer_input_entry_in_main_graph);
	tcase_add_test(removes, test_removes_dead_node_inside_live_body);
	tcase_add_test(removes, test_removes_dead_if_and_what_only_it_read);
	suite_add_tcase(s, removes);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_keeps_graph_outputs);
	tcase_add_test(keeps, test_keeps_producer_read_only_in_if_body);
	tcase_add_test(keeps, test_keeps_producers_read_in_loop_body);
	tcase_add_test(keeps, test_keeps_initializer_listed_as_body_input);
	tcase_add_test(keeps, test_keeps_unused_graph_inputs);
	tcase_add_test(keeps, test_keeps_node_with_one_live_output);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(dce_suite());
}
