/*
 * match.c - walking, legality and rewriting for the pattern matcher.
 * The design is described at the top of match.h; constant capture and
 * dtype conversion live in match_const.c.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "ir_arena.h"
#include "match.h"
#include "ops.h"

bool match_ok(const match *m)
{
	return !m->failed;
}

bool match_check(match *m, bool condition)
{
	if (!condition)
		m->failed = true;
	return !m->failed;
}

bool match_is_recorded(const match *m, const ir_node *node)
{
	for (int i = 0; i < m->n_nodes; i++)
		if (m->nodes[i] == node)
			return true;
	return false;
}

static void record(match *m, ir_node *node)
{
	if (match_is_recorded(m, node))
		return;
	if (m->n_nodes == MATCH_MAX_NODES) {
		m->failed = true;
		return;
	}
	m->nodes[m->n_nodes++] = node;
}

bool match_begin(match *m, ir_model *model, ir_node *root, const char *op)
{
	memset(m, 0, sizeof *m);
	m->model = model;
	m->graph = root->graph;
	m->opset = ir_model_opset(model, "");
	if (root->removed || !ir_node_is(root, op) || root->n_outputs < 1 ||
	    !root->outputs[0] || op_node_mistyped_attribute(root)) {
		m->failed = true;
		return false;
	}
	record(m, root);
	return true;
}

ir_node *match_producer(match *m, ir_value *value, const char *op)
{
	if (m->failed)
		return NULL;
	ir_node *p = ir_value_producer(value);
	if (!p || p->graph != m->graph || !ir_node_is(p, op) ||
	    op_node_mistyped_attribute(p)) {
		m->failed = true;
		return NULL;
	}
	record(m, p);
	return m->failed ? NULL : p;
}

ir_value *match_operand(match *m, const ir_node *node, int index)
{
	if (m->failed || !node)
		return NULL;
	if (index < 0 || index >= node->n_inputs || !node->inputs[index]) {
		m->failed = true;
		return NULL;
	}
	return node->inputs[index];
}

ir_node *match_input(match *m, ir_node *node, int index, const char *op)
{
	return match_producer(m, match_operand(m, node, index), op);
}

match_mark match_save(const match *m)
{
	return (match_mark){m->n_nodes, m->n_retired};
}

void match_restore(match *m, match_mark mark)
{
	m->n_nodes = mark.n_nodes;
	m->n_retired = mark.n_retired;
	m->failed = false;
}

ir_node *match_commuted(match *m, ir_node *node, const char *op,
                        ir_value **other)
{
	/* A node reading one value twice (Add(t, t)) has no other operand
	 * outside the pattern: the replacement would read t, which the
	 * commit removes with its producer. */
	if (m->failed || !node || node->n_inputs != 2 || !node->inputs[0] ||
	    !node->inputs[1] || node->inputs[0] == node->inputs[1]) {
		m->failed = true;
		return NULL;
	}
	for (int i = 0; i < 2; i++) {
		match_mark mark = match_save(m);
		ir_node *p = match_producer(m, node->inputs[i], op);
		if (p) {
			if (other)
				*other = node->inputs[1 - i];
			return p;
		}
		match_restore(m, mark);
	}
	m->failed = true;
	return NULL;
}

ir_value *match_other_operand(match *m, const ir_node *node,
                              const ir_value *known)
{
	if (m->failed || !node || node->n_inputs != 2) {
		m->failed = true;
		return NULL;
	}
	if (node->inputs[0] == known)
		return node->inputs[1];
	if (node->inputs[1] == known)
		return node->inputs[0];
	m->failed = true;
	return NULL;
}

bool match_same(match *m, const ir_value *a, const ir_value *b)
{
	return match_check(m, a && a == b);
}

bool match_opset_at_least(match *m, int64_t opset)
{
	return match_check(m, m->opset >= opset);
}

/* ------------------------------------------------------------- legality */

static bool value_is_live(const ir_value *v)
{
	return v && ir_value_is_live(v);
}

bool match_extra_outputs_used(const ir_node *node)
{
	for (int i = 1; i < node->n_outputs; i++)
		if (value_is_live(node->outputs[i]))
			return true;
	return false;
}

bool match_private(match *m)
{
	if (m->failed)
		return false;
	if (match_extra_outputs_used(m->nodes[0]))
		return match_check(m, false);
	for (int i = 1; i < m->n_nodes; i++) {
		const ir_node *n = m->nodes[i];
		for (int o = 0; o < n->n_outputs; o++) {
			const ir_value *v = n->outputs[o];
			if (!v)
				continue;
			if (ir_value_is_graph_output(v))
				return match_check(m, false);
			for (int u = 0; u < v->n_uses; u++)
				if (!match_is_recorded(m, v->uses[u].node))
					return match_check(m, false);
		}
	}
	return true;
}

/* Is `value` the output of a recorded node? (An absent value, a graph
 * input or an initializer is not.) */
static bool defined_in_pattern(const match *m, const ir_value *value)
{
	return match_is_recorded(m, ir_value_producer(value));
}

bool match_from_outside(match *m, const ir_value *value)
{
	return match_check(m, !defined_in_pattern(m, value));
}

/* ------------------------------------------------------------ rewriting */

ir_node *match_emit(match *m, const char *op, ir_value *const *inputs,
                    int n_inputs, int n_outputs)
{
	assert(!m->failed);
	ir_node *node =
	    ir_node_create(m->graph, op, "", inputs, n_inputs, n_outputs);
	ir_node_insert_before(m->nodes[0], node);
	if (m->n_emitted < MATCH_MAX_NODES)
		m->emitted[m->n_emitted++] = node;
	return node;
}

static match_edit *new_edit(match *m, int kind, const char *name)
{
	if (m->failed || m->n_edits == MATCH_MAX_EDITS) {
		m->failed = true;
		return NULL;
	}
	match_edit *e = &m->edits[m->n_edits++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->name = name ? ir_strdup(m->model, name) : NULL;
	return e;
}

void match_edit_input(match *m, int index, ir_value *value)
{
	match_edit *e = new_edit(m, MATCH_EDIT_INPUT, NULL);
	if (e) {
		e->index = index;
		e->value = value;
	}
}

void match_edit_attr_int(match *m, const char *name, int64_t v)
{
	match_edit *e = new_edit(m, MATCH_EDIT_INT, name);
	if (e)
		e->i = v;
}

void match_edit_attr_ints(match *m, const char *name, const int64_t *v, int n)
{
	match_edit *e = new_edit(m, MATCH_EDIT_INTS, name);
	if (e) {
		e->ints = ir_memdup(m->model, v, sizeof *v * (size_t)n);
		e->n = n;
	}
}

void match_edit_attr_float(match *m, const char *name, float v)
{
	match_edit *e = new_edit(m, MATCH_EDIT_FLOAT, name);
	if (e)
		e->f = v;
}

void match_edit_attr_string(match *m, const char *name, const char *v)
{
	match_edit *e = new_edit(m, MATCH_EDIT_STRING, name);
	if (e)
		e->s = ir_strdup(m->model, v);
}

/* Does an input edit replace slot `index` of the kept node? */
static bool slot_is_edited(const match *m, int index)
{
	for (int i = 0; i < m->n_edits; i++)
		if (m->edits[i].kind == MATCH_EDIT_INPUT &&
		    m->edits[i].index == index)
			return true;
	return false;
}

static void apply_edits(match *m, ir_node *node)
{
	for (int i = 0; i < m->n_edits; i++) {
		const match_edit *e = &m->edits[i];
		switch (e->kind) {
		case MATCH_EDIT_INPUT:
			if (e->index < node->n_inputs)
				match_retire(m, node->inputs[e->index]);
			match_set_input(node, e->index, e->value);
			break;
		case MATCH_EDIT_INT:
			ir_node_set_attr_int(node, e->name, e->i);
			break;
		case MATCH_EDIT_INTS:
			ir_node_set_attr_ints(node, e->name, e->ints, e->n);
			break;
		case MATCH_EDIT_FLOAT:
			ir_node_set_attr_float(node, e->name, e->f);
			break;
		case MATCH_EDIT_STRING:
			ir_node_set_attr_string(node, e->name, e->s);
			break;
		}
	}
}

void match_set_input(ir_node *node, int index, ir_value *value)
{
	while (node->n_inputs <= index)
		ir_node_add_input(node, NULL);
	ir_node_set_input(node, index, value);
}

void match_retire(match *m, ir_value *value)
{
	if (!value || m->n_retired == MATCH_MAX_NODES)
		return;
	for (int i = 0; i < m->n_retired; i++)
		if (m->retired[i] == value)
			return;
	m->retired[m->n_retired++] = value;
}

void match_drop_if_unused(ir_value *value)
{
	if (!value || value->removed || value_is_live(value))
		return;
	if (value->def == IR_DEF_INITIALIZER) {
		if (!value->is_graph_input)
			ir_initializer_remove(value);
		return;
	}
	ir_node *p = ir_value_producer(value);
	if (!p || p->removed || !ir_node_is(p, "Constant"))
		return;
	for (int i = 0; i < p->n_outputs; i++)
		if (value_is_live(p->outputs[i]))
			return;
	ir_node_remove(p);
}

void match_remove_dead_producers(ir_value *value)
{
	if (!value || value->removed || value_is_live(value))
		return;
	if (value->def == IR_DEF_INITIALIZER) {
		match_drop_if_unused(value);
		return;
	}
	ir_node *p = ir_value_producer(value);
	if (!p || p->removed || !ir_node_is_dead(p))
		return;
	for (int a = 0; a < p->n_attrs; a++)
		if (p->attrs[a].graph || p->attrs[a].graphs)
			return; /* leave control flow to dce */
	int n = p->n_inputs;
	ir_value *inputs[64];
	if (n > 64)
		return;
	for (int i = 0; i < n; i++)
		inputs[i] = p->inputs[i];
	ir_node_remove(p);
	for (int i = 0; i < n; i++)
		match_remove_dead_producers(inputs[i]);
}

/* Every output of a doomed node must end up unused once the doomed nodes
 * stop reading: only then can the rewrite be completed. */
/* Does `value` go unused once the recorded nodes (other than `keep`) stop
 * reading? */
static bool only_pattern_reads(const match *m, const ir_value *value,
                               const ir_node *keep)
{
	if (ir_value_is_graph_output(value))
		return false;
	for (int u = 0; u < value->n_uses; u++) {
		const ir_node *user = value->uses[u].node;
		/* The kept node stops reading a slot that an edit replaces. */
		if (user == keep && slot_is_edited(m, value->uses[u].index))
			continue;
		if (user == keep || !match_is_recorded(m, user))
			return false;
	}
	return true;
}

/* The kept node's new inputs must come from outside the pattern. */
static bool edits_read_outside(const match *m)
{
	for (int i = 0; i < m->n_edits; i++) {
		const ir_value *v = m->edits[i].value;
		if (m->edits[i].kind == MATCH_EDIT_INPUT &&
		    defined_in_pattern(m, v))
			return false;
	}
	return true;
}

/* Undo what the pass created for a refused commit: emitted nodes (last
 * first, so each is unread when it goes) and the initializers and
 * Constant outputs that only they or the edits read. */
static void abandon(match *m)
{
	for (int i = m->n_emitted - 1; i >= 0; i--) {
		ir_node *n = m->emitted[i];
		if (n->removed || !ir_node_is_dead(n))
			continue;
		ir_value *inputs[64];
		int k = n->n_inputs < 64 ? n->n_inputs : 64;
		for (int j = 0; j < k; j++)
			inputs[j] = n->inputs[j];
		ir_node_remove(n);
		for (int j = 0; j < k; j++)
			match_drop_if_unused(inputs[j]);
	}
	for (int i = 0; i < m->n_edits; i++)
		if (m->edits[i].kind == MATCH_EDIT_INPUT)
			match_drop_if_unused(m->edits[i].value);
	m->n_emitted = 0;
	m->n_edits = 0;
}

static bool commit_is_possible(const match *m, const ir_node *replacement,
                               int index)
{
	const ir_node *root = m->nodes[0];
	/* A kept node's output slot gets the root's value; what it held
	 * must be an intermediate of the pattern. */
	if (replacement && replacement != root && index >= 0 &&
	    index < replacement->n_outputs && replacement->outputs[index] &&
	    !only_pattern_reads(m, replacement->outputs[index], replacement))
		return false;
	for (int i = 0; i < m->n_nodes; i++) {
		const ir_node *n = m->nodes[i];
		if (n == replacement)
			continue;
		for (int o = 0; o < n->n_outputs; o++) {
			const ir_value *v = n->outputs[o];
			if (!v || (n == root && o == 0))
				continue;
			if (!only_pattern_reads(m, v, replacement))
				return false;
		}
	}
	return true;
}

bool match_commit(match *m, ir_node *replacement, int index)
{
	ir_node *root = m->nodes[0];
	if (m->failed) {
		abandon(m);
		return false;
	}
	if (!edits_read_outside(m) ||
	    !commit_is_possible(m, replacement, index)) {
		/* A pass broke the contract in match.h; leave the graph as
		 * it was rather than corrupt it. */
		assert(!"match_commit: replacement reads the pattern");
		abandon(m);
		return false;
	}
	apply_edits(m, replacement);
	for (int i = 0; i < m->n_nodes; i++) {
		ir_node *n = m->nodes[i];
		if (n == replacement)
			continue;
		for (int k = 0; k < n->n_inputs; k++)
			if (n->inputs[k]) {
				match_retire(m, n->inputs[k]);
				ir_node_set_input(n, k, NULL);
			}
	}
	if (replacement != root)
		ir_value_move_definition(root->outputs[0], replacement, index);
	for (int i = 0; i < m->n_nodes; i++) {
		ir_node *n = m->nodes[i];
		if (n != replacement && !n->removed)
			ir_node_remove(n);
	}
	for (int i = 0; i < m->n_retired; i++)
		match_drop_if_unused(m->retired[i]);
	return true;
}

bool match_commit_passthrough(match *m, ir_value *value)
{
	if (m->failed || m->n_edits) {
		abandon(m);
		return false;
	}
	ir_value *out = m->nodes[0]->outputs[0];
	if (ir_value_is_graph_output(out) ||
	    !ir_value_readers_see(out, value)) {
		ir_node *identity = match_emit(m, "Identity", &value, 1, 1);
		return match_commit(m, identity, 0);
	}
	if (!commit_is_possible(m, NULL, -1)) {
		abandon(m);
		return false;
	}
	ir_value_replace_all_uses(out, value);
	for (int i = 0; i < m->n_nodes; i++)
		for (int k = 0; k < m->nodes[i]->n_inputs; k++)
			if (m->nodes[i]->inputs[k]) {
				match_retire(m, m->nodes[i]->inputs[k]);
				ir_node_set_input(m->nodes[i], k, NULL);
			}
	for (int i = 0; i < m->n_nodes; i++)
		ir_node_remove(m->nodes[i]);
	for (int i = 0; i < m->n_retired; i++)
		match_drop_if_unused(m->retired[i]);
	return true;
}

/* ------------------------------------------------------------- driving */

typedef struct graph_list {
	ir_graph **graphs;
	int n, cap;
} graph_list;

static void collect_graph(ir_graph *graph, void *ctx)
{
	graph_list *list = ctx;
	if (list->n == list->cap) {
		list->cap = list->cap ? 2 * list->cap : 8;
		list->graphs = ir_xrealloc(list->graphs, sizeof *list->graphs *
		                                             (size_t)list->cap);
	}
	list->graphs[list->n++] = graph;
}

int match_for_each_node(ir_model *model,
                        int (*try_rewrite)(ir_model *model, ir_node *node,
                                           void *ctx),
                        void *ctx)
{
	graph_list list = {0};
	ir_graph_walk(model->graph, collect_graph, &list);
	int changes = 0;
	for (int g = 0; g < list.n; g++) {
		ir_graph *graph = list.graphs[g];
		int n = graph->n_nodes;
		if (n == 0)
			continue;
		ir_node **snapshot = ir_xmalloc(sizeof *snapshot * (size_t)n);
		int k = 0;
		for (ir_node *node = graph->first; node && k < n;
		     node = node->next)
			snapshot[k++] = node;
		for (int i = 0; i < k; i++)
			if (!snapshot[i]->removed)
				changes += try_rewrite(model, snapshot[i], ctx);
		free(snapshot);
	}
	free(list.graphs);
	return changes;
}
