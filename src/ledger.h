/* ledger.h - the topic ledger: exact topics, each defined in one line and
 * tied to the note heading that explains it.
 *
 * File format (YAML, default notes/ledger.yaml):
 *   groups:
 *     - name: Foundations
 *       topics:
 *         - term: event loop starvation
 *           summary: One line of definition.
 *           note: "02 Some Note Title#Heading text"
 *           aliases: [other name]          # optional
 *
 * ledger_load() fills kb->groups and kb->topics. Missing fields, wrong
 * types and a term that repeats (after case folding) are errors at their
 * YAML position. A missing file is fine when the ledger path is the
 * default. The targets are resolved later by graph_resolve(). Returns 0,
 * or -1 when the ledger had errors. */
#ifndef KBC_LEDGER_H
#define KBC_LEDGER_H

#include "kb.h"

int ledger_load(struct kb *kb, bool explicit_path);
/* The same from memory: text[0..len) is the ledger's contents (need not
 * be NUL-terminated), kb->ledger_shown (set by the caller) names it in
 * diagnostics. ledger_load() reads the file and calls this. */
int ledger_parse(struct kb *kb, const char *text, size_t len);

#endif
