/*
 * test_ir.c - the IR's mutation API keeps the invariants listed in ir.h.
 *
 * Each test makes a change through ir.h and then checks the exact state:
 * list order, use-list contents (entry by entry, not only their number),
 * scope tables, and that ir_verify agrees.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ir_external.h"
#include "ir_impl.h"
#include "test_util.h"

/* ------------------------------------------------------------- helpers */

typedef struct slot_count {
	const ir_value *value;
	int slots;
} slot_count;

static void count_slots(ir_graph *graph, void *ctx)
{
	slot_count *c = ctx;
	for (ir_node *n = graph->first; n; n = n->next)
		for (int i = 0; i < n->n_inputs; i++)
			if (n->inputs[i] == c->value)
				c->slots++;
}

/* The use list of `value` names exactly the input slots that read it, in
 * any graph of the model, each once. */
static void assert_uses_exact(const ir_model *model, const ir_value *value)
{
	slot_count c = {value, 0};
	ir_graph_walk(model->graph, count_slots, &c);
	ck_assert_msg(c.slots == value->n_uses,
	              "'%s' is read by %d slots but has %d use entries",
	              value->name, c.slots, value->n_uses);
	for (int u = 0; u < value->n_uses; u++) {
		ir_use use = value->uses[u];
		ck_assert_ptr_nonnull(use.node);
		ck_assert_int_lt(use.index, use.node->n_inputs);
		ck_assert_ptr_eq(use.node->inputs[use.index], value);
		for (int k = 0; k < u; k++)
			ck_assert_msg(value->uses[k].node != use.node ||
			                  value->uses[k].index != use.index,
			              "duplicate use entry in '%s'",
			              value->name);
	}
}

static bool has_use(const ir_value *value, const ir_node *node, int index)
{
	for (int u = 0; u < value->n_uses; u++)
		if (value->uses[u].node == node &&
		    value->uses[u].index == index)
			return true;
	return false;
}

/* The graph's node list, forwards and backwards, is exactly `expected`. */
static void assert_order(const ir_graph *g, ir_node *const *expected, int n)
{
	ck_assert_int_eq(g->n_nodes, n);
	int i = 0;
	for (ir_node *node = g->first; node; node = node->next, i++) {
		ck_assert_int_lt(i, n);
		ck_assert_msg(node == expected[i], "node %d is '%s', want '%s'",
		              i, node->name, expected[i]->name);
	}
	ck_assert_int_eq(i, n);
	for (ir_node *node = g->last; node; node = node->prev)
		ck_assert_ptr_eq(node, expected[--i]);
}

#define ASSERT_ORDER(g, ...)                                                   \
	assert_order((g), (ir_node *const[]){__VA_ARGS__},                     \
	             (int)(sizeof((ir_node *const[]){__VA_ARGS__}) /           \
	                   sizeof(ir_node *)))

/*
 * main:  x, cond -> a = Relu(x) -> If(cond) -> out
 *        then: t = Neg(a)     (reads `a` from the outer scope)
 *        else: e = Identity(x)
 * The If node comes before Relu in the file when relu_last is set, so the
 * loader has to sort it after the producer its body reads.
 */
static proto_model *if_model(bool relu_last)
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
	if (!relu_last)
		proto_graph_add_node(pm, g, "Relu", "relu", "x", "a");
	Onnx__NodeProto *n_if =
	    proto_graph_add_node(pm, g, "If", "if", "cond", "out");
	proto_node_set_attr_graph(pm, n_if, "then_branch", then_g);
	proto_node_set_attr_graph(pm, n_if, "else_branch", else_g);
	if (relu_last)
		proto_graph_add_node(pm, g, "Relu", "relu", "x", "a");
	proto_graph_add_output(pm, g, "out", IR_FLOAT, NULL, -1);
	return pm;
}

static ir_graph *branch(const ir_node *node, const char *attr_name)
{
	const ir_attr *a = ir_node_attr(node, attr_name);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(a->graph);
	return a->graph;
}

/* -------------------------------------------------------- create/insert */

START_TEST(test_insert_and_remove_nodes)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *a = tu_node(g, "Relu", TU_VALUES(x), 1);
	ir_node *b = tu_node(g, "Neg", TU_VALUES(a->outputs[0]), 1);
	tu_output(b->outputs[0]);
	ASSERT_ORDER(g, a, b);

	/* Created nodes are not in the graph until inserted. */
	ir_node *c = ir_node_create(g, "Abs", "", TU_VALUES(x), 1);
	ir_node *d = ir_node_create(g, "Abs", "", TU_VALUES(x), 1);
	ir_node *e = ir_node_create(g, "Abs", "", TU_VALUES(x), 1);
	ck_assert_int_eq(g->n_nodes, 2);
	ir_node_insert_before(a, c); /* at the head */
	ir_node_insert_after(a, d);  /* in the middle */
	ir_node_insert_after(b, e);  /* at the tail */
	ASSERT_ORDER(g, c, a, d, b, e);
	ck_assert_int_eq(x->n_uses, 4);
	assert_uses_exact(m, x);
	tu_assert_valid(m);

	const char *d_out = d->outputs[0]->name;
	ck_assert_ptr_eq(ir_graph_lookup(g, d_out), d->outputs[0]);
	ir_node_remove(d);
	ASSERT_ORDER(g, c, a, b, e);
	ck_assert(d->removed);
	ck_assert_ptr_null(ir_graph_lookup(g, d_out));
	ck_assert(!has_use(x, d, 0));
	ck_assert_int_eq(x->n_uses, 3);
	assert_uses_exact(m, x);

	ir_node_remove(c); /* head */
	ir_node_remove(e); /* tail */
	ASSERT_ORDER(g, a, b);
	assert_uses_exact(m, x);
	tu_assert_valid(m);
	ir_model_free(m);
}
END_TEST

START_TEST(test_node_create_fresh_outputs)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *n = ir_node_create(g, "Split", "", TU_VALUES(x), 3);
	ck_assert_int_eq(n->n_outputs, 3);
	for (int i = 0; i < 3; i++) {
		ir_value *v = n->outputs[i];
		ck_assert_int_eq(v->def, IR_DEF_NODE);
		ck_assert_ptr_eq(v->producer, n);
		ck_assert_int_eq(v->producer_index, i);
		ck_assert_ptr_eq(ir_graph_lookup(g, v->name), v);
	}
	ck_assert_str_eq(n->op_type, "Split");
	ck_assert_str_eq(n->domain, "");
	ck_assert_ptr_nonnull(n->name);
	ir_node_append(g, n);
	for (int i = 0; i < 3; i++)
		tu_output(n->outputs[i]);
	tu_assert_valid(m);
	ir_model_free(m);
}
END_TEST

/* ------------------------------------------------------------ set input */

START_TEST(test_set_input_moves_use)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *y = tu_input(g, "y", TU_DIMS(4));
	ir_node *add = tu_node(g, "Add", TU_VALUES(x, x), 1);
	tu_output(add->outputs[0]);
	ck_assert_int_eq(x->n_uses, 2);

	ir_node_set_input(add, 1, y);
	ck_assert_ptr_eq(add->inputs[1], y);
	ck_assert(has_use(x, add, 0) && !has_use(x, add, 1));
	ck_assert(has_use(y, add, 1));
	assert_uses_exact(m, x);
	assert_uses_exact(m, y);

	/* Setting the same value again must not add a second entry. */
	ir_node_set_input(add, 1, y);
	ck_assert_int_eq(y->n_uses, 1);

	/* An absent input reads nothing. */
	ir_node_set_input(add, 1, NULL);
	ck_assert_ptr_null(add->inputs[1]);
	ck_assert_int_eq(y->n_uses, 0);

	ir_node_add_input(add, y);
	ck_assert_int_eq(add->n_inputs, 3);
	ck_assert(has_use(y, add, 2));
	assert_uses_exact(m, y);
	tu_assert_valid(m);
	ir_model_free(m);
}
END_TEST

/* ----------------------------------------------------- replace all uses */

START_TEST(test_replace_all_uses_exact)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *y = tu_input(g, "y", TU_DIMS(4));
	ir_node *add = tu_node(g, "Add", TU_VALUES(x, x), 1);
	ir_node *mul = tu_node(g, "Mul", TU_VALUES(y, x), 1);
	ir_node *sum = tu_node(
	    g, "Sum", TU_VALUES(add->outputs[0], mul->outputs[0], x), 1);
	tu_output(sum->outputs[0]);
	ck_assert_int_eq(x->n_uses, 4);

	ir_value_replace_all_uses(x, y);
	ck_assert_int_eq(x->n_uses, 0);
	ck_assert_int_eq(y->n_uses, 5);
	ck_assert(has_use(y, add, 0) && has_use(y, add, 1));
	ck_assert(has_use(y, mul, 0) && has_use(y, mul, 1));
	ck_assert(has_use(y, sum, 2));
	assert_uses_exact(m, x);
	assert_uses_exact(m, y);
	tu_assert_valid(m);
	ir_model_free(m);
}
END_TEST

START_TEST(test_replace_all_uses_reaches_subgraphs)
{
	proto_model *pm = if_model(false);
	ir_model *m = tu_load_proto(pm);
	ir_graph *g = m->graph;
	ir_value *a = ir_graph_lookup(g, "a");
	ir_value *x = ir_graph_lookup(g, "x");
	ir_node *n_if = tu_find_node(g, "If");
	ir_node *neg = branch(n_if, "then_branch")->first;
	ck_assert(has_use(a, neg, 0));

	/* Route the body's outer read to a new value, as a fusion would. */
	ir_node *abs = ir_node_create(g, "Abs", "", TU_VALUES(x), 1);
	ir_node_insert_after(tu_find_node(g, "Relu"), abs);
	ir_value_replace_all_uses(a, abs->outputs[0]);
	ck_assert_int_eq(a->n_uses, 0);
	ck_assert_ptr_eq(neg->inputs[0], abs->outputs[0]);
	ck_assert(has_use(abs->outputs[0], neg, 0));
	assert_uses_exact(m, abs->outputs[0]);
	tu_assert_valid(m);

	/* The saved model reads the new name inside the branch. */
	m = tu_reload(m);
	neg = branch(tu_find_node(m->graph, "If"), "then_branch")->first;
	ck_assert_ptr_eq(neg->inputs[0]->producer,
	                 tu_find_node(m->graph, "Abs"));
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/* ---------------------------------------------------------- initializers */

START_TEST(test_initializer_add_and_remove)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	const float data[] = {1, 2, 3, 4, 5, 6};
	ir_value *w = tu_initializer_f32(g, "w", data, TU_DIMS(2, 3));
	ck_assert_int_eq(w->def, IR_DEF_INITIALIZER);
	ck_assert_int_eq(g->n_initializers, 1);
	ck_assert_ptr_eq(g->initializers[0], w);
	ck_assert_ptr_eq(ir_graph_lookup(g, w->name), w);
	ck_assert(ir_value_is_constant(w));
	ck_assert_int_eq(w->type.elem_type, IR_FLOAT);
	ck_assert_int_eq(w->type.rank, 2);
	ck_assert_int_eq(w->type.dims[1].value, 3);
	ir_node *add = tu_node(g, "Add", TU_VALUES(x, w), 1);
	tu_output(add->outputs[0]);
	tu_assert_valid(m);

	/* The data survives a save and a load, bit for bit. */
	char *w_name = strdup(w->name);
	m = tu_reload(m);
	g = m->graph;
	w = ir_graph_lookup(g, w_name);
	ck_assert_ptr_nonnull(w);
	const void *raw;
	size_t size;
	ck_assert(ir_tensor_raw(m, w->tensor, &raw, &size));
	ck_assert_uint_eq(size, sizeof data);
	ck_assert_mem_eq(raw, data, sizeof data);

	/* Unused now: remove it, and it is gone from list and scope. */
	add = tu_find_node(g, "Add");
	ir_node_set_input(add, 1, ir_graph_lookup(g, "x"));
	ir_initializer_remove(w);
	/* Marked removed in the list until compacted: O(1) removal. */
	ck_assert_int_eq(g->n_initializers, 1);
	ck_assert(w->removed);
	tu_assert_valid(m);
	ir_graph_compact(g);
	ck_assert_int_eq(g->n_initializers, 0);
	ck_assert_ptr_null(ir_graph_lookup(g, w_name));
	tu_assert_valid(m);
	m = tu_reload(m);
	ck_assert_ptr_null(ir_graph_lookup(m->graph, w_name));
	free(w_name);
	ir_model_free(m);
}
END_TEST

/* An IR<4 style initializer listed as a graph input loses both entries,
 * and its value_info, on removal. */
START_TEST(test_initializer_remove_drops_input_entry)
{
	proto_model *pm = proto_model_create(3, 9);
	Onnx__GraphProto *pg = proto_main_graph(pm);
	const float w_data[2] = {1, 2};
	proto_graph_add_input(pm, pg, "x", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_input(pm, pg, "w", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_initializer(pm, pg, "w", IR_FLOAT, (int64_t[]){2}, 1,
	                            w_data, sizeof w_data);
	proto_graph_add_node(pm, pg, "Relu", "relu", "x", "y");
	proto_graph_add_output(pm, pg, "y", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_value_info(pm, pg, "w", IR_FLOAT, (int64_t[]){2}, 1);
	ir_model *m = tu_load_proto(pm);

	ir_graph *g = m->graph;
	ir_value *w = ir_graph_lookup(g, "w");
	ck_assert(w->is_graph_input);
	ck_assert_int_eq(w->def, IR_DEF_INITIALIZER);
	ck_assert(!ir_value_is_constant(w)); /* callers may override it */
	ck_assert_int_eq(g->n_inputs, 2);
	ck_assert_int_eq(ir_graph_value_info_count(g), 1);
	ir_initializer_remove(w);
	ck_assert_int_eq(g->n_inputs, 1);
	ck_assert_str_eq(g->inputs[0]->name, "x");
	ir_graph_compact(g);
	ck_assert_int_eq(g->n_initializers, 0);
	ck_assert_int_eq(ir_graph_value_info_count(g), 0);
	tu_assert_valid(m);
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/* ------------------------------------------------------------- toposort */

START_TEST(test_toposort_restores_order)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *a = tu_node(g, "Relu", TU_VALUES(x), 1);
	ir_node *free1 = tu_node(g, "Abs", TU_VALUES(x), 1);
	ir_node *b = ir_node_create(g, "Neg", "", TU_VALUES(a->outputs[0]), 1);
	ir_node *c = ir_node_create(g, "Exp", "", TU_VALUES(b->outputs[0]), 1);
	ir_node *free2 = tu_node(g, "Sin", TU_VALUES(x), 1);
	/* Consumers placed before their producers. */
	ir_node_insert_before(a, c);
	ir_node_insert_before(c, b);
	tu_output(c->outputs[0]);
	tu_output(free1->outputs[0]);
	tu_output(free2->outputs[0]);
	ASSERT_ORDER(g, b, c, a, free1, free2);
	ir_status status = {0};
	ck_assert(!ir_verify(m, &status));

	ck_assert(ir_graph_toposort(g, &status));
	/* Stable: a node moves only as far as its inputs force it. */
	ASSERT_ORDER(g, a, b, c, free1, free2);
	tu_assert_valid(m);
	ir_model_free(m);
}
END_TEST

START_TEST(test_toposort_detects_cycle)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *a = tu_node(g, "Add", TU_VALUES(x, NULL), 1);
	ir_node *b = tu_node(g, "Neg", TU_VALUES(a->outputs[0]), 1);
	ir_node *c = tu_node(g, "Abs", TU_VALUES(x), 1);
	tu_output(b->outputs[0]);
	tu_output(c->outputs[0]);
	ir_node_set_input(a, 1, b->outputs[0]); /* a -> b -> a */

	ir_status status = {0};
	ck_assert(!ir_graph_toposort(g, &status));
	ck_assert_int_eq(status.code, IR_ERR_INVALID);
	ck_assert_msg(strstr(status.message, "cycle"), "%s", status.message);
	ck_assert_msg(
	    strstr(status.message, a->name) || strstr(status.message, b->name),
	    "message does not name a node on the cycle: %s", status.message);
	/* A failed sort leaves the list as it was. */
	ASSERT_ORDER(g, a, b, c);
	ir_model_free(m);
}
END_TEST

/* A node that reads a value only inside its body still depends on it. */
START_TEST(test_toposort_counts_subgraph_reads)
{
	proto_model *pm = if_model(true);
	ir_model *m = tu_load_proto(pm);
	ir_graph *g = m->graph;
	ASSERT_ORDER(g, tu_find_node(g, "Relu"), tu_find_node(g, "If"));
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/* ------------------------------------------------------ move definition */

START_TEST(test_move_definition_keeps_name_and_uses)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *relu = tu_node(g, "Relu", TU_VALUES(x), 1);
	ir_node *neg = tu_node(g, "Neg", TU_VALUES(relu->outputs[0]), 1);
	ir_value *y = neg->outputs[0];
	ir_node *exp = tu_node(g, "Exp", TU_VALUES(y), 1);
	tu_output(y);
	tu_output(exp->outputs[0]);
	char *y_name = strdup(y->name); /* outlives the model's arena */

	/* A "fused" node takes over y, which stays a graph output. */
	ir_node *fused = ir_node_create(g, "Fused", "test", TU_VALUES(x), 1);
	ir_value *placeholder = fused->outputs[0];
	ir_node_insert_before(neg, fused);
	ir_value_move_definition(y, fused, 0);
	ck_assert_ptr_eq(fused->outputs[0], y);
	ck_assert_ptr_eq(y->producer, fused);
	ck_assert_int_eq(y->producer_index, 0);
	ck_assert_ptr_null(neg->outputs[0]);
	ck_assert_str_eq(y->name, y_name);
	ck_assert(has_use(y, exp, 0));
	ck_assert(ir_value_is_graph_output(y));
	ck_assert(placeholder->removed);
	ck_assert_ptr_null(ir_graph_lookup(g, placeholder->name));
	ck_assert_ptr_eq(ir_graph_lookup(g, y_name), y);

	ir_node_remove(neg);
	ir_node_remove(relu);
	tu_assert_valid(m);
	ck_assert_int_eq(g->n_nodes, 2);
	m = tu_reload(m);
	ck_assert_ptr_eq(ir_graph_lookup(m->graph, y_name)->producer,
	                 m->graph->first);
	free(y_name);
	ir_model_free(m);
}
END_TEST

/* --------------------------------------------------------- fresh names */

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

START_TEST(test_fresh_names_unique)
{
	enum { N = 2000 };
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	/* Inputs that look like fresh names must not be reused. */
	tu_input(g, "t__oo0", TU_DIMS(1));
	tu_input(g, "t__oo1", TU_DIMS(1));
	const char **names = malloc(sizeof *names * (N + 2));
	names[0] = "t__oo0";
	names[1] = "t__oo1";
	for (int i = 0; i < N; i++) {
		ir_value *v = ir_value_create(g, "t");
		ck_assert_ptr_eq(ir_graph_lookup(g, v->name), v);
		names[i + 2] = v->name;
	}
	qsort(names, N + 2, sizeof *names, compare_strings);
	for (int i = 1; i < N + 2; i++)
		ck_assert_msg(strcmp(names[i - 1], names[i]) != 0,
		              "name '%s' given twice", names[i]);
	free(names);
	ir_model_free(m);
}
END_TEST

/* A fresh name in an outer graph must not be one a body already defines:
 * the body's value would shadow it, and a later read of the new value from
 * inside the body would resolve to the wrong one on reload. */
START_TEST(test_fresh_names_avoid_subgraph_names)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *pg = proto_main_graph(pm);
	proto_graph_add_input(pm, pg, "cond", IR_BOOL, NULL, 0);
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	proto_graph_add_node(pm, then_g, "Constant", "c", "", "v__oo0");
	proto_graph_add_output(pm, then_g, "v__oo0", IR_FLOAT, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_node(pm, else_g, "Constant", "c2", "", "v__oo1");
	proto_graph_add_output(pm, else_g, "v__oo1", IR_FLOAT, NULL, -1);
	Onnx__NodeProto *n_if =
	    proto_graph_add_node(pm, pg, "If", "if", "cond", "out");
	proto_node_set_attr_graph(pm, n_if, "then_branch", then_g);
	proto_node_set_attr_graph(pm, n_if, "else_branch", else_g);
	proto_graph_add_output(pm, pg, "out", IR_FLOAT, NULL, -1);
	ir_model *m = tu_load_proto(pm);

	for (int i = 0; i < 4; i++) {
		ir_value *v = ir_value_create(m->graph, "v");
		ck_assert_str_ne(v->name, "v__oo0");
		ck_assert_str_ne(v->name, "v__oo1");
	}
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/* ------------------------------------------------------------ subgraphs */

START_TEST(test_subgraph_outer_uses_recorded)
{
	proto_model *pm = if_model(false);
	ir_model *m = tu_load_proto(pm);
	ir_graph *g = m->graph;
	ir_value *a = ir_graph_lookup(g, "a");
	ir_value *x = ir_graph_lookup(g, "x");
	ir_node *n_if = tu_find_node(g, "If");
	ir_graph *then_g = branch(n_if, "then_branch");
	ir_graph *else_g = branch(n_if, "else_branch");
	ck_assert_ptr_eq(then_g->parent, g);
	ck_assert_ptr_eq(then_g->parent_node, n_if);
	ck_assert_int_eq(g->n_subgraphs, 2);

	/* The body's reads point at the outer value objects. */
	ir_node *neg = then_g->first;
	ir_node *id = else_g->first;
	ck_assert_ptr_eq(neg->inputs[0], a);
	ck_assert_ptr_eq(id->inputs[0], x);
	ck_assert_int_eq(a->n_uses, 1);
	ck_assert(has_use(a, neg, 0));
	ck_assert(has_use(x, id, 0));
	assert_uses_exact(m, a);
	assert_uses_exact(m, x);
	ck_assert_ptr_null(ir_graph_lookup(g, "t")); /* inner stays inner */
	ck_assert_ptr_eq(ir_graph_lookup(then_g, "a"), a);

	/* Removing the If drops the body's reads of outer values. */
	ir_value *out = n_if->outputs[0];
	ir_node *keep = tu_node(g, "Identity", TU_VALUES(x), 1);
	ir_graph_set_output(g, 0, keep->outputs[0]);
	ck_assert_int_eq(out->n_uses, 0);
	ir_node_remove(n_if);
	ck_assert_int_eq(a->n_uses, 0);
	ck_assert(!has_use(x, id, 0));
	assert_uses_exact(m, x);
	ck_assert_int_eq(g->n_subgraphs, 0);
	tu_assert_valid(m);
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

/* Dropping a graph attribute drops the body's reads of outer values too,
 * so the use lists stay exact. */
START_TEST(test_remove_graph_attribute_drops_body_uses)
{
	proto_model *pm = if_model(false);
	ir_model *m = tu_load_proto(pm);
	ir_graph *g = m->graph;
	ir_value *a = ir_graph_lookup(g, "a");
	ir_value *x = ir_graph_lookup(g, "x");
	ir_node *n_if = tu_find_node(g, "If");
	ck_assert_int_eq(a->n_uses, 1);
	ir_node_remove_attr(n_if, "then_branch");
	ck_assert_ptr_null(ir_node_attr(n_if, "then_branch"));
	ck_assert_int_eq(g->n_subgraphs, 1);
	ck_assert_int_eq(a->n_uses, 0);
	assert_uses_exact(m, a);
	assert_uses_exact(m, x);
	tu_assert_valid(m);
	/* Overwriting a graph attribute with a scalar releases it too. */
	ck_assert_int_eq(x->n_uses, 2); /* Relu and the else branch */
	ir_node_set_attr_int(n_if, "else_branch", 0);
	ck_assert_int_eq(g->n_subgraphs, 0);
	ck_assert_int_eq(x->n_uses, 1);
	tu_assert_valid(m);
	ir_model_free(m);
	proto_model_free(pm);
}
END_TEST

START_TEST(test_attributes_set_read_remove)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	ir_node *n = tu_node(g, "Transpose", TU_VALUES(x), 1);
	tu_output(n->outputs[0]);
	const int64_t perm[] = {1, 0};
	ir_node_set_attr_ints(n, "perm", perm, 2);
	ir_node_set_attr_int(n, "axis", 3);
	ir_node_set_attr_int(n, "axis", -1); /* replaces, does not add */
	ir_node_set_attr_float(n, "alpha", 0.5f);
	ir_node_set_attr_string(n, "mode", "constant");
	ck_assert_int_eq(n->n_attrs, 4);
	ck_assert_int_eq(ir_attr_int(n, "axis", 0), -1);
	ck_assert_int_eq(ir_attr_int(n, "missing", 7), 7);
	ck_assert_float_eq(ir_attr_float(n, "alpha", 0), 0.5f);
	ck_assert_str_eq(ir_attr_string(n, "mode", ""), "constant");
	ir_node_remove_attr(n, "alpha");
	ck_assert_ptr_null(ir_node_attr(n, "alpha"));

	m = tu_reload(m);
	n = m->graph->first;
	ck_assert_int_eq(n->n_attrs, 3);
	const int64_t *values = NULL;
	ck_assert_int_eq(ir_attr_ints(n, "perm", &values), 2);
	ck_assert_int_eq(values[0], 1);
	/* Absent and of another type are told apart. */
	ck_assert_int_eq(ir_attr_ints(n, "missing", &values), IR_ATTR_ABSENT);
	ck_assert_int_eq(ir_attr_ints(n, "mode", &values), IR_ATTR_WRONG_TYPE);
	ck_assert_int_eq(ir_attr_int(n, "axis", 0), -1);
	ck_assert_str_eq(ir_attr_string(n, "mode", ""), "constant");
	ir_model_free(m);
}
END_TEST

/* The one-question helpers of ir.h. */
START_TEST(test_queries)
{
	ck_assert(ir_is_onnx_domain(NULL));
	ck_assert(ir_is_onnx_domain(""));
	ck_assert(ir_is_onnx_domain("ai.onnx"));
	ck_assert(!ir_is_onnx_domain("ai.onnx.ml"));
	ck_assert(ir_elem_is_float(IR_BFLOAT16));
	ck_assert(ir_elem_is_float(IR_DOUBLE));
	ck_assert(!ir_elem_is_float(IR_INT64));
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2));
	ir_node *relu = tu_node(g, "Relu", TU_VALUES(x), 1);
	ck_assert(ir_node_is_dead(relu));
	ck_assert(!ir_value_is_live(relu->outputs[0]));
	ir_node *neg = tu_node(g, "Neg", TU_VALUES(relu->outputs[0]), 1);
	ck_assert(!ir_node_is_dead(relu));
	tu_output(neg->outputs[0]);
	ck_assert(ir_value_is_live(neg->outputs[0]));
	ck_assert(ir_value_readers_see(relu->outputs[0], x));
	ir_model_free(m);
}
END_TEST

/* A big tensor a pass creates lives in the file-backed store, not on the
 * heap; its bytes survive the store's pages being dropped (they come back
 * from the file), and a small one stays on the heap. */
START_TEST(test_big_tensors_go_to_the_store)
{
	ir_model *m = ir_model_create(8, 17);
	size_t n = IR_STORE_MIN / sizeof(float) + 1;
	float *values = malloc(n * sizeof *values);
	for (size_t i = 0; i < n; i++)
		values[i] = (float)i * 0.5f;
	int64_t dims[] = {(int64_t)n};
	ir_tensor *big =
	    ir_tensor_create(m, IR_FLOAT, 1, dims, values, n * sizeof *values);
	ir_tensor *small = ir_tensor_create(m, IR_FLOAT, 1, (int64_t[]){4},
	                                    values, 4 * sizeof *values);
	ck_assert(ir_store_contains(m, big->raw, big->raw_size));
	ck_assert(!ir_store_contains(m, small->raw, small->raw_size));
	ir_memory_trim(m);
	const void *data;
	size_t size;
	ck_assert(ir_tensor_raw(m, big, &data, &size));
	ck_assert_uint_eq(size, n * sizeof *values);
	ck_assert(memcmp(data, values, size) == 0);
	free(values);
	ir_model_free(m);
}
END_TEST

/* A big tensor computed into its room in the store is taken as it is, not
 * copied; the same bytes given again are copied; a room no tensor takes
 * is given back (reads as zeros). */
START_TEST(test_tensor_takes_its_room)
{
	ir_model *m = ir_model_create(8, 17);
	size_t n = IR_STORE_MIN / sizeof(float) + 1, size = n * sizeof(float);
	int64_t dims[] = {(int64_t)n};
	float *room = ir_tensor_room(m, size);
	ck_assert_ptr_nonnull(room);
	for (size_t i = 0; i < n; i++)
		ck_assert(room[i] == 0.0f);
	for (size_t i = 0; i < n; i++)
		room[i] = (float)i;
	ir_tensor *t = ir_tensor_create(m, IR_FLOAT, 1, dims, room, size);
	ck_assert_ptr_eq(t->raw, room);
	ir_tensor *again = ir_tensor_create(m, IR_FLOAT, 1, dims, room, size);
	ck_assert_ptr_ne(again->raw, room);
	ck_assert(memcmp(again->raw, room, size) == 0);
	float *unused = ir_tensor_room(m, size);
	unused[7] = 1.0f;
	ir_tensor_room_release(m, unused, size);
	ck_assert(unused[7] == 0.0f);
	ck_assert(((const float *)t->raw)[7] == 7.0f);
	ir_model_free(m);
}
END_TEST

static void read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	*size = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	*data = malloc(*size ? *size : 1);
	ck_assert_uint_eq(fread(*data, 1, *size, f), *size);
	fclose(f);
}

/* Once a computed tensor is written to the output (its data file, or the
 * model file itself when inline), it is read from there and its store
 * pages are given back: its bytes stay the same, and saving again writes
 * the same file. Loop index 0: with a data file; 1: inline. */
START_TEST(test_written_tensor_moves_to_the_output)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	size_t n = IR_STORE_MIN / sizeof(float) + 1, size = n * sizeof(float);
	float *values = malloc(size);
	for (size_t i = 0; i < n; i++)
		values[i] = (float)i * 0.25f;
	ir_value *x = tu_input(g, "x", TU_DIMS((int64_t)n));
	int64_t dims[] = {(int64_t)n};
	ir_tensor *t = ir_tensor_create(m, IR_FLOAT, 1, dims, values, size);
	ir_value *w = ir_initializer_add(g, "w", t);
	ir_node *add = tu_node(g, "Add", TU_VALUES(x, w), 1);
	tu_output(add->outputs[0]);
	const void *stored = t->raw;
	ck_assert(ir_store_contains(m, stored, size));

	char dir[] = "/tmp/onnxopt-test-move-XXXXXX", path[64], data[80];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ir_save_options options;
	ir_save_options_init(&options);
	options.external = _i == 0;
	ir_status status = {0};
	uint8_t *first, *second;
	size_t first_size, second_size;
	for (int round = 0; round < 2; round++) {
		snprintf(path, sizeof path, "%s/m%d.onnx", dir, round);
		ck_assert(ir_model_save_file_ex(m, path, &options, &status));
		snprintf(data, sizeof data, "%s%s", path,
		         options.external ? ".data" : "");
		if (round == 0) {
			/* A data file adopts the store's file: the bytes
			 * stay where they are. Inline, they move. */
			if (options.external)
				ck_assert_ptr_eq(t->raw, stored);
			else
				ck_assert_ptr_ne(t->raw, stored);
			read_file(data, &first, &first_size);
		} else {
			read_file(data, &second, &second_size);
		}
		ck_assert(memcmp(t->raw, values, size) == 0);
		unlink(path);
		if (options.external)
			unlink(data);
	}
	ck_assert_uint_eq(first_size, second_size);
	ck_assert(memcmp(first, second, first_size) == 0);
	rmdir(dir);
	free(first);
	free(second);
	free(values);
	ir_model_free(m);
}
END_TEST

/* A big initializer w<k> = k + i/4 of n floats, computed into the store
 * and added to the graph's first input. */
static ir_tensor *add_big_weight(ir_model *m, int k, size_t n)
{
	ir_graph *g = m->graph;
	float *room = ir_tensor_room(m, n * sizeof(float));
	ck_assert_ptr_nonnull(room);
	for (size_t i = 0; i < n; i++)
		room[i] = (float)k + (float)i * 0.25f;
	int64_t dims[] = {(int64_t)n};
	ir_tensor *t =
	    ir_tensor_create(m, IR_FLOAT, 1, dims, room, n * sizeof(float));
	ck_assert_ptr_eq(t->raw, room);
	char name[16];
	snprintf(name, sizeof name, "w%d", k);
	ir_value *w = ir_initializer_add(g, name, t);
	ir_value *x = g->inputs[0];
	tu_output(tu_node(g, "Add", TU_VALUES(x, w), 1)->outputs[0]);
	return t;
}

/* Bytes saved inline are read from the model file, at any alignment. */
static bool holds_weight(const void *data, int k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float v;
		memcpy(&v, (const uint8_t *)data + i * sizeof v, sizeof v);
		if (v != (float)k + (float)i * 0.25f)
			return false;
	}
	return true;
}

/* Initializer k of the model saved at path holds w<k> of n floats. */
static void assert_saved_weight(const char *path, int k, size_t n)
{
	ir_status status = {0};
	ir_model *back = ir_model_load_file(path, &status);
	ck_assert_msg(back, "%s", status.message);
	const void *bytes;
	size_t got;
	ck_assert(ir_tensor_raw(back, back->graph->initializers[k]->tensor,
	                        &bytes, &got));
	ck_assert_uint_eq(got, n * sizeof(float));
	ck_assert(holds_weight(bytes, k, n));
	ir_model_free(back);
}

/* Saving with a data file beside the output adopts the store's file:
 * the computed weight stays at its offset (never copied), the blocks no
 * saved tensor holds (a tensor gone from the model, a room nobody took)
 * become holes, the output loads with the right bytes, and the model
 * saves again. */
START_TEST(test_save_adopts_the_store)
{
	char dir[] = "/tmp/onnxopt-test-adopt-XXXXXX", path[80], data[96];
	char again[96], again_data[112];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	size_t n = IR_STORE_MIN / sizeof(float) + 1, size = n * sizeof(float);
	ir_model *m = tu_model(17);
	ir_model_set_store_folder(m, dir);
	tu_input(m->graph, "x", TU_DIMS((int64_t)n));
	float *dead = malloc(size); /* a tensor never part of the model */
	for (size_t i = 0; i < n; i++)
		dead[i] = 9.0f;
	int64_t dims[] = {(int64_t)n};
	ir_tensor_create(m, IR_FLOAT, 1, dims, dead, size);
	ir_tensor *t = add_big_weight(m, 0, n);
	const void *stored = t->raw;
	ck_assert_ptr_nonnull(ir_tensor_room(m, size)); /* never taken */

	ir_save_options options;
	ir_save_options_init(&options);
	options.external = true;
	ir_status status = {0};
	snprintf(path, sizeof path, "%s/m.onnx", dir);
	snprintf(data, sizeof data, "%s.data", path);
	ck_assert_msg(ir_model_save_file_ex(m, path, &options, &status), "%s",
	              status.message);
	ck_assert_ptr_eq(t->raw, stored); /* adopted, not copied */
	ck_assert(holds_weight(t->raw, 0, n));
	struct stat st;
	ck_assert_int_eq(stat(data, &st), 0);
	/* Only the live weight takes disk blocks; the others are holes. */
	ck_assert_int_le((long long)st.st_blocks * 512,
	                 (long long)size + 64 * 1024);
	assert_saved_weight(path, 0, n);
	/* Saving again writes a data file of its own, with the same bytes. */
	snprintf(again, sizeof again, "%s/again.onnx", dir);
	snprintf(again_data, sizeof again_data, "%s.data", again);
	ck_assert(ir_model_save_file_ex(m, again, &options, &status));
	assert_saved_weight(again, 0, n);
	ir_model_free(m);
	unlink(path);
	unlink(data);
	unlink(again);
	unlink(again_data);
	ck_assert_int_eq(rmdir(dir), 0);
	free(dead);
}
END_TEST

/* A computed weight that goes inline while another goes to the data file
 * keeps its bytes: the store is not adopted then (adoption would give the
 * inline one's block back), and both read right after the save. */
START_TEST(test_no_adoption_under_an_inline_store_tensor)
{
	char dir[] = "/tmp/onnxopt-test-noadopt-XXXXXX", path[80], data[96];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	size_t n = IR_STORE_MIN / sizeof(float) + 1;
	ir_model *m = tu_model(17);
	ir_model_set_store_folder(m, dir);
	tu_input(m->graph, "x", TU_DIMS((int64_t)n));
	ir_tensor *small = add_big_weight(m, 0, n);
	ir_tensor *big = add_big_weight(m, 1, n + 1);
	ir_save_options options;
	ir_save_options_init(&options);
	options.external = true;
	options.external_threshold = n * sizeof(float) + 1; /* only w1 */
	ir_status status = {0};
	snprintf(path, sizeof path, "%s/m.onnx", dir);
	snprintf(data, sizeof data, "%s.data", path);
	ck_assert_msg(ir_model_save_file_ex(m, path, &options, &status), "%s",
	              status.message);
	ck_assert(holds_weight(small->raw, 0, n));
	ck_assert(holds_weight(big->raw, 1, n + 1));
	assert_saved_weight(path, 0, n);
	assert_saved_weight(path, 1, n + 1);
	ir_model_free(m);
	unlink(path);
	unlink(data);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* When no saved tensor is in the store, the data file does not adopt it:
 * it would begin with holes as large as the store's dead blocks. */
START_TEST(test_no_adoption_when_only_dead_tensors_are_in_the_store)
{
	char dir[] = "/tmp/onnxopt-test-deadstore-XXXXXX", path[80], data[96];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ir_model *m = tu_model(17);
	ir_model_set_store_folder(m, dir);
	size_t dead_size = IR_STORE_MIN + 4096;
	ck_assert_ptr_nonnull(ir_tensor_room(m, dead_size)); /* never taken */
	size_t n = 1000, size = n * sizeof(float);
	float *values = malloc(size);
	for (size_t i = 0; i < n; i++)
		values[i] = (float)i * 0.25f; /* w0, as add_big_weight */
	int64_t dims[] = {(int64_t)n};
	ir_value *x = tu_input(m->graph, "x", TU_DIMS((int64_t)n));
	ir_value *w = ir_initializer_add(
	    m->graph, "w0", ir_tensor_create(m, IR_FLOAT, 1, dims, values, size));
	tu_output(tu_node(m->graph, "Add", TU_VALUES(x, w), 1)->outputs[0]);
	ir_save_options options;
	ir_save_options_init(&options);
	options.external = true;
	options.external_threshold = 1024;
	ir_status status = {0};
	snprintf(path, sizeof path, "%s/m.onnx", dir);
	snprintf(data, sizeof data, "%s.data", path);
	ck_assert_msg(ir_model_save_file_ex(m, path, &options, &status), "%s",
	              status.message);
	struct stat st;
	ck_assert_int_eq(stat(data, &st), 0);
	ck_assert_int_lt((long long)st.st_size, (long long)dead_size);
	assert_saved_weight(path, 0, n);
	ir_model_free(m);
	unlink(path);
	unlink(data);
	ck_assert_int_eq(rmdir(dir), 0);
	free(values);
}
END_TEST

/* A payload borrowed from the loaded file is copied file to file
 * (copy_file_range) when saved: the output's bytes are the input's. */
START_TEST(test_borrowed_payload_copies_file_to_file)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	size_t n = 300 * 1000, size = n * sizeof(float);
	float *values = malloc(size);
	for (size_t i = 0; i < n; i++)
		values[i] = (float)i * 0.5f;
	ir_value *x = tu_input(g, "x", TU_DIMS((int64_t)n));
	int64_t dims[] = {(int64_t)n};
	ir_value *w = ir_initializer_add(
	    g, "w", ir_tensor_create(m, IR_FLOAT, 1, dims, values, size));
	tu_output(tu_node(g, "Add", TU_VALUES(x, w), 1)->outputs[0]);
	char dir[] = "/tmp/onnxopt-test-copy-XXXXXX", in[64], out[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(in, sizeof in, "%s/in.onnx", dir);
	snprintf(out, sizeof out, "%s/out.onnx", dir);
	ir_status status = {0};
	ck_assert(ir_model_save_file(m, in, &status));
	ir_model_free(m);
	m = ir_model_load_file(in, &status);
	ck_assert_ptr_nonnull(m);
	ck_assert(ir_model_save_file(m, out, &status));
	uint8_t *a, *b;
	size_t a_size, b_size;
	read_file(in, &a, &a_size);
	read_file(out, &b, &b_size);
	ck_assert_uint_gt(a_size, size);
	ck_assert_uint_eq(a_size, b_size);
	ck_assert(memcmp(a, b, a_size) == 0);
	unlink(in);
	unlink(out);
	rmdir(dir);
	free(a);
	free(b);
	free(values);
	ir_model_free(m);
}
END_TEST

static Suite *ir_suite(void)
{
	Suite *s = suite_create("ir");
	TCase *nodes = tcase_create("nodes");
	tcase_add_test(nodes, test_insert_and_remove_nodes);
	tcase_add_test(nodes, test_node_create_fresh_outputs);
	tcase_add_test(nodes, test_attributes_set_read_remove);
	tcase_add_test(nodes, test_queries);
	suite_add_tcase(s, nodes);
	TCase *uses = tcase_create("uses");
	tcase_add_test(uses, test_set_input_moves_use);
	tcase_add_test(uses, test_replace_all_uses_exact);
	tcase_add_test(uses, test_replace_all_uses_reaches_subgraphs);
	tcase_add_test(uses, test_move_definition_keeps_name_and_uses);
	suite_add_tcase(s, uses);
	TCase *inits = tcase_create("initializers");
	tcase_add_test(inits, test_initializer_add_and_remove);
	tcase_add_test(inits, test_initializer_remove_drops_input_entry);
	tcase_add_test(inits, test_big_tensors_go_to_the_store);
	tcase_add_test(inits, test_tensor_takes_its_room);
	tcase_add_loop_test(inits, test_written_tensor_moves_to_the_output, 0,
	                    2);
	tcase_add_test(inits, test_borrowed_payload_copies_file_to_file);
	tcase_add_test(inits, test_save_adopts_the_store);
	tcase_add_test(inits, test_no_adoption_under_an_inline_store_tensor);
	tcase_add_test(inits,
	               test_no_adoption_when_only_dead_tensors_are_in_the_store);
	suite_add_tcase(s, inits);
	TCase *order = tcase_create("toposort");
	tcase_add_test(order, test_toposort_restores_order);
	tcase_add_test(order, test_toposort_detects_cycle);
	tcase_add_test(order, test_toposort_counts_subgraph_reads);
	suite_add_tcase(s, order);
	TCase *names = tcase_create("names");
	tcase_add_test(names, test_fresh_names_unique);
	tcase_add_test(names, test_fresh_names_avoid_subgraph_names);
	suite_add_tcase(s, names);
	TCase *sub = tcase_create("subgraphs");
	tcase_add_test(sub, test_subgraph_outer_uses_recorded);
	tcase_add_test(sub, test_remove_graph_attribute_drops_body_uses);
	suite_add_tcase(s, sub);
	return s;
}

int main(void)
{
	return tu_run_suite(ir_suite());
}
