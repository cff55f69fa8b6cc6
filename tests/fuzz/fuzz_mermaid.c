/* fuzz_mermaid.c - the Mermaid subset parser and its SVG output
 * (diagram.c): one diagram's source per input, drawn through Graphviz
 * when the parser accepts it.
 *
 * Checks: success appends one <svg> element and nothing else; failure
 * appends nothing and gives a position (line, column >= 1) and a
 * one-line message. */
#include <string.h>

#include "buf.h"
#include "diagram.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_begin();
	struct buf svg = BUF_INIT;
	struct diagram_error err;
	memset(&err, 0, sizeof err);
	int rc = diagram_mermaid((const char *)data, size, "f-", &svg, &err);
	if (rc == 0) {
		FUZZ_CHECK(svg.len >= 11 && !memcmp(svg.data, "<svg", 4));
		FUZZ_CHECK(!memcmp(svg.data + svg.len - 6, "</svg>", 6) ||
			!memcmp(svg.data + svg.len - 7, "</svg>\n", 7));
		FUZZ_CHECK(!strstr(svg.data, "<script") && !strstr(svg.data, "<!--"));
	} else {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(svg.len == 0);
		FUZZ_CHECK(err.line >= 1 && err.col >= 1);
		size_t ml = strnlen(err.msg, sizeof err.msg);
		FUZZ_CHECK(ml > 0 && ml < sizeof err.msg && !strchr(err.msg, '\n'));
	}
	buf_free(&svg);
	fuzz_end();
	return 0;
}
