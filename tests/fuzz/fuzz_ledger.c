/* fuzz_ledger.c - the topic ledger loader (ledger.c, ytree.c) on one
 * ledger file's contents, through ledger_parse().
 *
 * Checks: every topic loaded has its three fields, one line each, and a
 * group that exists; terms are unique after case folding was the loader's
 * job, so no two topics share a term spelled the same. */
#include <string.h>

#include "fuzz.h"
#include "kb.h"
#include "ledger.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_begin();
	struct kb kb = { 0 };
	kb.ledger_shown = xstrdup("notes/ledger.yaml");
	/* An exact-size copy: ledger_parse must not read past len. */
	char *text = xmalloc(size ? size : 1);
	memcpy(text, data, size);
	ledger_parse(&kb, text, size);
	free(text);

	for (size_t i = 0; i < kb.n_topics; i++) {
		const struct kb_topic *t = &kb.topics[i];
		FUZZ_CHECK(t->term && t->summary && t->target);
		FUZZ_CHECK(!strchr(t->term, '\n') && !strchr(t->summary, '\n') && !strchr(t->target, '\n'));
		FUZZ_CHECK(t->group < kb.n_groups);
		FUZZ_CHECK(t->line >= 1 && t->col >= 1);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(t->term, kb.topics[j].term) != 0);
	}
	kb_free(&kb);
	fuzz_end();
	return 0;
}
