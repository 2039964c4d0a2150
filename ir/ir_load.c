/*
 * ir_load.c - ONNX bytes -> IR.
 *
 * Loading never copies weights: the file is mapped, large raw_data payloads
 * are borrowed from the mapping (ir_wire.c), and IR strings point into the
 * protobuf-c tree, which lives as long as the model. Every problem found
 * here is an error value naming the element at fault: the loader is the
 * gate that turns untrusted bytes into an IR that satisfies ir.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ir_arena.h"
#include "ir_external.h"
#include "ir_impl.h"
#include "ir_limits.h"

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

ir_graph *ir_graph_new(ir_model *model, ir_graph *parent, ir_node *owner)
{
	ir_graph *g = ir_alloc(model, sizeof *g);
	g->model = model;
	g->parent = parent;
	g->parent_node = owner;
	if (parent) {
		parent->subgraphs =
		    ir_grow(model, parent->subgraphs, &parent->cap_subgraphs,
		            parent->n_subgraphs + 1, sizeof *parent->subgraphs);
		parent->subgraphs[parent->n_subgraphs++] = g;
	}
	model->n_graphs_total++;
	return g;
}

/* ----------------------------------------------------------------- types */

static void type_from_proto(ir_model *model, ir_type *type,
                            const Onnx__TypeProto *proto)
{
	type->proto = proto;
	type->elem_type = IR_UNDEFINED;
	type->rank = -1;
	type->dims = NULL;
	if (!proto) {
		type->is_tensor = true;
		return;
	}
	if (proto->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
		type->is_tensor =
		    proto->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET;
		return;
	}
	type->is_tensor = true;
	const Onnx__TypeProto__Tensor *t = proto->tensor_type;
	if (t->has_elem_type)
		type->elem_type = t->elem_type;
	if (!t->shape)
		return;
	type->rank = (int)t->shape->n_dim;
	type->dims = ir_alloc(model, sizeof(ir_dim) * (t->shape->n_dim + 1));
	for (size_t i = 0; i < t->shape->n_dim; i++) {
		const Onnx__TensorShapeProto__Dimension *d = t->shape->dim[i];
		/* A negative size is no size: the dim is unknown (the value
		 * keeps its type as loaded when saved unchanged). */
		if (d->value_case ==
		        ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
		    d->dim_value >= 0)
			type->dims[i] =
			    (ir_dim){IR_DIM_VALUE, d->dim_value, NULL};
		else if (
		    d->value_case ==
		        ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
		    d->dim_param && d->dim_param[0])
			type->dims[i] = (ir_dim){IR_DIM_PARAM, 0, d->dim_param};
		else
			type->dims[i] = (ir_dim){IR_DIM_UNKNOWN, 0, NULL};
	}
}

/* --------------------------------------------------------------- tensors */

/* A tensor from the file, once its header has been checked: `what` names
 * it in the error ("initializer 'w'"). */
static ir_tensor *tensor_from_proto(ir_model *model,
                                    const Onnx__TensorProto *proto,
                                    ir_status *status, const char *what)
{
	char problem[160];
	if (!ir_tensor_proto_check(proto, problem, sizeof problem)) {
		ir_fail(status, IR_ERR_INVALID, "%s %s", what, problem);
		return NULL;
	}
	ir_tensor *t = ir_alloc(model, sizeof *t);
	t->origin = proto;
	t->elem_type = proto->has_data_type ? proto->data_type : IR_UNDEFINED;
	t->rank = (int)proto->n_dims;
	t->dims = proto->dims;
	if (proto->has_raw_data) {
		t->raw = proto->raw_data.data;
		t->raw_size = proto->raw_data.len;
	}
	t->external =
	    proto->has_data_location &&
	    proto->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	return t;
}

static void tensor_type(ir_model *model, ir_type *type, const ir_tensor *t)
{
	type->is_tensor = true;
	type->elem_type = t->elem_type;
	type->rank = t->rank;
	type->dims = ir_alloc(model, sizeof(ir_dim) * (size_t)(t->rank + 1));
	for (int i = 0; i < t->rank; i++)
		type->dims[i] = (ir_dim){IR_DIM_VALUE, t->dims[i], NULL};
}

/* ---------------------------------------------------------------- graphs */

typedef struct loader {
	ir_model *model;
	ir_status *status;
	int depth;
} loader;

static bool load_graph(loader *ld, ir_graph *g, const Onnx__GraphProto *gp);

/* Old models omit AttributeProto.type; the IR still wants to know it. */
static int attr_kind(const Onnx__AttributeProto *a)
{
	if (a->has_type && a->type)
		return a->type;
	if (a->has_f)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
	if (a->has_i)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
	if (a->has_s)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
	if (a->t)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
	if (a->g)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
	if (a->sparse_tensor)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR;
	if (a->tp)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO;
	if (a->n_floats)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
	if (a->n_ints)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
	if (a->n_strings)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
	if (a->n_tensors)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS;
	if (a->n_graphs)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
	return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

static bool define(loader *ld, ir_graph *g, ir_value *v)
{
	ir_value *old = NULL;
	HASH_FIND_STR(g->scope, v->name, old);
	if (old)
		return ir_fail(ld->status, IR_ERR_INVALID,
		               "value '%s' is defined twice in graph '%s'",
		               v->name, str_or_empty(g->name));
	ir_scope_add(g, v);
	ir_reserve_fresh_name(ld->model, v->name);
	return true;
}

static bool load_node(loader *ld, ir_graph *g, const Onnx__NodeProto *np)
{
	ir_model *model = ld->model;
	ir_node *node = ir_alloc(model, sizeof *node);
	node->graph = g;
	node->origin = np;
	node->op_type = str_or_empty(np->op_type);
	node->domain = str_or_empty(np->domain);
	node->name = np->name;
	if (!node->op_type[0])
		return ir_fail(ld->status, IR_ERR_INVALID,
		               "node '%s' in graph '%s' has no op_type",
		               str_or_empty(np->name), str_or_empty(g->name));
	/* Inputs are resolved later, once every name in scope exists;
	 * remember the names in the scratch slot meanwhile. */
	node->n_inputs = (int)np->n_input;
	node->inputs = ir_grow(model, NULL, &node->cap_inputs, node->n_inputs,
	                       sizeof *node->inputs);
	node->n_outputs = (int)np->n_output;
	node->outputs = ir_alloc(model, sizeof(ir_value *) *
	                                    (np->n_output ? np->n_output : 1));
	for (size_t i = 0; i < np->n_output; i++) {
		const char *name = str_or_empty(np->output[i]);
		if (!name[0])
			continue;
		ir_value *v = ir_value_new(g, name, IR_DEF_NODE);
		v->producer = node;
		v->producer_index = (int)i;
		if (!define(ld, g, v))
			return false;
		node->outputs[i] = v;
	}
	node->n_attrs = (int)np->n_attribute;
	node->attrs = ir_grow(model, NULL, &node->cap_attrs, node->n_attrs,
	                      sizeof *node->attrs);
	for (size_t i = 0; i < np->n_attribute; i++) {
		const Onnx__AttributeProto *ap = np->attribute[i];
		ir_attr *attr = &node->attrs[i];
		attr->name = str_or_empty(ap->name);
		attr->type = attr_kind(ap);
		attr->proto = ap;
		char what[200];
		snprintf(what, sizeof what,
		         "tensor attribute '%s' of node '%s' (%s)", attr->name,
		         str_or_empty(np->name), node->op_type);
		if (ap->t && !(attr->tensor = tensor_from_proto(
		                   model, ap->t, ld->status, what)))
			return false;
		if (ap->n_tensors) {
			attr->tensors = ir_alloc(model, sizeof(ir_tensor *) *
			                                    ap->n_tensors);
			for (size_t k = 0; k < ap->n_tensors; k++)
				if (!(attr->tensors[k] = tensor_from_proto(
				          model, ap->tensors[k], ld->status,
				          what)))
					return false;
		}
	}
	ir_node_append(g, node);
	return true;
}

static bool resolve_inputs(loader *ld, ir_graph *g, ir_node *node)
{
	const Onnx__NodeProto *np = node->origin;
	for (size_t i = 0; i < np->n_input; i++) {
		const char *name = str_or_empty(np->input[i]);
		if (!name[0])
			continue;
		ir_value *v = ir_graph_lookup(g, name);
		if (!v)
			return ir_fail(ld->status, IR_ERR_INVALID,
			               "node '%s' (%s) input %zu references "
			               "undefined value '%s'",
			               str_or_empty(node->name), node->op_type,
			               i, name);
		node->inputs[i] = NULL;
		ir_node_set_input(node, (int)i, v);
	}
	return true;
}

static bool load_subgraphs(loader *ld, ir_graph *g, ir_node *node)
{
	for (int i = 0; i < node->n_attrs; i++) {
		ir_attr *attr = &node->attrs[i];
		const Onnx__AttributeProto *ap = attr->proto;
		if (ap->g) {
			attr->graph = ir_graph_new(ld->model, g, node);
			if (!load_graph(ld, attr->graph, ap->g))
				return false;
		}
		if (ap->n_graphs) {
			attr->graphs = ir_alloc(ld->model, sizeof(ir_graph *) *
			                                       ap->n_graphs);
			for (size_t k = 0; k < ap->n_graphs; k++) {
				attr->graphs[k] =
				    ir_graph_new(ld->model, g, node);
				if (!load_graph(ld, attr->graphs[k],
				                ap->graphs[k]))
					return false;
			}
		}
	}
	return true;
}

/* Is the file order already topological? Then keep it exactly, which is
 * what makes `-p none` reproduce the input. */
static void check_output_dependency(ir_node *owner, ir_value *value,
                                    void *in_order)
{
	if (value->producer->order >= owner->order)
		*(bool *)in_order = false;
}

static bool in_topological_order(ir_graph *g)
{
	int64_t order = 0;
	for (ir_node *n = g->first; n; n = n->next)
		n->order = order++;
	for (ir_node *n = g->first; n; n = n->next) {
		for (int i = 0; i < n->n_outputs; i++) {
			ir_value *v = n->outputs[i];
			for (int u = 0; v && u < v->n_uses; u++) {
				ir_node *user = ir_owner_in(g, v->uses[u].node);
				if (user && user->order <= n->order)
					return false;
			}
		}
	}
	bool in_order = true;
	ir_graph_each_output_dependency(g, check_output_dependency, &in_order);
	return in_order;
}

static bool load_graph(loader *ld, ir_graph *g, const Onnx__GraphProto *gp)
{
	ir_model *model = ld->model;
	/* The wire check has bounded this already; the IR keeps it. */
	if (++ld->depth > IR_MAX_NESTING)
		return ir_fail(ld->status, IR_ERR_INVALID,
		               "subgraphs nested deeper than the limit of %d "
		               "levels",
		               IR_MAX_NESTING);
	g->origin = gp;
	g->name = gp->name;
	size_t n_init = gp->n_initializer + gp->n_sparse_initializer;
	g->initializers = ir_grow(model, NULL, &g->cap_initializers,
	                          (int)n_init, sizeof *g->initializers);
	for (size_t i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *tp = gp->initializer[i];
		const char *name = str_or_empty(tp->name);
		if (!name[0])
			return ir_fail(
			    ld->status, IR_ERR_INVALID,
			    "initializer %zu of graph '%s' has no name", i,
			    str_or_empty(gp->name));
		char what[200];
		snprintf(what, sizeof what, "initializer '%s'", name);
		ir_tensor *tensor =
		    tensor_from_proto(model, tp, ld->status, what);
		if (!tensor)
			return false;
		ir_value *v = ir_value_new(g, name, IR_DEF_INITIALIZER);
		v->tensor = tensor;
		tensor_type(model, &v->type, v->tensor);
		if (!define(ld, g, v))
			return false;
		g->initializers[g->n_initializers++] = v;
	}
	for (size_t i = 0; i < gp->n_sparse_initializer; i++) {
		const Onnx__SparseTensorProto *sp = gp->sparse_initializer[i];
		const char *name =
		    sp->values ? str_or_empty(sp->values->name) : "";
		if (!name[0])
			return ir_fail(
			    ld->status, IR_ERR_INVALID,
			    "sparse initializer %zu of graph '%s' has "
			    "no name",
			    i, str_or_empty(gp->name));
		ir_value *v = ir_value_new(g, name, IR_DEF_INITIALIZER);
		v->sparse = sp;
		if (!define(ld, g, v))
			return false;
		g->initializers[g->n_initializers++] = v;
	}
	g->inputs = ir_grow(model, NULL, &g->cap_inputs, (int)gp->n_input,
	                    sizeof *g->inputs);
	for (size_t i = 0; i < gp->n_input; i++) {
		const Onnx__ValueInfoProto *vi = gp->input[i];
		const char *name = str_or_empty(vi->name);
		ir_value *v = NULL;
		HASH_FIND_STR(g->scope, name, v);
		if (v && (v->is_graph_input || v->def != IR_DEF_INITIALIZER))
			return ir_fail(
			    ld->status, IR_ERR_INVALID,
			    "graph input '%s' of graph '%s' is listed "
			    "twice",
			    name, str_or_empty(gp->name));
		if (!v) {
			v = ir_value_new(g, name, IR_DEF_INPUT);
			type_from_proto(model, &v->type, vi->type);
			if (!define(ld, g, v))
				return false;
		}
		v->is_graph_input = true;
		v->input_info = vi;
		g->inputs[g->n_inputs++] = v;
	}
	for (size_t i = 0; i < gp->n_node; i++)
		if (!load_node(ld, g, gp->node[i]))
			return false;
	for (ir_node *n = g->first; n; n = n->next)
		if (!resolve_inputs(ld, g, n))
			return false;
	for (ir_node *n = g->first; n; n = n->next)
		if (!load_subgraphs(ld, g, n))
			return false;
	g->outputs = ir_grow(model, NULL, &g->cap_outputs, (int)gp->n_output,
	                     sizeof *g->outputs);
	g->output_infos = ir_grow(model, NULL, &g->cap_output_infos,
	                          (int)gp->n_output, sizeof *g->output_infos);
	for (size_t i = 0; i < gp->n_output; i++) {
		const Onnx__ValueInfoProto *vi = gp->output[i];
		const char *name = str_or_empty(vi->name);
		ir_value *v = ir_graph_lookup(g, name);
		if (!v)
			return ir_fail(ld->status, IR_ERR_INVALID,
			               "graph output '%s' of graph '%s' is not "
			               "defined",
			               name, str_or_empty(gp->name));
		if (v->def == IR_DEF_NODE && v->type.rank < 0 && !v->type.proto)
			type_from_proto(model, &v->type, vi->type);
		if (v->graph == g)
			v->graph_output_slots++;
		g->outputs[g->n_outputs] = v;
		g->output_infos[g->n_outputs++] = vi;
	}
	for (size_t i = 0; i < gp->n_value_info; i++) {
		const Onnx__ValueInfoProto *vi = gp->value_info[i];
		ir_value *v = NULL;
		HASH_FIND_STR(g->scope, str_or_empty(vi->name), v);
		if (v && v->def == IR_DEF_NODE && !v->type.proto)
			type_from_proto(model, &v->type, vi->type);
		ir_value_info_append(g, v, vi);
	}
	if (!in_topological_order(g) && !ir_graph_toposort(g, ld->status))
		return false;
	ld->depth--;
	return true;
}

/* ----------------------------------------------------------------- model */

void ir_model_free(ir_model *model);

/* What a load has built so far, for the out-of-memory unwind: it lives
 * on the heap, so the unwind reads it reliably (see ir_oom_handler). */
typedef struct load_progress {
	Onnx__ModelProto *unpacked;
	ir_model *model;
} load_progress;

static ir_model *model_from_proto(Onnx__ModelProto *mp, ir_buffer *file,
                                  load_progress *progress, ir_status *status)
{
	ir_model *model = ir_xcalloc(1, sizeof *model);
	progress->model = model;
	model->arena = ir_arena_create();
	model->file = file;
	model->unpacked = mp;
	model->origin = mp;
	model->ir_version = mp->has_ir_version ? mp->ir_version : 0;
	model->producer_name = mp->producer_name;
	model->producer_version = mp->producer_version;
	model->domain = mp->domain;
	model->model_version = mp->has_model_version ? mp->model_version : 0;
	model->n_opsets = (int)mp->n_opset_import;
	model->opsets =
	    ir_alloc(model, sizeof(ir_opset) * (mp->n_opset_import + 1));
	for (size_t i = 0; i < mp->n_opset_import; i++) {
		model->opsets[i].domain =
		    str_or_empty(mp->opset_import[i]->domain);
		model->opsets[i].version = mp->opset_import[i]->version;
	}
	model->graph = ir_graph_new(model, NULL, NULL);
	loader ld = {model, status, 0};
	if (!load_graph(&ld, model->graph, mp->graph)) {
		/* The caller still owns `file` and frees it when loading
		 * fails; the model frees the rest, the unpacked tree too. */
		ir_skeleton_detach(&file->skeleton);
		model->file = NULL;
		ir_model_free(model);
		progress->model = NULL;
		progress->unpacked = NULL;
		return NULL;
	}
	return model;
}

static void buffer_free(ir_buffer *file);

/* protobuf-c's allocations fail like ours: into the out-of-memory
 * handler, not into a NULL that would read as "malformed protobuf". */
static void *unpack_alloc(void *unused, size_t size)
{
	(void)unused;
	void *p = malloc(size ? size : 1);
	if (!p)
		ir_out_of_memory();
	return p;
}

static void unpack_free(void *unused, void *p)
{
	(void)unused;
	free(p);
}

static ProtobufCAllocator unpack_allocator = {unpack_alloc, unpack_free, NULL};

static ir_model *load_bytes(ir_buffer *file, const char *base_dir,
                            load_progress *progress, ir_status *status)
{
	Onnx__ModelProto *mp = NULL;
	char field[128];
	switch (ir_wire_check_nesting(&onnx__model_proto__descriptor,
	                              file->data, file->size, field,
	                              sizeof field)) {
	case IR_WIRE_NUL_IN_STRING:
		ir_fail(status, IR_ERR_PARSE,
		        "a %s string holds a NUL byte, which onnx-opt cannot "
		        "keep",
		        field);
		return NULL;
	case IR_WIRE_OK: break;
	case IR_WIRE_TOO_DEEP:
		ir_fail(status, IR_ERR_PARSE,
		        "model nests subgraphs or types deeper than the limit "
		        "of %d levels",
		        IR_MAX_NESTING);
		return NULL;
	case IR_WIRE_MALFORMED:
		ir_fail(status, IR_ERR_PARSE,
		        "not an ONNX model: truncated or malformed protobuf "
		        "(%zu bytes)",
		        file->size);
		return NULL;
	}
	/* Unpack a skeleton without the big payloads; if the wire data is
	 * not even well formed, protobuf-c gets the original bytes and the
	 * error is reported below. */
	if (ir_skeleton_build(&onnx__model_proto__descriptor, file->data,
	                      file->size, &file->skeleton)) {
		mp = onnx__model_proto__unpack(&unpack_allocator,
		                               file->skeleton.size,
		                               file->skeleton.data);
		progress->unpacked = mp;
		free(file->skeleton.data);
		file->skeleton.data = NULL;
		if (mp)
			ir_skeleton_attach(&file->skeleton, &mp->base,
			                   file->data);
	}
	if (!mp) {
		ir_fail(status, IR_ERR_PARSE,
		        "not an ONNX model: truncated or malformed protobuf "
		        "(%zu bytes)",
		        file->size);
		return NULL;
	}
	if (!mp->graph || !mp->has_ir_version) {
		ir_fail(status, IR_ERR_PARSE, "not an ONNX model: %s",
		        !mp->has_ir_version ? "no ir_version field"
		                            : "no graph");
		ir_skeleton_detach(&file->skeleton);
		onnx__model_proto__free_unpacked(mp, NULL);
		return NULL;
	}
	ir_model *model = model_from_proto(mp, file, progress, status);
	if (model && base_dir)
		model->external_base_dir = ir_strdup(model, base_dir);
	if (model && base_dir &&
	    !ir_external_resolve(model, base_dir, status)) {
		/* The caller frees `file`, as for any failed load. */
		ir_skeleton_detach(&file->skeleton);
		model->file = NULL;
		ir_model_free(model);
		progress->model = NULL;
		progress->unpacked = NULL;
		return NULL;
	}
	return model;
}

/* The folder that holds `path`, where its external data lives. */
static char *folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return ir_xcalloc(1, 2); /* "": the current folder */
	size_t len = slash == path ? 1 : (size_t)(slash - path);
	char *folder = ir_xmalloc(len + 1);
	memcpy(folder, path, len);
	folder[len] = '\0';
	return folder;
}

/* Free a model whose IR may be half-built or half-rewritten (memory ran
 * out inside it): everything it owns except the graphs' scope tables,
 * which only a walk of the graphs could reach. Not the file buffer. */
static void model_free_unwalked(ir_model *model)
{
	if (model->file)
		ir_skeleton_detach(&model->file->skeleton);
	if (model->unpacked)
		onnx__model_proto__free_unpacked(model->unpacked, NULL);
	ir_external_close(model);
	ir_arena_free(model->arena);
	free(model);
}

/* load_bytes under an out-of-memory handler: running out is reported as
 * IR_ERR_NOMEM, with what was built freed (protobuf-c's own partial tree,
 * if it ran out inside unpack, is lost). The caller frees `file`. */
static ir_model *load_guarded(ir_buffer *file, const char *base_dir,
                              ir_status *status)
{
	load_progress *progress = calloc(1, sizeof *progress);
	if (!progress) {
		ir_fail(status, IR_ERR_NOMEM,
		        "out of memory loading the model");
		return NULL;
	}
	ir_oom_handler oom;
	ir_oom_enter(&oom);
	if (setjmp(oom.jump)) {
		if (progress->model)
			model_free_unwalked(progress->model);
		else if (progress->unpacked) {
			ir_skeleton_detach(&file->skeleton);
			onnx__model_proto__free_unpacked(progress->unpacked,
			                                 NULL);
		}
		free(progress);
		ir_fail(status, IR_ERR_NOMEM,
		        "out of memory loading the model (%zu bytes)",
		        file->size);
		return NULL;
	}
	ir_model *model = load_bytes(file, base_dir, progress, status);
	ir_oom_leave(&oom);
	free(progress);
	return model;
}

void ir_model_free_after_oom(ir_model *model)
{
	if (!model)
		return;
	ir_buffer *file = model->file;
	model_free_unwalked(model);
	buffer_free(file);
}

static void buffer_free(ir_buffer *file)
{
	if (!file)
		return;
	if (file->kind == IR_BUFFER_MAPPED && file->size)
		munmap((void *)file->data, file->size);
	else if (file->kind == IR_BUFFER_HEAP)
		free((void *)file->data);
	if (file->fd >= 0)
		close(file->fd);
	ir_skeleton_free(&file->skeleton);
	free(file);
}

static bool read_stream(FILE *in, ir_buffer *file, ir_status *status)
{
	size_t cap = 1 << 20, size = 0;
	uint8_t *data = ir_xmalloc(cap);
	for (;;) {
		if (size == cap)
			data = ir_xrealloc(data, cap *= 2);
		size_t got = fread(data + size, 1, cap - size, in);
		size += got;
		if (got == 0)
			break;
	}
	if (ferror(in)) {
		free(data);
		return ir_fail(status, IR_ERR_IO, "cannot read standard input");
	}
	file->data = data;
	file->size = size;
	file->kind = IR_BUFFER_HEAP;
	return true;
}

ir_model *ir_model_load_file(const char *path, ir_status *status)
{
	ir_buffer *file = ir_xcalloc(1, sizeof *file);
	file->fd = -1;
	if (!strcmp(path, "-")) {
		if (!read_stream(stdin, file, status)) {
			buffer_free(file);
			return NULL;
		}
	} else {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0) {
			ir_fail(status, IR_ERR_IO, "cannot open '%s': %s", path,
			        strerror(errno));
			if (fd >= 0)
				close(fd);
			buffer_free(file);
			return NULL;
		}
		if (!S_ISREG(st.st_mode)) {
			close(fd);
			buffer_free(file);
			ir_fail(status, IR_ERR_IO, "'%s' is not a regular file",
			        path);
			return NULL;
		}
		file->kind = IR_BUFFER_MAPPED;
		file->size = (size_t)st.st_size;
		if (file->size) {
			void *p = mmap(NULL, file->size, PROT_READ, MAP_PRIVATE,
			               fd, 0);
			if (p == MAP_FAILED) {
				ir_fail(status, IR_ERR_IO,
				        "cannot map '%s': %s", path,
				        strerror(errno));
				close(fd);
				file->size = 0;
				buffer_free(file);
				return NULL;
			}
			file->data = p;
			file->fd = fd;
		} else {
			close(fd);
		}
	}
	/* Standard input has no folder: its external data is looked up in
	 * the current one, as onnx does. */
	char *folder = folder_of(strcmp(path, "-") ? path : "");
	ir_model *model = load_guarded(file, folder, status);
	free(folder);
	if (!model)
		buffer_free(file);
	return model;
}

ir_model *ir_model_load_buffer(const void *data, size_t size, bool borrow,
                               ir_status *status)
{
	return ir_model_load_buffer_at(data, size, borrow, NULL, status);
}

ir_model *ir_model_load_buffer_at(const void *data, size_t size, bool borrow,
                                  const char *base_dir, ir_status *status)
{
	ir_buffer *file = ir_xcalloc(1, sizeof *file);
	file->fd = -1;
	if (borrow) {
		file->data = data;
		file->kind = IR_BUFFER_BORROWED;
	} else {
		uint8_t *copy = ir_xmalloc(size);
		memcpy(copy, data, size);
		file->data = copy;
		file->kind = IR_BUFFER_HEAP;
	}
	file->size = size;
	ir_model *model = load_guarded(file, base_dir, status);
	if (!model)
		buffer_free(file);
	return model;
}

ir_model *ir_model_reload(const ir_model *model, ir_status *status)
{
	if (!model->file) {
		ir_fail(status, IR_ERR_USAGE,
		        "the model was not loaded, so its original is unknown");
		return NULL;
	}
	return ir_model_load_buffer_at(model->file->data, model->file->size,
	                               true, model->external_base_dir, status);
}

size_t ir_model_source_size(const ir_model *model)
{
	return model->file ? model->file->size : 0;
}

void ir_model_free(ir_model *model)
{
	if (!model)
		return;
	/* Scope tables are the only heap memory the graphs own. */
	if (model->graph)
		ir_graph_walk(model->graph, ir_graph_clear_scope, NULL);
	if (model->file)
		ir_skeleton_detach(&model->file->skeleton);
	if (model->unpacked)
		onnx__model_proto__free_unpacked(model->unpacked, NULL);
	buffer_free(model->file);
	ir_external_close(model);
	ir_store_close(model);
	ir_arena_free(model->arena);
	free(model);
}
