/*
 * dot.c - the "dot" and "dot-before" options: a model's graph as Graphviz
 * DOT, for `dot -Tsvg graph.dot > graph.svg`.
 *
 * What is drawn:
 *  - each node as a box "OpType" over a short form of its name (a
 *    domain other than ONNX's prefixes the op: "com.microsoft:Attention");
 *  - graph inputs and outputs as ellipses named after the value;
 *  - an edge per value read, from its producer (or graph input) to the
 *    reader, labelled with the element type and shape where known
 *    ("float [batch,128,768]");
 *  - initializers collapsed: not drawn, but counted in their reader's box
 *    ("+2 constants"), so weights do not swamp the picture;
 *  - If/Loop/Scan bodies as clusters labelled with the owner and the
 *    attribute, with their own inputs and outputs; a body that reads an
 *    outer value gets the edge from that value's producer.
 * Every element gets an id from its address, so the DOT is valid for any
 * names, and quotes and backslashes in labels are escaped.
 */
#include <stdio.h>
#include <string.h>

#include "lib.h"

/* A DOT string body: quotes, backslashes and newlines escaped. */
static void put_escaped(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* At most 28 characters of a name: long exporter paths keep their tail,
 * which is the part that tells nodes apart. */
static void put_short(FILE *f, const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n > 28) {
		fputs("…", f);
		put_escaped(f, name + n - 27);
	} else {
		put_escaped(f, name);
	}
}

static void put_type(FILE *f, const ir_type *t)
{
	if (t->elem_type != IR_UNDEFINED)
		fputs(ir_elem_name(t->elem_type), f);
	if (t->rank < 0)
		return;
	fputs(t->elem_type != IR_UNDEFINED ? " [" : "[", f);
	for (int i = 0; i < t->rank; i++) {
		const ir_dim *d = &t->dims[i];
		if (i)
			fputc(',', f);
		if (d->kind == IR_DIM_VALUE)
			fprintf(f, "%lld", (long long)d->value);
		else if (d->kind == IR_DIM_PARAM && d->param)
			put_escaped(f, d->param);
		else
			fputc('?', f);
	}
	fputc(']', f);
}

static bool type_known(const ir_type *t)
{
	return t->elem_type != IR_UNDEFINED || t->rank >= 0;
}

/* The DOT id of what defines v, or false for a collapsed constant. */
static bool source_id(const ir_value *v, char *id, size_t size)
{
	if (v->producer && v->def == IR_DEF_NODE)
		snprintf(id, size, "n%p", (const void *)v->producer);
	else if (v->is_graph_input || v->def == IR_DEF_INPUT)
		snprintf(id, size, "v%p", (const void *)v);
	else
		return false;
	return true;
}

static void draw_graph(FILE *f, const ir_graph *g, int depth);

static void draw_node(FILE *f, const ir_node *n, int depth)
{
	int constants = 0;
	for (int i = 0; i < n->n_inputs; i++)
		if (n->inputs[i] && !n->inputs[i]->is_graph_input &&
		    n->inputs[i]->def == IR_DEF_INITIALIZER)
			constants++;
	fprintf(f, "%*s\"n%p\" [label=\"", 2 * depth, "", (const void *)n);
	if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx")) {
		put_escaped(f, n->domain);
		fputc(':', f);
	}
	put_escaped(f, n->op_type);
	if (n->name && n->name[0]) {
		fputs("\\n", f);
		put_short(f, n->name);
	}
	if (constants)
		fprintf(f, "\\n+%d constant%s", constants,
		        constants == 1 ? "" : "s");
	fputs("\"];\n", f);
	for (int a = 0; a < n->n_attrs; a++) {
		const ir_attr *attr = &n->attrs[a];
		if (attr->graph)
			draw_graph(f, attr->graph, depth);
		for (size_t k = 0;
		     attr->graphs && attr->proto && k < attr->proto->n_graphs;
		     k++)
			draw_graph(f, attr->graphs[k], depth);
	}
}

static void draw_edges(FILE *f, const ir_graph *g, int depth)
{
	char from[64];
	for (const ir_node *n = g->first; n; n = n->next)
		for (int i = 0; i < n->n_inputs; i++) {
			const ir_value *v = n->inputs[i];
			if (!v || !source_id(v, from, sizeof from))
				continue;
			fprintf(f, "%*s\"%s\" -> \"n%p\"", 2 * depth, "", from,
			        (const void *)n);
			if (type_known(&v->type)) {
				fputs(" [label=\"", f);
				put_type(f, &v->type);
				fputs("\"]", f);
			}
			fputs(";\n", f);
		}
	for (int i = 0; i < g->n_outputs; i++) {
		const ir_value *v = g->outputs[i];
		if (!source_id(v, from, sizeof from))
			continue;
		fprintf(f, "%*s\"%s\" -> \"o%p_%d\"", 2 * depth, "", from,
		        (const void *)g, i);
		if (type_known(&v->type)) {
			fputs(" [label=\"", f);
			put_type(f, &v->type);
			fputs("\"]", f);
		}
		fputs(";\n", f);
	}
}

static void draw_graph(FILE *f, const ir_graph *g, int depth)
{
	if (g->parent_node) {
		fprintf(f, "%*ssubgraph \"cluster_%p\" {\n", 2 * depth, "",
		        (const void *)g);
		fprintf(f, "%*s  label=\"", 2 * depth, "");
		put_escaped(f, g->parent_node->op_type);
		fputc(' ', f);
		put_short(f, g->parent_node->name);
		fputs(": ", f);
		put_short(f, g->name);
		fprintf(f, "\"; style=dashed;\n");
	}
	depth++;
	for (int i = 0; i < g->n_inputs; i++) {
		const ir_value *v = g->inputs[i];
		if (v->def == IR_DEF_INITIALIZER)
			continue; /* an overridable constant: collapsed */
		fprintf(f, "%*s\"v%p\" [shape=ellipse, label=\"", 2 * depth, "",
		        (const void *)v);
		put_short(f, v->name);
		fputs("\"];\n", f);
	}
	for (int i = 0; i < g->n_outputs; i++) {
		fprintf(f,
		        "%*s\"o%p_%d\" [shape=ellipse, style=bold, "
		        "label=\"",
		        2 * depth, "", (const void *)g, i);
		put_short(f, g->outputs[i]->name);
		fputs("\"];\n", f);
	}
	for (const ir_node *n = g->first; n; n = n->next)
		draw_node(f, n, depth);
	draw_edges(f, g, depth);
	if (g->parent_node)
		fprintf(f, "%*s}\n", 2 * (depth - 1), "");
}

onnxopt_status lib_write_dot(ir_model *model, const char *path,
                             const char *option)
{
	bool to_stdout = !strcmp(path, "-");
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	if (!f)
		return lib_fail(ONNXOPT_ERR_IO, "--%s: cannot write '%s'",
		                option, path);
	fputs("digraph \"", f);
	put_escaped(f, model->graph->name ? model->graph->name : "graph");
	fputs("\" {\n  node [shape=box, style=rounded, fontname=\"Helvetica\", "
	      "fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=8];\n",
	      f);
	draw_graph(f, model->graph, 0);
	fputs("}\n", f);
	bool ok = !ferror(f);
	ok = (to_stdout ? fflush(f) : fclose(f)) == 0 && ok;
	return ok ? ONNXOPT_OK
	          : lib_fail(ONNXOPT_ERR_IO, "--%s: cannot write '%s'", option,
	                     path);
}

onnxopt_status option_set_dot(lib_settings *settings, const char *value)
{
	return lib_set_path("dot", value, settings->dot, sizeof settings->dot);
}

onnxopt_status option_set_dot_before(lib_settings *settings, const char *value)
{
	return lib_set_path("dot-before", value, settings->dot_before,
	                    sizeof settings->dot_before);
}
