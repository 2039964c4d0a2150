/*
 * ir_verify.c - check the invariants listed in ir.h.
 *
 * The test builds run this after every pass, so a pass that corrupts the IR
 * fails at that pass, named, instead of producing a model that some runtime
 * later rejects. It is linear in the size of the IR (the use-list check
 * keeps one hash entry per use).
 */
#include <string.h>

#include "ir_arena.h"
#include "ir_impl.h"

/* One (node, input index) slot that a use entry points at. */
typedef struct claimed_slot {
	struct {
		const ir_node *node;
		int index;
	} key;
	UT_hash_handle hh;
} claimed_slot;

typedef struct verifier {
	ir_status *status;
	long input_slots;         /* non-absent node input slots seen */
	long use_entries;         /* use-list entries seen */
	claimed_slot *claimed;    /* every slot a use entry has named */
	struct ir_arena *scratch; /* holds the claimed slots */
} verifier;

static const char *nz(const char *s)
{
	return s ? s : "";
}


/* Membership of a value in its graph's input and initializer lists, in
 * O(1): verify_graph marks the listed values through `scratch` (NULL
 * between passes) and clears the marks again before it returns. */
static char listed_as_input, listed_as_initializer, listed_as_both;

static void mark_list(ir_value *const *list, int n, char *mark)
{
	for (int i = 0; i < n; i++) {
		ir_value *v = list[i];
		v->scratch =
		    v->scratch && v->scratch != mark ? &listed_as_both : mark;
	}
}

static void clear_marks(ir_value *const *list, int n)
{
	for (int i = 0; i < n; i++)
		list[i]->scratch = NULL;
}

static bool contains(const ir_value *v, const char *mark)
{
	return v->scratch == mark || v->scratch == &listed_as_both;
}

static bool verify_graph(verifier *vf, const ir_graph *g);

/* Record that a use entry names this slot; false if one already did. A
 * valid entry names a slot that reads its value, so slots never repeat
 * across values either. */
static bool claim_slot(verifier *vf, const ir_node *node, int index)
{
	claimed_slot probe, *found;
	memset(&probe, 0, sizeof probe);
	probe.key.node = node;
	probe.key.index = index;
	HASH_FIND(hh, vf->claimed, &probe.key, sizeof probe.key, found);
	if (found)
		return false;
	claimed_slot *slot = ir_arena_alloc(vf->scratch, sizeof *slot);
	slot->key = probe.key;
	HASH_ADD(hh, vf->claimed, key, sizeof slot->key, slot);
	return true;
}

static bool verify_value(verifier *vf, const ir_graph *g, ir_value *v)
{
	if (v->removed || v->graph != g)
		return ir_fail(vf->status, IR_ERR_PASS,
		               "value '%s' is in the scope of graph '%s' but "
		               "belongs elsewhere or was removed",
		               v->name, nz(g->name));
	switch (v->def) {
	case IR_DEF_NODE:
		if (!v->producer || v->producer->removed ||
		    v->producer->graph != g ||
		    v->producer_index >= v->producer->n_outputs ||
		    v->producer->outputs[v->producer_index] != v)
			return ir_fail(vf->status, IR_ERR_PASS,
			               "value '%s' names a producer that does "
			               "not define it",
			               v->name);
		break;
	case IR_DEF_INITIALIZER:
		if ((!v->tensor && !v->sparse) ||
		    !contains(v, &listed_as_initializer))
			return ir_fail(vf->status, IR_ERR_PASS,
			               "initializer '%s' has no data or is not "
			               "listed",
			               v->name);
		break;
	case IR_DEF_INPUT:
		if (!v->is_graph_input || !contains(v, &listed_as_input))
			return ir_fail(
			    vf->status, IR_ERR_PASS,
			    "input '%s' is not a graph input of '%s'", v->name,
			    nz(g->name));
		break;
	}
	for (int u = 0; u < v->n_uses; u++) {
		ir_node *user = v->uses[u].node;
		int index = v->uses[u].index;
		if (!user || user->removed || index < 0 ||
		    index >= user->n_inputs || user->inputs[index] != v)
			return ir_fail(
			    vf->status, IR_ERR_PASS,
			    "use list of '%s' has a stale entry (node "
			    "'%s' input %d)",
			    v->name, user ? nz(user->name) : "?", index);
		if (!ir_owner_in(g, user))
			return ir_fail(
			    vf->status, IR_ERR_PASS,
			    "value '%s' is used by node '%s' outside "
			    "its scope",
			    v->name, nz(user->name));
		if (!claim_slot(vf, user, index))
			return ir_fail(vf->status, IR_ERR_PASS,
			               "use list of '%s' names node '%s' "
			               "input %d twice",
			               v->name, nz(user->name), index);
	}
	vf->use_entries += v->n_uses;
	return true;
}

static bool verify_node(verifier *vf, const ir_graph *g, ir_node *n)
{
	if (n->graph != g || n->removed)
		return ir_fail(vf->status, IR_ERR_PASS,
		               "node '%s' (%s) is linked into the wrong graph",
		               nz(n->name), n->op_type);
	for (int i = 0; i < n->n_outputs; i++) {
		ir_value *v = n->outputs[i];
		if (v && (v->def != IR_DEF_NODE || v->producer != n ||
		          v->producer_index != i))
			return ir_fail(vf->status, IR_ERR_PASS,
			               "node '%s' (%s) output %d '%s' has "
			               "another definition",
			               nz(n->name), n->op_type, i, v->name);
	}
	for (int i = 0; i < n->n_inputs; i++) {
		ir_value *v = n->inputs[i];
		if (!v)
			continue;
		vf->input_slots++;
		if (v->removed || ir_graph_lookup(g, v->name) != v)
			return ir_fail(vf->status, IR_ERR_PASS,
			               "node '%s' (%s) input %d '%s' does not "
			               "resolve in scope",
			               nz(n->name), n->op_type, i, v->name);
		if (v->def != IR_DEF_NODE)
			continue;
		/* The producer must come first in the graph that defines
		 * the value; for a read from a subgraph, the owning node
		 * stands in for the reader. */
		ir_node *reader = ir_owner_in(v->graph, n);
		if (!reader || v->producer->order >= reader->order)
			return ir_fail(vf->status, IR_ERR_PASS,
			               "node '%s' (%s) reads '%s' before it is "
			               "defined (not in topological order)",
			               nz(n->name), n->op_type, v->name);
	}
	for (int a = 0; a < n->n_attrs; a++) {
		const ir_attr *attr = &n->attrs[a];
		int count = attr->graph ? 1 : 0;
		ir_graph *const *list = attr->graph ? &attr->graph : NULL;
		if (attr->graphs) {
			count = (int)attr->proto->n_graphs;
			list = attr->graphs;
		}
		for (int k = 0; k < count; k++) {
			const ir_graph *sub = list[k];
			if (sub->parent != g || sub->parent_node != n)
				return ir_fail(vf->status, IR_ERR_PASS,
				               "subgraph of node '%s' (%s) has "
				               "a wrong parent link",
				               nz(n->name), n->op_type);
			if (!verify_graph(vf, sub))
				return false;
		}
	}
	return true;
}

static bool verify_graph(verifier *vf, const ir_graph *g)
{
	int64_t order = 0;
	int count = 0;
	const ir_node *prev = NULL;
	for (ir_node *n = g->first; n; n = n->next) {
		if (n->prev != prev)
			return ir_fail(vf->status, IR_ERR_PASS,
			               "node list of graph '%s' is corrupt at "
			               "'%s'",
			               nz(g->name), nz(n->name));
		n->order = order++;
		prev = n;
		count++;
	}
	if (prev != g->last || count != g->n_nodes)
		return ir_fail(vf->status, IR_ERR_PASS,
		               "node list of graph '%s' has %d nodes, count "
		               "says %d",
		               nz(g->name), count, g->n_nodes);
	mark_list(g->inputs, g->n_inputs, &listed_as_input);
	mark_list(g->initializers, g->n_initializers, &listed_as_initializer);
	bool values_ok = true;
	ir_value *v, *tmp;
	HASH_ITER(hh, g->scope, v, tmp)
	{
		if (!(values_ok = verify_value(vf, g, v)))
			break;
	}
	clear_marks(g->inputs, g->n_inputs);
	clear_marks(g->initializers, g->n_initializers);
	if (!values_ok)
		return false;
	for (int i = 0; i < g->n_inputs; i++)
		if (g->inputs[i]->removed || g->inputs[i]->graph != g)
			return ir_fail(vf->status, IR_ERR_PASS,
			               "graph '%s' lists a removed input",
			               nz(g->name));
	/* Removed initializers wait in the list for ir_graph_compact. */
	int removed = 0;
	for (int i = 0; i < g->n_initializers; i++)
		removed += g->initializers[i]->removed;
	if (removed != g->n_removed_initializers)
		return ir_fail(vf->status, IR_ERR_PASS,
		               "graph '%s' lists %d removed initializers, "
		               "expected %d",
		               nz(g->name), removed, g->n_removed_initializers);
	for (int i = 0; i < g->n_initializers; i++)
		if (!g->initializers[i]->removed &&
		    g->initializers[i]->def != IR_DEF_INITIALIZER)
			return ir_fail(vf->status, IR_ERR_PASS,
			               "graph '%s' lists a removed initializer",
			               nz(g->name));
	for (int i = 0; i < g->n_outputs; i++) {
		ir_value *out = g->outputs[i];
		if (out->removed || ir_graph_lookup(g, out->name) != out ||
		    (out->graph == g && out->graph_output_slots <= 0))
			return ir_fail(vf->status, IR_ERR_PASS,
			               "output '%s' of graph '%s' does not "
			               "resolve",
			               out->name, nz(g->name));
		/* A body returning an outer value reads it when its node
		 * runs: the producer must come before that node. The
		 * enclosing graphs' orders are set already. */
		if (out->graph != g && out->def == IR_DEF_NODE) {
			ir_node *reader = ir_owner_in(out->graph, g->parent_node);
			if (!reader || out->producer->order >= reader->order)
				return ir_fail(
				    vf->status, IR_ERR_PASS,
				    "subgraph '%s' outputs '%s' before it is "
				    "defined (not in topological order)",
				    nz(g->name), out->name);
		}
	}
	for (int i = 0; i < g->n_value_infos; i++) {
		const ir_value *e = g->value_infos[i].value;
		if (e && ir_value_info_live(&g->value_infos[i]) &&
		    (e->removed || e->graph != g))
			return ir_fail(vf->status, IR_ERR_PASS,
			               "value_info of graph '%s' names removed "
			               "value '%s'",
			               nz(g->name), e->name);
	}
	for (ir_node *n = g->first; n; n = n->next)
		if (!verify_node(vf, g, n))
			return false;
	for (int i = 0; i < g->n_subgraphs; i++) {
		const ir_graph *sub = g->subgraphs[i];
		if (sub->parent != g || !sub->parent_node ||
		    sub->parent_node->removed || sub->parent_node->graph != g)
			return ir_fail(
			    vf->status, IR_ERR_PASS,
			    "graph '%s' keeps a subgraph of a removed "
			    "node",
			    nz(g->name));
	}
	return true;
}

static bool has_use(const ir_value *v, const ir_node *node, int index)
{
	for (int u = 0; u < v->n_uses; u++)
		if (v->uses[u].node == node && v->uses[u].index == index)
			return true;
	return false;
}

/* Only on the failure path: find the slot whose use entry is missing, so
 * the message names it. Quadratic in the worst case, which is fine here. */
static bool name_missing_use(const ir_graph *g, ir_status *status)
{
	for (ir_node *n = g->first; n; n = n->next) {
		for (int i = 0; i < n->n_inputs; i++)
			if (n->inputs[i] && !has_use(n->inputs[i], n, i))
				return ir_fail(
				    status, IR_ERR_PASS,
				    "node '%s' (%s) input %d reads '%s' "
				    "but is missing from its use list",
				    nz(n->name), n->op_type, i,
				    n->inputs[i]->name);
	}
	for (int i = 0; i < g->n_subgraphs; i++)
		if (!name_missing_use(g->subgraphs[i], status))
			return false;
	return true;
}

bool ir_verify(const ir_model *model, ir_status *status)
{
	verifier vf = {status, 0, 0, NULL, ir_arena_create_scratch()};
	bool ok = verify_graph(&vf, model->graph);
	HASH_CLEAR(hh, vf.claimed);
	ir_arena_free(vf.scratch);
	if (!ok)
		return false;
	/* Every entry points back at a slot that reads its value, and no two
	 * entries name the same slot (checked above): the entries map one to
	 * one into the slots, so equal totals make the use lists exactly the
	 * slots, value by value. */
	if (vf.input_slots != vf.use_entries) {
		if (!name_missing_use(model->graph, status))
			return false;
		return ir_fail(status, IR_ERR_PASS,
		               "use lists hold %ld entries for %ld input slots",
		               vf.use_entries, vf.input_slots);
	}
	return true;
}
