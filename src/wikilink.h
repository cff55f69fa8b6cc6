/* wikilink.h - the [[...]] syntax as a cmark-gfm extension.
 *
 * cmark-gfm hands '[' and '!' to its own bracket parser before any
 * extension's inline matcher can see them, so this extension works as a
 * post-process step of the parse: it scans the text nodes of the finished
 * document, which never include code spans or code blocks, and replaces
 * each `[[target#heading|label]]` (and `![[...]]`, an embed) with a link
 * node. Each link is appended to the note's links[] with its file position,
 * and the node's user data is the link's index + 1.
 *
 * Syntax: `[[Note]]`, `[[Note|label]]`, `[[Note#Heading]]`,
 * `[[Note#Heading|label]]`, `[[#Heading]]`; a backslash-escaped pipe
 * (`\|`, needed inside tables) is accepted as the separator. */
#ifndef KBC_WIKILINK_H
#define KBC_WIKILINK_H

#include <stddef.h>

#include "kb.h"

struct cmark_syntax_extension;

/* A new extension instance bound to `note` (one per parse). Free it with
 * wikilink_extension_free() after the parser is freed. */
struct cmark_syntax_extension *wikilink_extension_new(struct kb_note *note);
void wikilink_extension_free(struct cmark_syntax_extension *ext);

/* Body position (1-based line, byte column) of an inline node, also when
 * cmark-gfm gave it none (after a footnote reference that names no
 * footnote): then taken from the nearest earlier sibling or ancestor that
 * has one. Used for wikilinks here and Markdown links in markdown.c. */
struct cmark_node;
void wikilink_node_pos(struct cmark_node *node, int *line, int *col);

/* Split the inside of [[...]] into target, heading and label (each
 * malloc'd, heading/label NULL when absent). Returns 0, or -1 when there
 * is no target and no heading (`[[]]`, `[[|x]]`). Exposed for unit tests. */
int wikilink_split(const char *inner, size_t n, char **target, char **heading, char **label);

#endif
