/*
 * ir_toposort.c - put a graph's nodes back in topological order, keeping
 * the file order wherever it is already valid (a stable Kahn sort), and
 * name the node on a cycle when there is none.
 *
 * A read from inside a subgraph counts as a read by the node that owns the
 * subgraph, since that node runs the body.
 */
#include <stdlib.h>

#include "ir_arena.h"
#include "ir_impl.h"

/* Map a use inside a subgraph to the node of `graph` that owns it. */
static ir_node *owner_in(const ir_graph *graph, ir_node *node)
{
	while (node && node->graph != graph)
		node = node->graph->parent_node;
	return node;
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
				    owner_in(graph, v->uses[u].node);
				if (owner)
					pending[owner->order]++;
			}
		}
	}
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
				    owner_in(graph, v->uses[u].node);
				if (owner && --pending[owner->order] == 0)
					HEAP_PUSH((int)owner->order);
			}
		}
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
	return ok;
}
