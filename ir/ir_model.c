/*
 * ir_model.c - the IR's one mutation API (queries: ir_query.c; node
 * order: ir_toposort.c).
 *
 * Passes never edit use lists, node lists or scope tables by hand; they call
 * these functions, which keep the invariants listed in ir.h: exact use
 * lists, one definition per value, unique names per scope.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "ir_arena.h"
#include "ir_impl.h"

void *ir_alloc(ir_model *model, size_t size)
{
	return ir_arena_alloc(model->arena, size);
}

char *ir_strdup(ir_model *model, const char *s)
{
	return ir_arena_strdup(model->arena, s);
}

void *ir_grow(ir_model *model, void *array, int *cap, int need,
              size_t elem_size)
{
	return ir_arena_grow(model->arena, array, cap, need, elem_size);
}

void *ir_memdup(ir_model *model, const void *data, size_t size)
{
	void *p = ir_arena_alloc_uninit(model->arena, size);
	if (size)
		memcpy(p, data, size);
	return p;
}

/* ------------------------------------------------------------ use lists */

static void use_add(ir_value *value, ir_node *node, int index)
{
	ir_touch(value->graph->model);
	ir_notify_node(value->graph->model, node);
	if (value->def == IR_DEF_NODE)
		ir_notify_node(value->graph->model, value->producer);
	value->uses =
	    ir_grow(value->graph->model, value->uses, &value->cap_uses,
	            value->n_uses + 1, sizeof *value->uses);
	node->input_use_slots =
	    ir_grow(value->graph->model, node->input_use_slots,
	            &node->cap_input_use_slots, index + 1, sizeof(int));
	node->input_use_slots[index] = value->n_uses;
	value->uses[value->n_uses++] = (ir_use){node, index};
}

static void use_remove(ir_value *value, ir_node *node, int index)
{
	ir_touch(value->graph->model);
	ir_notify_node(value->graph->model, node);
	if (value->def == IR_DEF_NODE)
		ir_notify_node(value->graph->model, value->producer);
	int slot = node->input_use_slots[index];
	assert(slot < value->n_uses && value->uses[slot].node == node &&
	       value->uses[slot].index == index && "use list out of sync");
	/* The last entry fills the hole and learns its new place. */
	ir_use last = value->uses[--value->n_uses];
	value->uses[slot] = last;
	last.node->input_use_slots[last.index] = slot;
}

/* --------------------------------------------------------------- values */

/* Names must stay unique across the whole scope chain *and* all nested
 * subgraphs, since a subgraph could otherwise shadow a fresh outer name. A
 * model-wide counter with a prefix no exporter uses keeps that cheap. */
static const char *fresh_name(ir_graph *graph, const char *hint)
{
	ir_model *model = graph->model;
	char buf[256];
	for (;;) {
		snprintf(buf, sizeof buf, "%.200s__oo%" PRIu64,
		         hint && hint[0] ? hint : "v", model->name_counter++);
		if (!ir_graph_lookup(graph, buf))
			return ir_strdup(model, buf);
	}
}

/* The loader calls this for every name in the file. Fresh names are then
 * numbered past any "<hint>__oo<N>" the file already uses in any graph (a
 * model onnx-opt wrote before has them), since fresh_name only checks the
 * scope chain upwards: a nested body could otherwise define the same name
 * and shadow the fresh outer value for a read from inside the body. */
void ir_reserve_fresh_name(ir_model *model, const char *name)
{
	const char *mark = NULL;
	for (const char *p = strstr(name, "__oo"); p; p = strstr(p + 1, "__oo"))
		mark = p;
	if (!mark || !mark[4])
		return;
	uint64_t n = 0;
	for (const char *d = mark + 4; *d; d++) {
		if (*d < '0' || *d > '9' || n > (UINT64_MAX - 9) / 10)
			return;
		n = n * 10 + (uint64_t)(*d - '0');
	}
	if (n >= model->name_counter)
		model->name_counter = n + 1;
}

void ir_scope_add(ir_graph *graph, ir_value *value)
{
	ir_touch(graph->model);
	HASH_ADD_KEYPTR(hh, graph->scope, value->name, strlen(value->name),
	                value);
}

void ir_scope_remove(ir_value *value)
{
	ir_touch(value->graph->model);
	HASH_DELETE(hh, value->graph->scope, value);
	value->removed = true;
}

ir_value *ir_value_new(ir_graph *graph, const char *name, ir_def_kind def)
{
	ir_value *v = ir_alloc(graph->model, sizeof *v);
	v->name = name;
	v->graph = graph;
	v->def = def;
	v->type.is_tensor = true;
	v->type.rank = -1;
	return v;
}

ir_value *ir_value_create(ir_graph *graph, const char *hint)
{
	ir_value *v = ir_value_new(graph, fresh_name(graph, hint), IR_DEF_NODE);
	ir_scope_add(graph, v);
	return v;
}

static void write_type(ir_value *value, int elem_type, int rank,
                       const ir_dim *dims)
{
	ir_model *model = value->graph->model;
	value->type.is_tensor = true;
	value->type.elem_type = elem_type;
	value->type.rank = rank;
	value->type.dims = NULL;
	if (rank > 0) {
		value->type.dims = ir_alloc(model, sizeof(ir_dim) * rank);
		memcpy(value->type.dims, dims, sizeof(ir_dim) * rank);
	}
}

void ir_value_set_type(ir_value *value, int elem_type, int rank,
                       const ir_dim *dims)
{
	ir_touch(value->graph->model);
	ir_notify_value(value);
	write_type(value, elem_type, rank, dims);
	value->type_changed = true;
	value->type_inferred = false;
}

void ir_value_refine_type(ir_value *value, int elem_type, int rank,
                          const ir_dim *dims)
{
	/* The dims arrays are never written in place (write_type allocates
	 * new ones), so keeping the struct keeps the stated type. */
	if (!value->type_inferred)
		value->stated = value->type;
	value->type_inferred = true;
	write_type(value, elem_type, rank, dims);
}

bool ir_value_record_type(ir_value *value)
{
	if (!value->type_inferred)
		return false;
	value->type_inferred = false;
	value->type_changed = true;
	return true;
}

void ir_value_replace_all_uses(ir_value *from, ir_value *to)
{
	assert(from != to);
	/* Each ir_node_set_input call removes one entry from from->uses. */
	while (from->n_uses > 0) {
		ir_use use = from->uses[from->n_uses - 1];
		ir_node_set_input(use.node, use.index, to);
	}
}

void ir_value_info_remove(ir_value *value)
{
	if (!value->value_info_stamp)
		return;
	ir_touch(value->graph->model);
	value->value_info_stamp = 0;
}

int ir_graph_value_info_count(const ir_graph *graph)
{
	int live = 0;
	for (int i = 0; i < graph->n_value_infos; i++)
		live += ir_value_info_live(&graph->value_infos[i]);
	return live;
}

/* Drop dead entries before the list grows, so that it stays within twice
 * the live entries and each add is O(1) amortized. */
static void compact_value_infos(ir_graph *g)
{
	int kept = 0;
	for (int i = 0; i < g->n_value_infos; i++)
		if (ir_value_info_live(&g->value_infos[i]))
			g->value_infos[kept++] = g->value_infos[i];
	g->n_value_infos = kept;
}

void ir_value_info_append(ir_graph *g, ir_value *value,
                          const Onnx__ValueInfoProto *proto)
{
	if (g->n_value_infos == g->cap_value_infos)
		compact_value_infos(g);
	g->value_infos = ir_grow(g->model, g->value_infos, &g->cap_value_infos,
	                         g->n_value_infos + 1, sizeof *g->value_infos);
	if (value && !value->value_info_stamp)
		value->value_info_stamp = ++g->model->value_info_stamps;
	g->value_infos[g->n_value_infos++] =
	    (ir_value_info){value, proto, value ? value->value_info_stamp : 0};
}

bool ir_value_info_add(ir_value *value)
{
	ir_graph *g = value->graph;
	if (value->is_graph_input || ir_value_is_graph_output(value) ||
	    value->value_info_stamp)
		return false;
	ir_touch(g->model);
	ir_value_info_append(g, value, NULL);
	return true;
}

/* ---------------------------------------------------------------- nodes */

ir_node *ir_node_create(ir_graph *graph, const char *op_type,
                        const char *domain, ir_value *const *inputs,
                        int n_inputs, int n_outputs)
{
	ir_model *model = graph->model;
	ir_node *node = ir_alloc(model, sizeof *node);
	node->graph = graph;
	node->op_type = ir_strdup(model, op_type);
	node->domain = ir_strdup(model, domain ? domain : "");
	node->name = fresh_name(graph, op_type);
	node->inputs = ir_grow(model, NULL, &node->cap_inputs, n_inputs,
	                       sizeof *node->inputs);
	for (int i = 0; i < n_inputs; i++) {
		node->inputs[i] = inputs[i];
		if (inputs[i])
			use_add(inputs[i], node, i);
	}
	node->n_inputs = n_inputs;
	node->outputs = ir_alloc(
	    model, sizeof(ir_value *) * (size_t)(n_outputs ? n_outputs : 1));
	node->n_outputs = n_outputs;
	for (int i = 0; i < n_outputs; i++) {
		ir_value *v = ir_value_create(graph, op_type);
		v->producer = node;
		v->producer_index = i;
		node->outputs[i] = v;
	}
	return node;
}

static void link_between(ir_graph *g, ir_node *prev, ir_node *node,
                         ir_node *next)
{
	ir_touch(g->model);
	ir_notify_node(g->model, node);
	node->prev = prev;
	node->next = next;
	if (prev)
		prev->next = node;
	else
		g->first = node;
	if (next)
		next->prev = node;
	else
		g->last = node;
	g->n_nodes++;
}

void ir_node_insert_before(ir_node *anchor, ir_node *node)
{
	assert(anchor->graph == node->graph);
	link_between(anchor->graph, anchor->prev, node, anchor);
}

void ir_node_insert_after(ir_node *anchor, ir_node *node)
{
	assert(anchor->graph == node->graph);
	link_between(anchor->graph, anchor, node, anchor->next);
}

void ir_node_append(ir_graph *graph, ir_node *node)
{
	link_between(graph, graph->last, node, NULL);
}

/* Drop every use that nodes of `graph` (and its subgraphs) make, so that
 * removing an If/Loop does not leave dangling uses of outer values. */
static void drop_uses_in_graph(ir_graph *graph);

static void drop_node_uses(ir_node *node)
{
	for (int i = 0; i < node->n_inputs; i++)
		if (node->inputs[i]) {
			use_remove(node->inputs[i], node, i);
			node->inputs[i] = NULL;
		}
	for (int a = 0; a < node->n_attrs; a++) {
		ir_attr *attr = &node->attrs[a];
		if (attr->graph)
			drop_uses_in_graph(attr->graph);
		for (size_t k = 0; attr->graphs && k < attr->proto->n_graphs;
		     k++)
			drop_uses_in_graph(attr->graphs[k]);
	}
}

static void drop_uses_in_graph(ir_graph *graph)
{
	for (ir_node *n = graph->first; n; n = n->next)
		drop_node_uses(n);
}

void ir_graph_clear_scope(ir_graph *graph, void *unused)
{
	(void)unused;
	HASH_CLEAR(hh, graph->scope);
}

/* A detached subgraph is dead: release its scope tables now, since the
 * model will no longer reach it when it is freed. */
static void detach_subgraph(ir_graph *parent, ir_graph *sub)
{
	ir_graph_walk(sub, ir_graph_clear_scope, NULL);
	for (int i = 0; i < parent->n_subgraphs; i++)
		if (parent->subgraphs[i] == sub) {
			parent->subgraphs[i] =
			    parent->subgraphs[--parent->n_subgraphs];
			return;
		}
}

void ir_node_remove(ir_node *node)
{
	ir_graph *g = node->graph;
	ir_touch(g->model);
	drop_node_uses(node);
	for (int a = 0; a < node->n_attrs; a++) {
		ir_attr *attr = &node->attrs[a];
		if (attr->graph)
			detach_subgraph(g, attr->graph);
		for (size_t k = 0; attr->graphs && k < attr->proto->n_graphs;
		     k++)
			detach_subgraph(g, attr->graphs[k]);
	}
	for (int i = 0; i < node->n_outputs; i++) {
		ir_value *v = node->outputs[i];
		if (!v)
			continue;
		assert(v->n_uses == 0 &&
		       "removing a node whose output is used");
		ir_value_info_remove(v);
		ir_scope_remove(v);
	}
	if (node->prev)
		node->prev->next = node->next;
	else
		g->first = node->next;
	if (node->next)
		node->next->prev = node->prev;
	else
		g->last = node->prev;
	node->prev = node->next = NULL;
	node->removed = true;
	g->n_nodes--;
}

void ir_node_set_input(ir_node *node, int index, ir_value *value)
{
	assert(index >= 0 && index < node->n_inputs);
	if (node->inputs[index] == value)
		return;
	if (node->inputs[index])
		use_remove(node->inputs[index], node, index);
	node->inputs[index] = value;
	if (value)
		use_add(value, node, index);
}

void ir_node_add_input(ir_node *node, ir_value *value)
{
	node->inputs =
	    ir_grow(node->graph->model, node->inputs, &node->cap_inputs,
	            node->n_inputs + 1, sizeof *node->inputs);
	node->inputs[node->n_inputs++] = NULL;
	ir_node_set_input(node, node->n_inputs - 1, value);
}

void ir_node_truncate_inputs(ir_node *node, int n)
{
	assert(n >= 0);
	while (node->n_inputs > n) {
		ir_node_set_input(node, node->n_inputs - 1, NULL);
		node->n_inputs--;
	}
}

void ir_node_truncate_outputs(ir_node *node, int n)
{
	assert(n >= 0);
	for (int i = n; i < node->n_outputs; i++) {
		ir_value *v = node->outputs[i];
		if (!v)
			continue;
		assert(v->n_uses == 0 && !ir_value_is_graph_output(v));
		ir_value_info_remove(v);
		ir_scope_remove(v);
		node->outputs[i] = NULL;
	}
	if (node->n_outputs > n)
		node->n_outputs = n;
}

void ir_node_set_op_type(ir_node *node, const char *op_type)
{
	ir_notify_node(node->graph->model, node);
	node->op_type = ir_strdup(node->graph->model, op_type);
}

/* ----------------------------------------------------------- attributes */

/* An attribute's bodies go with it: their reads of outer values leave the
 * use lists, and the graphs leave the parent's subgraph list. */
static void release_attr_graphs(ir_node *node, ir_attr *attr)
{
	if (attr->graph) {
		drop_uses_in_graph(attr->graph);
		detach_subgraph(node->graph, attr->graph);
	}
	for (size_t k = 0; attr->graphs && k < attr->proto->n_graphs; k++) {
		drop_uses_in_graph(attr->graphs[k]);
		detach_subgraph(node->graph, attr->graphs[k]);
	}
}

static Onnx__AttributeProto *attr_slot(ir_node *node, const char *name,
                                       int type)
{
	ir_model *model = node->graph->model;
	ir_touch(model);
	ir_notify_node(model, node);
	Onnx__AttributeProto *proto = ir_alloc(model, sizeof *proto);
	onnx__attribute_proto__init(proto);
	proto->name = ir_strdup(model, name);
	proto->has_type = 1;
	proto->type = type;
	ir_attr *attr = (ir_attr *)ir_node_attr(node, name);
	if (!attr) {
		node->attrs =
		    ir_grow(node->graph->model, node->attrs, &node->cap_attrs,
		            node->n_attrs + 1, sizeof *node->attrs);
		attr = &node->attrs[node->n_attrs++];
	} else {
		release_attr_graphs(node, attr);
	}
	memset(attr, 0, sizeof *attr);
	attr->name = proto->name;
	attr->type = type;
	attr->proto = proto;
	return proto;
}

void ir_node_set_attr_int(ir_node *node, const char *name, int64_t v)
{
	Onnx__AttributeProto *p =
	    attr_slot(node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
	p->has_i = 1;
	p->i = v;
}

void ir_node_set_attr_ints(ir_node *node, const char *name, const int64_t *v,
                           int n)
{
	Onnx__AttributeProto *p =
	    attr_slot(node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
	p->n_ints = (size_t)n;
	p->ints = ir_memdup(node->graph->model, v, sizeof *v * (size_t)n);
}

void ir_node_set_attr_float(ir_node *node, const char *name, float v)
{
	Onnx__AttributeProto *p =
	    attr_slot(node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
	p->has_f = 1;
	p->f = v;
}

void ir_node_set_attr_floats(ir_node *node, const char *name, const float *v,
                             int n)
{
	Onnx__AttributeProto *p = attr_slot(
	    node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
	p->n_floats = (size_t)n;
	p->floats = ir_memdup(node->graph->model, v, sizeof *v * (size_t)n);
}

void ir_node_set_attr_string(ir_node *node, const char *name, const char *v)
{
	Onnx__AttributeProto *p = attr_slot(
	    node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
	p->has_s = 1;
	p->s.len = strlen(v);
	p->s.data = (uint8_t *)ir_strdup(node->graph->model, v);
}

/* The tensor stays owned by the model (or borrowed from the file). */
void ir_node_set_attr_tensor(ir_node *node, const char *name, ir_tensor *tensor)
{
	attr_slot(node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
	((ir_attr *)ir_node_attr(node, name))->tensor = tensor;
}

void ir_node_remove_attr(ir_node *node, const char *name)
{
	ir_touch(node->graph->model);
	ir_notify_node(node->graph->model, node);
	int kept = 0;
	for (int i = 0; i < node->n_attrs; i++) {
		ir_attr *a = &node->attrs[i];
		if (a->name && !strcmp(a->name, name)) {
			release_attr_graphs(node, a);
			continue;
		}
		node->attrs[kept++] = *a;
	}
	node->n_attrs = kept;
}

void ir_value_move_definition(ir_value *value, ir_node *node, int index)
{
	assert(value->def == IR_DEF_NODE && value->graph == node->graph);
	assert(index >= 0 && index < node->n_outputs);
	ir_value *old = node->outputs[index];
	if (old == value)
		return;
	ir_touch(node->graph->model);
	ir_notify_value(value);
	ir_notify_node(node->graph->model, node);
	if (old) {
		assert(old->n_uses == 0 && !ir_value_is_graph_output(old));
		ir_value_info_remove(old);
		ir_scope_remove(old);
	}
	if (value->producer)
		value->producer->outputs[value->producer_index] = NULL;
	value->producer = node;
	value->producer_index = index;
	node->outputs[index] = value;
}

/* --------------------------------------------------------- model, graph */

ir_model *ir_model_create(int64_t ir_version, int64_t opset)
{
	ir_model *model = ir_xcalloc(1, sizeof *model);
	model->arena = ir_arena_create();
	model->ir_version = ir_version;
	model->graph = ir_graph_new(model, NULL, NULL);
	model->graph->name = "main";
	ir_model_set_opset(model, "", opset);
	return model;
}

void ir_model_set_opset(ir_model *model, const char *domain, int64_t version)
{
	ir_touch(model);
	for (int i = 0; i < model->n_opsets; i++)
		if (!strcmp(model->opsets[i].domain, domain)) {
			model->opsets[i].version = version;
			return;
		}
	ir_opset *grown =
	    ir_alloc(model, sizeof *grown * (size_t)(model->n_opsets + 1));
	if (model->n_opsets)
		memcpy(grown, model->opsets,
		       sizeof *grown * (size_t)model->n_opsets);
	grown[model->n_opsets++] =
	    (ir_opset){ir_strdup(model, domain), version};
	model->opsets = grown;
}

ir_value *ir_graph_add_input(ir_graph *graph, const char *name, int elem_type,
                             int rank, const ir_dim *dims)
{
	ir_value *v =
	    ir_value_new(graph, ir_strdup(graph->model, name), IR_DEF_INPUT);
	assert(!ir_graph_lookup(graph, name));
	ir_scope_add(graph, v);
	v->is_graph_input = true;
	ir_value_set_type(v, elem_type, rank, dims);
	graph->inputs = ir_grow(graph->model, graph->inputs, &graph->cap_inputs,
	                        graph->n_inputs + 1, sizeof *graph->inputs);
	graph->inputs[graph->n_inputs++] = v;
	return v;
}

void ir_graph_add_output(ir_graph *graph, ir_value *value)
{
	ir_touch(graph->model);
	graph->outputs =
	    ir_grow(graph->model, graph->outputs, &graph->cap_outputs,
	            graph->n_outputs + 1, sizeof *graph->outputs);
	graph->output_infos =
	    ir_grow(graph->model, graph->output_infos, &graph->cap_output_infos,
	            graph->n_outputs + 1, sizeof *graph->output_infos);
	if (value->graph == graph)
		value->graph_output_slots++;
	ir_notify_value(value);
	graph->outputs[graph->n_outputs] = value;
	graph->output_infos[graph->n_outputs++] = NULL;
}

void ir_graph_set_output(ir_graph *graph, int index, ir_value *value)
{
	assert(index >= 0 && index < graph->n_outputs);
	ir_touch(graph->model);
	ir_value *old = graph->outputs[index];
	if (old->graph == graph)
		old->graph_output_slots--;
	if (value->graph == graph)
		value->graph_output_slots++;
	ir_notify_value(old);
	ir_notify_value(value);
	graph->outputs[index] = value;
}

/* ---------------------------------------------------------- initializers */

ir_value *ir_initializer_add(ir_graph *graph, const char *hint,
                             ir_tensor *tensor)
{
	ir_value *v = ir_value_create(graph, hint);
	v->def = IR_DEF_INITIALIZER;
	v->tensor = tensor;
	ir_dim *dims =
	    ir_alloc(graph->model, sizeof(ir_dim) * (size_t)(tensor->rank + 1));
	for (int i = 0; i < tensor->rank; i++)
		dims[i] = (ir_dim){IR_DIM_VALUE, tensor->dims[i], NULL};
	ir_value_set_type(v, tensor->elem_type, tensor->rank, dims);
	graph->initializers =
	    ir_grow(graph->model, graph->initializers, &graph->cap_initializers,
	            graph->n_initializers + 1, sizeof *graph->initializers);
	graph->initializers[graph->n_initializers++] = v;
	return v;
}

void ir_initializer_remove(ir_value *value)
{
	ir_graph *g = value->graph;
	assert(value->def == IR_DEF_INITIALIZER && value->n_uses == 0);
	ir_touch(g->model);
	/* It stays in the initializer list, marked removed, until
	 * ir_graph_compact: removing many is then linear, not quadratic. */
	g->n_removed_initializers++;
	if (value->is_graph_input) {
		int kept = 0;
		for (int i = 0; i < g->n_inputs; i++)
			if (g->inputs[i] != value)
				g->inputs[kept++] = g->inputs[i];
		g->n_inputs = kept;
	}
	ir_value_info_remove(value);
	ir_scope_remove(value);
}

static void compact_initializers(ir_graph *g, void *unused)
{
	(void)unused;
	if (!g->n_removed_initializers)
		return;
	int kept = 0;
	for (int i = 0; i < g->n_initializers; i++)
		if (!g->initializers[i]->removed)
			g->initializers[kept++] = g->initializers[i];
	g->n_initializers = kept;
	g->n_removed_initializers = 0;
}

void ir_graph_compact(ir_graph *graph)
{
	ir_graph_walk(graph, compact_initializers, NULL);
}
