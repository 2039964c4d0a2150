/*
 * registry.c - the list of passes and groups, and name resolution.
 */
#include <stdlib.h>
#include <string.h>

#include "ir_arena.h"
#include "pass.h"

#define PASS(name) &pass_##name,
const pass *const pass_registry[] = {
#include "passes.def"
};
#undef PASS
const int pass_registry_count =
    (int)(sizeof pass_registry / sizeof pass_registry[0]);

/* What runs when -p is absent. The groups themselves are the .group
 * names of the descriptors. */
const char *const pass_default_pipeline = "fold,eliminate,fuse,cleanup";

/* Other spellings a pass answers to. */
static const struct {
	const char *alias, *name;
} pass_aliases[] = {
    {"infer-shapes", "infer_shapes"},
};

const pass *pass_find(const char *name)
{
	for (size_t i = 0; i < sizeof pass_aliases / sizeof pass_aliases[0];
	     i++)
		if (!strcmp(pass_aliases[i].alias, name))
			name = pass_aliases[i].name;
	for (int i = 0; i < pass_registry_count; i++)
		if (!strcmp(pass_registry[i]->name, name))
			return pass_registry[i];
	return NULL;
}

static bool is_group(const char *name)
{
	for (int i = 0; i < pass_registry_count; i++)
		if (!strcmp(pass_registry[i]->group, name))
			return true;
	return false;
}

static void pipeline_push(pipeline *p, const pass *ps)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->passes =
		    ir_xrealloc(p->passes, sizeof *p->passes * (size_t)p->cap);
	}
	p->passes[p->n++] = ps;
}

bool pipeline_parse(const char *spec, pipeline *out, ir_status *status)
{
	memset(out, 0, sizeof *out);
	size_t len = strlen(spec);
	char *copy = ir_xmalloc(len + 1);
	memcpy(copy, spec, len + 1);
	bool ok = true, named = false;
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		char *end = tok + strlen(tok);
		while (end > tok && end[-1] == ' ')
			*--end = 0;
		if (!*tok)
			continue;
		named = true;
		if (!strcmp(tok, "none"))
			continue;
		/* A group name runs its members in registry order; a group
		 * and a pass may share a name ("dce"). */
		if (is_group(tok)) {
			for (int i = 0; i < pass_registry_count; i++) {
				const pass *ps = pass_registry[i];
				if (!strcmp(ps->group, tok) && !ps->opt_in)
					pipeline_push(out, ps);
			}
			continue;
		}
		const pass *ps = pass_find(tok);
		if (!ps) {
			ok = ir_fail(status, IR_ERR_USAGE,
			             "unknown pass or group '%s' (see "
			             "--list-passes)",
			             tok);
			break;
		}
		pipeline_push(out, ps);
	}
	free(copy);
	/* "" is more likely a script's empty variable than a wish for the
	 * default pipeline or for none: refuse it rather than guess. */
	if (ok && !named)
		ok = ir_fail(status, IR_ERR_USAGE,
		             "empty pass list (name passes, or 'none' to run "
		             "no pass)");
	if (!ok)
		pipeline_free(out);
	return ok;
}

void pipeline_free(pipeline *p)
{
	free(p->passes);
	memset(p, 0, sizeof *p);
}
