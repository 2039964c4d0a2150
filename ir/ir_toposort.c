/*
 * ir_toposort.c - put a graph's nodes back in topological order, keeping
 * the file order wherever it is already valid (a stable Kahn sort), and
 * name the node on a cycle when there is none.
 *
 * A read from inside a subgraph counts as a read by the node that owns the
 * subgraph, since that node runs the body; so does a subgraph output that
 * names a value of the graph being sorted (an If branch returning an
 * outer value), which no use list records.
 */
#include <stdlib.h>

#include "ir_arena.h"
#include "ir_impl.h"

static void walk_outputs(ir_graph *graph, ir_graph *sub, ir_node *owner,
                         void (*fn)(ir_node *, ir_value *, void *), void *ctx)
{
	for (int i = 0; i < sub->n_outputs; i++) {
		ir_value *v = sub->outputs[i];
		if (v && v->graph == graph && v->def == IR_DEF_NODE)
			fn(owner, v, ctx);
	}
	for (int i = 0; i < sub->n_subgraphs; i++)
		walk_outputs(graph, sub->subgraphs[i], owner, fn, ctx);
}

void ir_graph_each_output_dependency(ir_graph *graph,
                                     void (*fn)(ir_node *owner,
                                                ir_value *value, void *ctx),
                                     void *ctx)
{
	for (int i = 0; i < graph->n_subgraphs; i++) {
		ir_graph *sub = graph->subgraphs[i];
		if (sub->parent_node)
			walk_outputs(graph, sub, sub->parent_node, fn, ctx);
	}
}

/* Dependencies through subgraph outputs, as producer -> owner edges in
 * compressed rows: the owners of producer k are
 * owners[first[k] .. first[k + 1]). */
typedef struct output_edges {
	int64_t *pending;
	int *first;
	int *owners;
	int counting; /* first pass counts, second fills */
} output_edges;

static void note_output_edge(ir_node *owner, ir_value *value, void *ctx)
{
	output_edges *e = ctx;
	int from = (int)value->producer->order;
	if (e->counting) {
		e->first[from + 1]++;
		e->pending[owner->order]++;
	} else {
		e->owners[e->first[from]++] = (int)owner->order;
	}
}

bool ir_graph_toposort(ir_graph *graph, ir_status *status)
{
	int n = graph->n_nodes;
	if (n == 0)
		return true;
	ir_touch(graph->model);
	ir_node **nodes = ir_xmalloc(sizeof *nodes * (size_t)n);
	int64_t *pending = ir_xcalloc((size_t)n, sizeof *pending);
	int i = 0;
	for (ir_node *node = graph->first; node; node = node->next) {
		node->order = i;
		nodes[i++] = node;
	}
	/* pending[k]: producers of node k (in this graph) not yet placed,
	 * counting reads from inside node k's subgraphs too. */
	for (int k = 0; k < n; k++) {
		for (int o = 0; o < nodes[k]->n_outputs; o++) {
			ir_value *v = nodes[k]->outputs[o];
			for (int u = 0; v && u < v->n_uses; u++) {
				ir_node *owner =
				    ir_owner_in(graph, v->uses[u].node);
				if (owner)
					pending[owner->order]++;
			}
		}
	}
	output_edges edges = {pending, ir_xcalloc((size_t)n + 1, sizeof(int)),
	                      NULL, 1};
	ir_graph_each_output_dependency(graph, note_output_edge, &edges);
	for (int k = 0; k < n; k++)
		edges.first[k + 1] += edges.first[k];
	edges.owners = ir_xmalloc(sizeof(int) * ((size_t)edges.first[n] + 1));
	edges.counting = 0;
	ir_graph_each_output_dependency(graph, note_output_edge, &edges);
	/* Filling advanced each row start to the next row's: shift back. */
	for (int k = n; k > 0; k--)
		edges.first[k] = edges.first[k - 1];
	edges.first[0] = 0;
	/* Stable Kahn: always take the earliest ready node in file order. */
	ir_node **sorted = ir_xmalloc(sizeof *sorted * (size_t)n);
	int *heap = ir_xmalloc(sizeof *heap * (size_t)n);
	int heap_n = 0, placed = 0;
#define HEAP_PUSH(x)                                                           \
	do {                                                                   \
		int c_ = heap_n++;                                             \
		heap[c_] = (x);                                                \
		while (c_ > 0 && heap[(c_ - 1) / 2] > heap[c_]) {              \
			int t_ = heap[c_];                                     \
			heap[c_] = heap[(c_ - 1) / 2];                         \
			heap[(c_ - 1) / 2] = t_;                               \
			c_ = (c_ - 1) / 2;                                     \
		}                                                              \
	} while (0)
	for (int k = 0; k < n; k++)
		if (pending[k] == 0)
			HEAP_PUSH(k);
	while (heap_n > 0) {
		int top = heap[0];
		heap[0] = heap[--heap_n];
		for (int c = 0;;) {
			int l = 2 * c + 1, r = l + 1, m = c;
			if (l < heap_n && heap[l] < heap[m])
				m = l;
			if (r < heap_n && heap[r] < heap[m])
				m = r;
			if (m == c)
				break;
			int t = heap[c];
			heap[c] = heap[m];
			heap[m] = t;
			c = m;
		}
		ir_node *node = nodes[top];
		sorted[placed++] = node;
		for (int o = 0; o < node->n_outputs; o++) {
			ir_value *v = node->outputs[o];
			for (int u = 0; v && u < v->n_uses; u++) {
				ir_node *owner =
				    ir_owner_in(graph, v->uses[u].node);
				if (owner && --pending[owner->order] == 0)
					HEAP_PUSH((int)owner->order);
			}
		}
		for (int e = edges.first[top]; e < edges.first[top + 1]; e++)
			if (--pending[edges.owners[e]] == 0)
				HEAP_PUSH(edges.owners[e]);
	}
#undef HEAP_PUSH
	bool ok = placed == n;
	if (!ok) {
		ir_node *stuck = NULL;
		for (int k = 0; k < n && !stuck; k++)
			if (pending[k] > 0)
				stuck = nodes[k];
		ir_fail(status, IR_ERR_INVALID,
		        "graph '%s' contains a cycle through node '%s' (%s)",
		        graph->name ? graph->name : "",
		        stuck && stuck->name ? stuck->name : "",
		        stuck ? stuck->op_type : "?");
	} else {
		graph->first = graph->last = NULL;
		graph->n_nodes = 0;
		for (int k = 0; k < n; k++)
			ir_node_append(graph, sorted[k]);
	}
	free(nodes);
	free(pending);
	free(sorted);
	free(heap);
	free(edges.first);
	free(edges.owners);
	return ok;
}
