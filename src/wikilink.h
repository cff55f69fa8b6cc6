/* wikilink.h - the [[...]] syntax, applied to a parsed cmark-gfm tree.
 *
 * cmark-gfm hands '[' and '!' to its own bracket parser before any
 * extension's inline matcher can see them, so wikilinks are found after
 * the parse: wikilink_process() scans the text nodes of the finished
 * document, which never include code spans or code blocks, and replaces
 * each `[[target#heading|label]]` (and `![[...]]`, an embed) with a link
 * node. Each link is appended to the note's links[] with its file position,
 * and the node's user data is the link's index + 1.
 *
 * It is not a cmark-gfm extension (it was a post-process one): markdown.c
 * calls it once cmark_parser_finish() has returned, so this work stays out
 * of the part of the parse that some notes run one at a time (see
 * markdown.c). It touches only `note` and the tree, so calls for different
 * notes may run on different threads.
 *
 * Syntax: `[[Note]]`, `[[Note|label]]`, `[[Note#Heading]]`,
 * `[[Note#Heading|label]]`, `[[#Heading]]`; a backslash-escaped pipe
 * (`\|`, needed inside tables) is accepted as the separator. */
#ifndef KBC_WIKILINK_H
#define KBC_WIKILINK_H

#include <stddef.h>

#include "kb.h"

struct cmark_node;

/* Turn the [[...]] and #tags in the text of `root`, the finished document
 * of `note`'s body, into link nodes and note->links[] entries (see above).
 * Call it after all of cmark-gfm's own post-processing, as cmark-gfm would
 * have run a post-process extension attached last. */
void wikilink_process(struct kb_note *note, struct cmark_node *root);

/* Body position (1-based line, byte column) of an inline node, also when
 * cmark-gfm gave it none (after a footnote reference that names no
 * footnote): then taken from the nearest earlier sibling or ancestor that
 * has one. Used for wikilinks here and Markdown links in markdown.c. */
void wikilink_node_pos(struct cmark_node *node, int *line, int *col);

/* Split the inside of [[...]] into target, heading and label (each
 * malloc'd, heading/label NULL when absent). Returns 0, or -1 when there
 * is no target and no heading (`[[]]`, `[[|x]]`). Exposed for unit tests. */
int wikilink_split(const char *inner, size_t n, char **target, char **heading, char **label);

#endif
