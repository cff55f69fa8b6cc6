/* ytree.h - YAML documents as small trees with source positions.
 *
 * libyaml lives here and nowhere else. ytree_parse() reads exactly one
 * YAML document (front matter, kb.yaml or the ledger) into a tree of
 * scalars, sequences and mappings, each node carrying its 1-based line and
 * column in the file. It enforces the limits that keep hostile input cheap:
 * nesting depth and the number of nodes that alias expansion adds (a
 * "billion laughs" document stops at the limit with an error; nodes written
 * out in the text are bounded by the file's size instead). Duplicate mapping
 * keys, non-scalar keys, several documents and tags other than YAML's core
 * ones are errors. Every error goes through diag with the file position. */
#ifndef KBC_YTREE_H
#define KBC_YTREE_H

#include <stdbool.h>
#include <stddef.h>

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ykind kind;
	int line, col;          /* 1-based position in the file */
	bool plain;             /* scalar written plain (unquoted) */
	char *tag;              /* explicit core tag ("!!str") or NULL */
	char *value;            /* scalar text, NUL-terminated */
	size_t len;             /* scalar length in bytes */
	struct ynode **items;   /* seq: items; map: key, value, key, value... */
	size_t n;               /* number of entries in items */
};

struct ylimits {
	int max_depth;          /* deepest nesting of collections */
	size_t max_nodes;       /* nodes added by alias expansion */
};
extern const struct ylimits ylimits_default;

/* Parse `text` (len bytes; line 1 of it is file line `line_base`, column
 * offset 0). On success returns the root (NULL for an empty document) and
 * sets *ok to true; on error reports it and sets *ok to false. `lim` NULL
 * (or with a zero field) means ylimits_default. */
struct ynode *ytree_parse(const char *text, size_t len, const char *path,
	int line_base, const struct ylimits *lim, bool *ok);
void ytree_free(struct ynode *n);

/* Value for `key` in mapping `map`, or NULL. */
const struct ynode *ymap_get(const struct ynode *map, const char *key);
/* Human name of the node's type: "string", "integer", "boolean", "null",
 * "list" or "mapping" (core-schema resolution of plain scalars). */
const char *ytype(const struct ynode *n);
bool yis_null(const struct ynode *n);
int yget_bool(const struct ynode *n, bool *out);   /* 0 ok, -1 not a bool */
int yget_long(const struct ynode *n, long *out);   /* 0 ok, -1 not an int */

#endif
