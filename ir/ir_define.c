/*
 * ir_define.c - changing how values are defined, for folding: a node's
 * output becomes an initializer, and a subgraph's nodes move into the
 * graph that owns it (an If whose branch is known).
 *
 * Both keep the invariants of ir.h: every value keeps exactly one
 * definition, use lists are never edited by hand (values keep their
 * users, nodes keep their input slots), and names stay unique in every
 * scope they are visible from. Values move by pointer, so every reader
 * follows them without being touched.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ir_impl.h"

void ir_value_make_initializer(ir_value *value, ir_tensor *tensor)
{
	assert(value->def == IR_DEF_NODE && tensor);
	ir_graph *g = value->graph;
	ir_touch(g->model);
	ir_notify_value(value);
	if (value->producer)
		value->producer->outputs[value->producer_index] = NULL;
	value->producer = NULL;
	value->producer_index = 0;
	value->def = IR_DEF_INITIALIZER;
	value->tensor = tensor;
	ir_dim *dims =
	    ir_alloc(g->model, sizeof(ir_dim) * (size_t)(tensor->rank + 1));
	for (int i = 0; i < tensor->rank; i++)
		dims[i] = (ir_dim){IR_DIM_VALUE, tensor->dims[i], NULL};
	ir_value_set_type(value, tensor->elem_type, tensor->rank, dims);
	g->initializers =
	    ir_grow(g->model, g->initializers, &g->cap_initializers,
	            g->n_initializers + 1, sizeof *g->initializers);
	g->initializers[g->n_initializers++] = value;
}

/* ------------------------------------------------------------- inlining */

/* Is `name` defined in `g` or any graph below it, other than `skip`? */
static bool name_taken(const ir_graph *g, const ir_graph *skip,
                       const char *name)
{
	if (g == skip)
		return false;
	ir_value *v = NULL;
	HASH_FIND_STR(g->scope, name, v);
	if (v)
		return true;
	for (int i = 0; i < g->n_subgraphs; i++)
		if (name_taken(g->subgraphs[i], skip, name))
			return true;
	return false;
}

/* A name for a value moving out of `body` that no other graph uses, so
 * it can neither clash in its new scope nor be shadowed below it. */
static const char *unique_moved_name(ir_model *model, const ir_graph *body,
                                     const char *name)
{
	if (!name_taken(model->graph, body, name))
		return name;
	char buf[256];
	do {
		snprintf(buf, sizeof buf, "%.200s__oo%" PRIu64, name,
		         model->name_counter++);
	} while (name_taken(model->graph, NULL, buf));
	return ir_strdup(model, buf);
}

static void move_values(ir_graph *body, ir_graph *parent)
{
	ir_model *model = parent->model;
	ir_value *v, *tmp;
	HASH_ITER(hh, body->scope, v, tmp)
	{
		HASH_DELETE(hh, body->scope, v);
		v->name = unique_moved_name(model, body, v->name);
		v->graph = parent;
		ir_scope_add(parent, v);
	}
	for (int i = 0; i < body->n_initializers; i++) {
		if (body->initializers[i]->removed)
			continue;
		parent->initializers = ir_grow(
		    model, parent->initializers, &parent->cap_initializers,
		    parent->n_initializers + 1, sizeof *parent->initializers);
		parent->initializers[parent->n_initializers++] =
		    body->initializers[i];
	}
	body->n_initializers = 0;
	for (int i = 0; i < body->n_value_infos; i++) {
		const ir_value_info *e = &body->value_infos[i];
		if (!e->value || !ir_value_info_live(e))
			continue;
		ir_value_info_append(parent, e->value, e->proto);
	}
	body->n_value_infos = 0;
}

static void move_nodes(ir_graph *body, ir_node *anchor)
{
	ir_graph *parent = anchor->graph;
	ir_node *n = body->first;
	body->first = body->last = NULL;
	body->n_nodes = 0;
	while (n) {
		ir_node *next = n->next;
		n->prev = n->next = NULL;
		n->graph = parent;
		ir_node_insert_before(anchor, n);
		n = next;
	}
	for (int i = 0; i < body->n_subgraphs; i++) {
		ir_graph *sub = body->subgraphs[i];
		sub->parent = parent;
		parent->subgraphs = ir_grow(
		    parent->model, parent->subgraphs, &parent->cap_subgraphs,
		    parent->n_subgraphs + 1, sizeof *parent->subgraphs);
		parent->subgraphs[parent->n_subgraphs++] = sub;
	}
	body->n_subgraphs = 0;
}

/* Make node output `out` carry `src`, which is now visible in the
 * parent. A node-defined source hands its definition over; anything else
 * (an initializer, an outer value, a source already handed over) is
 * forwarded through an Identity, which keeps the output's name. */
static void bind_output(ir_node *node, ir_value *out, ir_value *src,
                        ir_value *already_bound)
{
	ir_graph *parent = node->graph;
	if (!already_bound && src->def == IR_DEF_NODE && src->graph == parent &&
	    !ir_value_is_graph_output(src)) {
		ir_value_replace_all_uses(src, out);
		ir_value_move_definition(out, src->producer,
		                         src->producer_index);
		return;
	}
	ir_value *from = already_bound ? already_bound : src;
	ir_node *identity = ir_node_create(parent, "Identity", "", &from, 1, 1);
	ir_node_insert_before(node, identity);
	ir_value_move_definition(out, identity, 0);
}

bool ir_graph_inline_subgraph(ir_node *node, ir_graph *body, ir_status *status)
{
	ir_graph *parent = node->graph;
	if (body->parent != parent || body->parent_node != node)
		return ir_fail(status, IR_ERR_USAGE,
		               "graph '%s' is not a body of node '%s'",
		               body->name ? body->name : "",
		               node->name ? node->name : "");
	if (body->n_inputs != 0)
		return ir_fail(status, IR_ERR_USAGE,
		               "body '%s' of node '%s' takes %d inputs",
		               body->name ? body->name : "",
		               node->name ? node->name : "", body->n_inputs);
	if (body->n_outputs != node->n_outputs)
		return ir_fail(status, IR_ERR_INVALID,
		               "body '%s' has %d outputs, node '%s' %d",
		               body->name ? body->name : "", body->n_outputs,
		               node->name ? node->name : "", node->n_outputs);
	ir_touch(parent->model);
	/* The body's outputs become plain values of the parent. */
	for (int k = 0; k < body->n_outputs; k++)
		if (body->outputs[k]->graph == body)
			body->outputs[k]->graph_output_slots--;
	move_values(body, parent);
	move_nodes(body, node);
	for (int k = 0; k < node->n_outputs; k++) {
		ir_value *out = node->outputs[k];
		if (!out)
			continue;
		ir_value *src = body->outputs[k];
		ir_value *already_bound = NULL;
		for (int j = 0; j < k && !already_bound; j++)
			if (body->outputs[j] == src && node->outputs[j])
				already_bound = node->outputs[j];
		bind_output(node, out, src, already_bound);
	}
	body->n_outputs = 0;
	ir_node_remove(node);
	return true;
}
