/* kb.c - freeing the shared model; path display. */
#include "kb.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

char *kb_display_path_in(const char *abs, const char *cwd)
{
	if (abs[0] == '/' && cwd && path_within(abs, cwd) && strcmp(abs, cwd) != 0) {
		size_t n = strlen(cwd);
		if (strcmp(cwd, "/") == 0)
			n = 0;
		return xstrdup(abs + n + 1);
	}
	return xstrdup(abs);
}

char *kb_display_path(const char *abs)
{
	char cwd[PATH_MAX];
	return kb_display_path_in(abs, getcwd(cwd, sizeof cwd));
}

void kb_index_lines(struct kb_note *n)
{
	size_t cap = 0;
	free(n->line_off);
	n->line_off = NULL;
	n->n_lines = 0;
	*VEC_PUSH(n->line_off, n->n_lines, cap) = 0;
	for (size_t i = 0; i < n->len; i++)
		if (n->src[i] == '\n')
			*VEC_PUSH(n->line_off, n->n_lines, cap) = i + 1;
}

const char *kb_line_start(const struct kb_note *n, int line)
{
	if (line < 1 || !n->n_lines)
		return n->src;
	if ((size_t)line > n->n_lines)
		return n->src + n->len;
	return n->src + n->line_off[line - 1];
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void kb_note_clear_parsed(struct kb_note *n)
{
	free(n->title);
	free_strv(n->aliases, n->n_aliases);
	free(n->alias_lines);
	free_strv(n->tags, n->n_tags);
	free(n->purpose);
	free(n->slug);
	free(n->date);
	for (size_t h = 0; h < n->n_headings; h++) {
		free(n->headings[h].text);
		free(n->headings[h].id);
	}
	free(n->headings);
	for (size_t l = 0; l < n->n_links; l++) {
		free(n->links[l].target);
		free(n->links[l].heading);
		free(n->links[l].label);
		free(n->links[l].context);
	}
	free(n->links);
	for (size_t s = 0; s < n->n_sections; s++)
		free(n->sections[s].text);
	free(n->sections);
	free(n->html);
	struct kb_note keep = *n;
	memset(n, 0, sizeof *n);
	n->path = keep.path;
	n->rel = keep.rel;
	n->src = keep.src;
	n->len = keep.len;
	n->line_off = keep.line_off;
	n->n_lines = keep.n_lines;
	n->sig = keep.sig;
	memcpy(n->content, keep.content, 16);
	n->unread = keep.unread;
	n->skip = keep.skip;
}

void kb_free(struct kb *kb)
{
	for (size_t i = 0; i < kb->n_notes; i++) {
		struct kb_note *n = &kb->notes[i];
		kb_note_clear_parsed(n);
		free(n->path);
		free(n->rel);
		free(n->src);
		free(n->line_off);
	}
	free(kb->notes);
	for (size_t i = 0; i < kb->n_topics; i++) {
		struct kb_topic *t = &kb->topics[i];
		free(t->term);
		free(t->summary);
		free(t->target);
		free_strv(t->aliases, t->n_aliases);
	}
	free(kb->topics);
	for (size_t i = 0; i < kb->n_groups; i++)
		free(kb->groups[i].name);
	free(kb->groups);
	free(kb->ledger_shown);
	config_free(&kb->cfg);
	memset(kb, 0, sizeof *kb);
}
