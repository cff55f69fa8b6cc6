/* fuzz_template.c - the template engine (template.c): up to three
 * templates from one input, separated by FUZZ_TEMPLATE_SEP, compiled as
 * page.html, a.html and b.html (so {{> a}} and {{> b}} reach the others),
 * then page.html rendered with fixed data shaped like a page's.
 *
 * Checks: a render writes at most 256 MiB (template.c's limit), a failed
 * check or render reports at least one diagnostic, and
 * a render that succeeds after a failed check is impossible; and every
 * string of the data printed with {{name}} is escaped. For the last, the
 * page is rendered twice, with data whose strings hold '<' and with the
 * same data with '<' replaced: escaped values never print '<', so both
 * outputs must hold the same number of '<' unless the input has a
 * {{{raw}}} or {{& raw}} tag. */
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "fuzz.h"
#include "template.h"
#include "util.h"

#define FUZZ_TEMPLATE_SEP "\n%%%%\n"

/* `s`, with '<' made '_' unless `hostile`. */
static struct tval *str(const char *s, int hostile)
{
	char *c = xstrdup(s);
	for (char *p = c; !hostile && *p; p++)
		if (*p == '<')
			*p = '_';
	return tv_str_own(c);
}

static size_t count_lt(const struct buf *b)
{
	size_t k = 0;
	for (size_t i = 0; i < b->len; i++)
		k += b->data[i] == '<';
	return k;
}

static struct tval *page_data(int h)
{
	struct tval *m = tv_map();
	tv_set(m, "title", str("A <script>x</script> & \"quoted\" 'title'", h));
	tv_set(m, "empty", tv_str(""));
	tv_set(m, "yes", tv_bool(true));
	tv_set(m, "no", tv_bool(false));
	tv_set(m, "none", tv_null());
	struct tval *site = tv_set(m, "site", tv_map());
	tv_set(site, "title", str("<Site>", h));
	tv_set(site, "base", tv_str("https://example.org/"));
	struct tval *notes = tv_set(m, "notes", tv_list());
	for (int i = 0; i < 2; i++) {
		struct tval *n = tv_push(notes, tv_map());
		tv_set(n, "title", str(i ? "Second" : "First <b>", h));
		tv_set(n, "url", tv_str(i ? "b.html" : "a.html?x=1&y=2"));
		struct tval *tags = tv_set(n, "tags", tv_list());
		tv_push(tags, str("t<1", h));
		tv_set(n, "draft", tv_bool(i == 1));
	}
	tv_set(m, "nothing", tv_list());
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "page.html", "a.html", "b.html" };
	struct fuzz_part parts[3];
	size_t np = fuzz_split(data, size, FUZZ_TEMPLATE_SEP, parts, 3);
	fuzz_begin();
	struct template_set *ts = template_set_new(NULL, 0);
	for (size_t i = 0; i < np; i++)
		FUZZ_CHECK(template_set_add(ts, names[i], names[i], (const char *)parts[i].p, parts[i].n) == 0);
	FUZZ_CHECK(template_set_add(ts, "page.html", "x", "", 0) == -1);
	int checked = template_check(ts, "page.html");
	FUZZ_CHECK(checked == 0 || diag_errors() > 0);
	struct tval *ctx = page_data(1), *tame = page_data(0);
	struct buf out = BUF_INIT, out2 = BUF_INIT;
	int rc = template_render(ts, "page.html", ctx, &out);
	/* template.c stops a render past 256 MiB (plus the node that crossed). */
	FUZZ_CHECK(out.len <= ((size_t)257 << 20));
	FUZZ_CHECK(rc == 0 || diag_errors() + diag_sys_errors() > 0);
	if (rc == 0) {
		FUZZ_CHECK(checked == 0);
		FUZZ_CHECK(template_render(ts, "page.html", tame, &out2) == 0);
		int raw = 0;
		for (size_t i = 0; i < np; i++) {
			const char *p = (const char *)parts[i].p;
			for (size_t k = 0; k + 3 <= parts[i].n; k++)
				if (!memcmp(p + k, "{{{", 3) || !memcmp(p + k, "{{&", 3))
					raw = 1;
		}
		if (!raw)
			FUZZ_CHECK(count_lt(&out) == count_lt(&out2));
	}
	buf_free(&out);
	buf_free(&out2);
	tv_free(ctx);
	tv_free(tame);
	template_set_free(ts);
	fuzz_end();
	return 0;
}
