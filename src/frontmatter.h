/* frontmatter.h - split a note into YAML front matter and body, and read
 * the front matter's fields into the note.
 *
 * Front matter is optional. When present it starts on the note's first
 * line with exactly `---` and ends at the next line that is `---` or
 * `...`. Known keys: title, aliases, tags, order, purpose, draft, slug,
 * date. Unknown keys are warnings; wrong types and malformed values are
 * errors at the value's file position. Sets body_off and body_line always,
 * so the Markdown stage can map its positions back to the file. Returns 0,
 * or -1 when the note had errors (all reported). */
#ifndef KBC_FRONTMATTER_H
#define KBC_FRONTMATTER_H

#include "kb.h"

int frontmatter_parse(struct kb_note *note);
/* The same, with the YAML limits of kb.yaml (NULL: the defaults). */
int frontmatter_parse_limits(struct kb_note *note, const struct ylimits *lim);
/* Is `s` an acceptable tag (letters, digits, `-`, `_`, `/`)? */
int frontmatter_valid_tag(const char *s);

#endif
