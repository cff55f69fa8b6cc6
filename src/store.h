/* store.h - the knowledge base as a sqlite database (sqlite3 lives here).
 *
 * store_write() writes the whole graph of a build — notes, aliases, tags,
 * headings, links with their source positions and context, topics — to
 * the database file (default .kbc/kb.sqlite under the project root), so
 * that sqlite3 or any tool can query it. The file is written beside the
 * target and renamed over it, so readers never see half a database. The
 * schema is documented in docs/kb-schema.md; its version is PRAGMA
 * user_version. store_query() runs one read-only SQL statement and prints
 * the rows as an aligned table (or tab-separated). Both return 0, or -1
 * after reporting the problem. */
#ifndef KBC_STORE_H
#define KBC_STORE_H

#include <stdbool.h>

#include "kb.h"

#define STORE_SCHEMA_VERSION 1

int store_write(const struct kb *kb, const char *path);
int store_query(const char *path, const char *sql, bool tsv);

#endif
