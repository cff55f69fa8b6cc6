/* test_highlight.c - unit tests for the syntax highlighter (src/highlight.c).
 *
 * Exact HTML for small snippets in every language, escaping, aliases,
 * invalid UTF-8, and the structural rules on every output: spans balanced,
 * never nested, never empty, never across a newline, only the documented
 * classes, everything outside tags escaped, and the text (tags removed,
 * entities decoded) equal to the input. Hostile 1 MB inputs must finish
 * within a second each. Prints one line per failure and a closing
 * "N passed, N failed" line; exit status 1 on any failure.
 *
 * Expected outputs use a shorthand: <kw>x</> stands for
 * <span class="hl-kw">x</span>. Span contents are escaped HTML, so a raw
 * '<' in an expected string always starts one of these tags. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "highlight.h"
#include "util.h"

#include "check.h"

static const char *const classes[] = {
	"kw", "str", "num", "com", "fn", "var", "key", "lit", "type", "meta",
	"op", "ins", "del", "re", "prompt", "builtin", NULL
};

/* Every name highlight_language() accepts, for the loops below. */
static const char *const all_langs[] = {
	"js", "ts", "json", "sh", "console", "yaml", "c", "dockerfile", "diff",
	"text", NULL
};

/* Highlight code[0..n) as `lang`; the HTML, malloc'd, length in *len. */
static char *run(const char *lang, const char *code, size_t n, size_t *len, int *rc)
{
	struct buf b = BUF_INIT;
	int r = highlight(&b, lang, code, n);
	if (rc)
		*rc = r;
	if (len)
		*len = b.len;
	return buf_detach(&b);
}

/* The shorthand of expected outputs expanded to real spans. */
static char *expand(const char *s)
{
	struct buf b = BUF_INIT;
	while (*s) {
		if (s[0] == '<' && s[1] == '/' && s[2] == '>') {
			buf_puts(&b, "</span>");
			s += 3;
		} else if (*s == '<') {
			const char *e = strchr(s, '>');
			if (!e)
				break;
			buf_puts(&b, "<span class=\"hl-");
			buf_put(&b, s + 1, (size_t)(e - s - 1));
			buf_puts(&b, "\">");
			s = e + 1;
		} else {
			buf_putc(&b, *s++);
		}
	}
	return buf_detach(&b);
}

static size_t count(const char *hay, size_t n, const char *needle)
{
	size_t c = 0, k = strlen(needle);
	const char *p = hay, *end = hay + n;
	while ((p = memchr(p, needle[0], (size_t)(end - p))) != NULL) {
		if ((size_t)(end - p) >= k && memcmp(p, needle, k) == 0)
			c++;
		p++;
	}
	return c;
}

static bool special(char c)
{
	return c == '<' || c == '&' || c == '>' || c == '"' || c == '\'' || c == '\n';
}

/* Check the structural rules on html[0..len); the decoded text goes to
 * `text`. Returns NULL when all hold, else what is wrong. */
static const char *validate(const char *html, size_t len, struct buf *text)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&#39;", '\'' },
	};
	static const char open[] = "<span class=\"hl-";
	bool in_span = false;
	size_t inside = 0;
	buf_reset(text);
	if (count(html, len, "<span") != count(html, len, "</span>"))
		return "<span and </span> counts differ";
	for (size_t i = 0; i < len;) {
		const char *p = html + i;
		if (!special(*p)) {
			size_t k = i;
			while (k < len && !special(html[k]))
				k++;
			buf_put(text, p, k - i);
			inside += k - i;
			i = k;
			continue;
		}
		if (len - i >= sizeof open - 1 && !memcmp(p, open, sizeof open - 1)) {
			if (in_span)
				return "nested span";
			size_t k = i + sizeof open - 1, start = k;
			while (k < len && html[k] != '"')
				k++;
			if (k + 1 >= len || html[k + 1] != '>')
				return "malformed span tag";
			bool known = false;
			for (const char *const *c = classes; *c; c++)
				if (strlen(*c) == k - start && !memcmp(*c, html + start, k - start))
					known = true;
			if (!known)
				return "unknown span class";
			in_span = true;
			inside = 0;
			i = k + 2;
		} else if (len - i >= 7 && !memcmp(p, "</span>", 7)) {
			if (!in_span)
				return "close without open";
			if (!inside)
				return "empty span";
			in_span = false;
			i += 7;
		} else if (*p == '&') {
			size_t e = 0;
			for (size_t k = 0; k < sizeof ents / sizeof *ents && !e; k++) {
				size_t n = strlen(ents[k].ent);
				if (len - i >= n && !memcmp(p, ents[k].ent, n)) {
					buf_putc(text, ents[k].c);
					e = n;
				}
			}
			if (!e)
				return "bare & or unknown entity";
			inside++;
			i += e;
		} else if (*p == '<' || *p == '>' || *p == '"' || *p == '\'') {
			return "unescaped < > \" or '";
		} else if (*p == '\n' && in_span) {
			return "newline inside a span";
		} else {
			buf_putc(text, *p);
			inside++;
			i++;
		}
	}
	return in_span ? "unclosed span" : NULL;
}

/* Validate the output for code[0..n) and compare its text with `want`
 * (wlen bytes; the code itself when want is NULL). */
static void check_output(const char *what, const char *lang, const char *html, size_t len,
	const char *want, size_t wlen)
{
	struct buf text = BUF_INIT;
	const char *err = validate(html, len, &text);
	CHECK(!err, "%s [%s]: %s", what, lang, err ? err : "");
	if (!err)
		CHECK(text.len == wlen && !memcmp(text.data, want, wlen),
			"%s [%s]: text changed (%zu bytes in, %zu out)", what, lang, wlen, text.len);
	buf_free(&text);
}

/* ---- exact outputs ----------------------------------------------------- */

static const struct {
	const char *lang, *in, *want;
} golden[] = {
	{ "js",
	  "const re = /a[/]b\\/c/gi, q = x / y / 2;\n",
	  "<kw>const</> re = <re>/a[/]b\\/c/gi</>, q = x / y / <num>2</>;\n" },
	{ "js",
	  "let s = `a ${b + `c${d}`} e`; // done",
	  "<kw>let</> s = <str>`a </><op>${</>b + <str>`c</><op>${</>d<op>}</><str>`</><op>}</><str> e`</>; <com>// done</>" },
	{ "js",
	  "async function* gen(n = 1_000n) {\n"
	  "  yield await Promise.resolve(0x1F + .5e3);\n"
	  "}",
	  "<kw>async</> <kw>function</>* <fn>gen</>(n = <num>1_000n</>) {\n"
	  "  <kw>yield</> <kw>await</> <builtin>Promise</>.<fn>resolve</>(<num>0x1F</> + <num>.5e3</>);\n"
	  "}" },
	{ "js",
	  "#!/usr/bin/env node\n"
	  "import { readFile as rf } from 'node:fs';\n"
	  "console.log(process.argv, obj.get(\"k\"));",
	  "<meta>#!/usr/bin/env node</>\n"
	  "<kw>import</> { readFile <kw>as</> rf } <kw>from</> <str>&#39;node:fs&#39;</>;\n"
	  "<builtin>console</>.<fn>log</>(<builtin>process</>.argv, obj.<fn>get</>(<str>&quot;k&quot;</>));" },
	{ "js",
	  "const o = { key: 'v', \"q\": null, default: true, n: undefined };",
	  "<kw>const</> o = { <key>key</>: <str>&#39;v&#39;</>, <key>&quot;q&quot;</>: <lit>null</>, <kw>default</>: <lit>true</>, <key>n</>: <lit>undefined</> };" },
	{ "js",
	  "/* a\n"
	  "   b */ class A extends B { static #p = 1; get v() { return this.#p; } }",
	  "<com>/* a</>\n"
	  "<com>   b */</> <kw>class</> <type>A</> <kw>extends</> <type>B</> { <kw>static</> #p = <num>1</>; <kw>get</> <fn>v</>() { <kw>return</> <kw>this</>.#p; } }" },
	{ "js",
	  "if (a < b && c > d) x = \"<&>\" + '\\'';",
	  "<kw>if</> (a &lt; b &amp;&amp; c &gt; d) x = <str>&quot;&lt;&amp;&gt;&quot;</> + <str>&#39;\\&#39;&#39;</>;" },
	{ "js",
	  "for (const x of xs) map.set(x, set.has(x));",
	  "<kw>for</> (<kw>const</> x <kw>of</> xs) map.<fn>set</>(x, set.<fn>has</>(x));" },
	{ "js",
	  "x = a++ / 2; f(/re/); y = (/[ / 3 / 4;",
	  "x = a++ / <num>2</>; <fn>f</>(<re>/re/</>); y = (/[ / <num>3</> / <num>4</>;" },
	{ "js",
	  "s = \"unterminated\n"
	  "next = 1",
	  "s = <str>&quot;unterminated</>\n"
	  "next = <num>1</>" },
	{ "ts",
	  "interface User { readonly id: number; name?: string }",
	  "<kw>interface</> <type>User</> { <kw>readonly</> <key>id</>: <type>number</>; <key>name</>?: <type>string</> }" },
	{ "ts",
	  "type Keys = keyof User;\n"
	  "enum Color { Red = 1 }",
	  "<kw>type</> <type>Keys</> = <kw>keyof</> User;\n"
	  "<kw>enum</> <type>Color</> { Red = <num>1</> }" },
	{ "ts",
	  "declare namespace NS { export const x: unknown; }",
	  "<kw>declare</> <kw>namespace</> <type>NS</> { <kw>export</> <kw>const</> x: <type>unknown</>; }" },
	{ "ts",
	  "function f<T extends object>(a: T): Promise<void> { return a as T satisfies Base; }",
	  "<kw>function</> <fn>f</>&lt;T <kw>extends</> <type>object</>&gt;(a: T): <builtin>Promise</>&lt;<kw>void</>&gt; { <kw>return</> a <kw>as</> T <kw>satisfies</> Base; }" },
	{ "ts",
	  "class C implements I { private readonly n: bigint = 10n; }",
	  "<kw>class</> <type>C</> <kw>implements</> <type>I</> { <kw>private</> <kw>readonly</> <key>n</>: <type>bigint</> = <num>10n</>; }" },
	{ "ts",
	  "const type = 'a'; obj.type = type;",
	  "<kw>const</> type = <str>&#39;a&#39;</>; obj.type = type;" },
	{ "json",
	  "{\"a\": 1, \"b\": [true, false, null]}",
	  "{<key>&quot;a&quot;</>: <num>1</>, <key>&quot;b&quot;</>: [<lit>true</>, <lit>false</>, <lit>null</>]}" },
	{ "json",
	  "{\n"
	  "  \"n\": -1.5e+3,\n"
	  "  \"s\": \"x\\\"y\"\n"
	  "}",
	  "{\n"
	  "  <key>&quot;n&quot;</>: <num>-1.5e+3</>,\n"
	  "  <key>&quot;s&quot;</>: <str>&quot;x\\&quot;y&quot;</>\n"
	  "}" },
	{ "json",
	  "[\"<&>\", 'x', 0]",
	  "[<str>&quot;&lt;&amp;&gt;&quot;</>, &#39;x&#39;, <num>0</>]" },
	{ "json",
	  "{\"k\" : \"v\", \"e\": 2E-2}",
	  "{<key>&quot;k&quot;</> : <str>&quot;v&quot;</>, <key>&quot;e&quot;</>: <num>2E-2</>}" },
	{ "json",
	  "{\"open\": \"never closed\n"
	  "}",
	  "{<key>&quot;open&quot;</>: <str>&quot;never closed</>\n"
	  "}" },
	{ "sh",
	  "# set up\n"
	  "PID=$(pgrep -n node)\n"
	  "kill -USR2 \"$PID\" 2>&1 >/dev/null",
	  "<com># set up</>\n"
	  "<var>PID</>=<var>$(</><fn>pgrep</> <var>-n</> node<var>)</>\n"
	  "<fn>kill</> <var>-USR2</> <str>&quot;</><var>$PID</><str>&quot;</> <num>2</>&gt;&amp;<num>1</> &gt;/dev/null" },
	{ "sh",
	  "for f in *.md; do echo \"$f\"; done",
	  "<kw>for</> <var>f</> <kw>in</> *.md; <kw>do</> <fn>echo</> <str>&quot;</><var>$f</><str>&quot;</>; <kw>done</>" },
	{ "sh",
	  "export NODE_ENV=production PATH=\"$HOME/bin:$PATH\"\n"
	  "npm ci --omit=dev && node app.js &",
	  "<fn>export</> <var>NODE_ENV</>=production <var>PATH</>=<str>&quot;</><var>$HOME</><str>/bin:</><var>$PATH</><str>&quot;</>\n"
	  "<fn>npm</> ci <var>--omit</>=dev &amp;&amp; <fn>node</> app.js &amp;" },
	{ "sh",
	  "echo \"a $(date +%s) b\" `uname -s` $((1 + 2)) ${X:-def} '$not'",
	  "<fn>echo</> <str>&quot;a </><var>$(</><fn>date</> +%s<var>)</><str> b&quot;</> <var>`</><fn>uname</> <var>-s</><var>`</> <var>$((</><num>1</> + <num>2</><var>))</> <var>${X:-def}</> <str>&#39;$not&#39;</>" },
	{ "sh",
	  "if [ -f x ]; then cat <<EOF\n"
	  "body $x\n"
	  "EOF\n"
	  "fi",
	  "<kw>if</> <fn>[</> <var>-f</> x ]; <kw>then</> <fn>cat</> &lt;&lt;<str>EOF</>\n"
	  "<str>body $x</>\n"
	  "<str>EOF</>\n"
	  "<kw>fi</>" },
	{ "sh",
	  "case \"$1\" in\n"
	  "  start|run) exec node app.js ;;\n"
	  "  *) exit 1 ;;\n"
	  "esac",
	  "<kw>case</> <str>&quot;</><var>$1</><str>&quot;</> <kw>in</>\n"
	  "  start|run) <fn>exec</> node app.js ;;\n"
	  "  *) <fn>exit</> <num>1</> ;;\n"
	  "<kw>esac</>" },
	{ "bash",
	  "$ npm install\n"
	  "added 3 packages\n"
	  "$ node -e 'console.log(1 < 2)'\n"
	  "true",
	  "<prompt>$ </><fn>npm</> install\n"
	  "added 3 packages\n"
	  "<prompt>$ </><fn>node</> <var>-e</> <str>&#39;console.log(1 &lt; 2)&#39;</>\n"
	  "true" },
	{ "console",
	  "npm warn old\n"
	  "$ ls -la \\\n"
	  "  /tmp\n"
	  "$",
	  "npm warn old\n"
	  "<prompt>$ </><fn>ls</> <var>-la</> \\\n"
	  "  /tmp\n"
	  "<prompt>$</>" },
	{ "sh",
	  "function greet() { local n=\"$1\"; printf '%s\\n' \"$n\"; }",
	  "<kw>function</> <fn>greet</>() { <fn>local</> <var>n</>=<str>&quot;</><var>$1</><str>&quot;</>; <fn>printf</> <str>&#39;%s\\n&#39;</> <str>&quot;</><var>$n</><str>&quot;</>; }" },
	{ "yaml",
	  "name: \"kbc\"  # the name\n"
	  "version: 1.2\n"
	  "enabled: true\n"
	  "nothing: ~",
	  "<key>name</>: <str>&quot;kbc&quot;</>  <com># the name</>\n"
	  "<key>version</>: <num>1.2</>\n"
	  "<key>enabled</>: <lit>true</>\n"
	  "<key>nothing</>: <lit>~</>" },
	{ "yaml",
	  "---\n"
	  "list:\n"
	  "  - one\n"
	  "  - 2\n"
	  "  - key: &a value\n"
	  "    other: *a\n"
	  "...\n",
	  "<meta>---</>\n"
	  "<key>list</>:\n"
	  "  <op>-</> one\n"
	  "  <op>-</> <num>2</>\n"
	  "  <op>-</> <key>key</>: <meta>&amp;a</> value\n"
	  "    <key>other</>: <meta>*a</>\n"
	  "<meta>...</>\n" },
	{ "yaml",
	  "flow: {a: 1, \"b\": [x, null], c: 0x1F}\n"
	  "tag: !!str 123",
	  "<key>flow</>: {<key>a</>: <num>1</>, <key>&quot;b&quot;</>: [x, <lit>null</>], <key>c</>: <num>0x1F</>}\n"
	  "<key>tag</>: <meta>!!str</> <num>123</>" },
	{ "yaml",
	  "script: |\n"
	  "  echo \"hi\": not a key\n"
	  "  two\n"
	  "\n"
	  "next: >-\n"
	  "  folded\n"
	  "last: no",
	  "<key>script</>: |\n"
	  "  <str>echo &quot;hi&quot;: not a key</>\n"
	  "  <str>two</>\n"
	  "\n"
	  "<key>next</>: &gt;-\n"
	  "  <str>folded</>\n"
	  "<key>last</>: <lit>no</>" },
	{ "yaml",
	  "%YAML 1.2\n"
	  "--- \n"
	  "'it''s': 'a<b>&c'\n"
	  "url: http://x.y/z#frag",
	  "<meta>%YAML 1.2</>\n"
	  "<meta>---</> \n"
	  "<key>&#39;it&#39;&#39;s&#39;</>: <str>&#39;a&lt;b&gt;&amp;c&#39;</>\n"
	  "<key>url</>: http://x.y/z#frag" },
	{ "yaml",
	  "- - nested\n"
	  "- -.5\n"
	  "- .inf\n"
	  "- 2024-01-01",
	  "<op>-</> <op>-</> nested\n"
	  "<op>-</> <num>-.5</>\n"
	  "<op>-</> <num>.inf</>\n"
	  "<op>-</> 2024-01-01" },
	{ "c",
	  "#include <stdio.h>\n"
	  "#include \"buf.h\"\n"
	  "int main(void) { return 0; }",
	  "<meta>#include</> <str>&lt;stdio.h&gt;</>\n"
	  "<meta>#include</> <str>&quot;buf.h&quot;</>\n"
	  "<type>int</> <fn>main</>(<type>void</>) { <kw>return</> <num>0</>; }" },
	{ "c",
	  "#define MAX(a, b) ((a) > (b) ? (a) : (b))\n"
	  "#if defined(X) && X > 1\n"
	  "#endif",
	  "<meta>#define</> <fn>MAX</>(a, b) ((a) &gt; (b) ? (a) : (b))\n"
	  "<meta>#if</> <kw>defined</>(X) &amp;&amp; X &gt; <num>1</>\n"
	  "<meta>#endif</>" },
	{ "c",
	  "struct point { int x; uint8_t y; };\n"
	  "static size_t n = 0x1Fu + 1.5e-3f;",
	  "<kw>struct</> <type>point</> { <type>int</> x; <type>uint8_t</> y; };\n"
	  "<kw>static</> <type>size_t</> n = <num>0x1Fu</> + <num>1.5e-3f</>;" },
	{ "c",
	  "char c = '\\''; const char *s = u8\"<&>\"; /* c */ // line",
	  "<type>char</> c = <str>&#39;\\&#39;&#39;</>; <kw>const</> <type>char</> *s = <str>u8&quot;&lt;&amp;&gt;&quot;</>; <com>/* c */</> <com>// line</>" },
	{ "c",
	  "if (p == NULL) return false; else while (*s) s++;",
	  "<kw>if</> (p == <lit>NULL</>) <kw>return</> <lit>false</>; <kw>else</> <kw>while</> (*s) s++;" },
	{ "h",
	  "typedef enum color { RED } color_t;\n"
	  "bool ok(const FILE *f);",
	  "<kw>typedef</> <kw>enum</> <type>color</> { RED } <type>color_t</>;\n"
	  "<type>bool</> <fn>ok</>(<kw>const</> <type>FILE</> *f);" },
	{ "dockerfile",
	  "# syntax=docker/dockerfile:1\n"
	  "FROM node:22-alpine AS build\n"
	  "WORKDIR /app",
	  "<com># syntax=docker/dockerfile:1</>\n"
	  "<kw>FROM</> node:22-alpine <kw>AS</> build\n"
	  "<kw>WORKDIR</> /app" },
	{ "dockerfile",
	  "COPY --chown=node:node package*.json ./\n"
	  "RUN npm ci && \\\n"
	  "    # note\n"
	  "    npm run build",
	  "<kw>COPY</> <var>--chown</>=node:node package*.json ./\n"
	  "<kw>RUN</> npm ci &amp;&amp; \\\n"
	  "    <com># note</>\n"
	  "    npm run build" },
	{ "dockerfile",
	  "ENV NODE_ENV=production PATH=\"$PATH:/app/bin\"\n"
	  "EXPOSE 3000/tcp 9229",
	  "<kw>ENV</> NODE_ENV=production PATH=<str>&quot;</><var>$PATH</><str>:/app/bin&quot;</>\n"
	  "<kw>EXPOSE</> <num>3000</>/tcp <num>9229</>" },
	{ "dockerfile",
	  "from scratch as final\n"
	  "COPY --from=build /app/dist ${APP_DIR}\n"
	  "CMD [\"node\", \"dist/server.js\"]",
	  "<kw>from</> scratch <kw>as</> final\n"
	  "<kw>COPY</> <var>--from</>=build /app/dist <var>${APP_DIR}</>\n"
	  "<kw>CMD</> [<str>&quot;node&quot;</>, <str>&quot;dist/server.js&quot;</>]" },
	{ "docker",
	  "onbuild run echo 'a<b>'\n"
	  "user node",
	  "<kw>onbuild</> <kw>run</> echo <str>&#39;a&lt;b&gt;&#39;</>\n"
	  "<kw>user</> node" },
	{ "diff",
	  "diff --git a/x b/x\n"
	  "index 83db48f..bf269f4 100644\n"
	  "--- a/x\n"
	  "+++ b/x\n"
	  "@@ -1,3 +1,3 @@ fn\n"
	  " ctx\n"
	  "-old\n"
	  "+new\n"
	  " ctx",
	  "<meta>diff --git a/x b/x</>\n"
	  "<meta>index 83db48f..bf269f4 100644</>\n"
	  "<meta>--- a/x</>\n"
	  "<meta>+++ b/x</>\n"
	  "<meta>@@ -1,3 +1,3 @@ fn</>\n"
	  " ctx\n"
	  "<del>-old</>\n"
	  "<ins>+new</>\n"
	  " ctx" },
	{ "diff",
	  "@@ -1,2 +1,2 @@\n"
	  "--- sql comment\n"
	  "+++ sql comment\n"
	  "\\ No newline at end of file",
	  "<meta>@@ -1,2 +1,2 @@</>\n"
	  "<del>--- sql comment</>\n"
	  "<ins>+++ sql comment</>\n"
	  "<meta>\\ No newline at end of file</>" },
	{ "diff",
	  "--- a\n"
	  "+++ b\n"
	  "@@ -1 +1 @@\n"
	  "-a & b\n"
	  "+a < b",
	  "<meta>--- a</>\n"
	  "<meta>+++ b</>\n"
	  "<meta>@@ -1 +1 @@</>\n"
	  "<del>-a &amp; b</>\n"
	  "<ins>+a &lt; b</>" },
	{ "patch",
	  "-x\n"
	  "+y\n"
	  "plain",
	  "<del>-x</>\n"
	  "<ins>+y</>\n"
	  "plain" },
	{ "text",
	  "a <b> & \"c\" 'd'",
	  "a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;" },
	{ "txt",
	  "line 1\n"
	  "line 2",
	  "line 1\n"
	  "line 2" },
	{ "output",
	  "$ not a prompt\n"
	  "// not a comment",
	  "$ not a prompt\n"
	  "// not a comment" },
	{ "plaintext",
	  "",
	  "" },
};

static void test_golden(void)
{
	for (size_t k = 0; k < sizeof golden / sizeof *golden; k++) {
		size_t len, n = strlen(golden[k].in);
		int rc;
		char *got = run(golden[k].lang, golden[k].in, n, &len, &rc);
		char *want = expand(golden[k].want);
		CHECK(!strcmp(got, want), "[%s] %s\n  got:  %s\n  want: %s", golden[k].lang,
			golden[k].in, got, want);
		CHECK(rc == 1, "[%s] is supported", golden[k].lang);
		check_output("golden", golden[k].lang, got, len, golden[k].in, n);
		free(got);
		free(want);
	}
}

/* The five special characters in strings, comments and plain code, in
 * every language: each comes out as its entity and the text survives. */
static void test_escaping(void)
{
	static const char code[] =
		"x = \"<&>'\" + '<&>\"' // <&>\"'\n"
		"# <&>\"' comment\n"
		"/* <&>\"' */ a < b > c & d\n"
		"key: \"<&>'\"\n"
		"+<&>\"'\n"
		"-<&>\"'\n"
		"$ echo <&>\"'\n";
	for (const char *const *l = all_langs; *l; l++) {
		size_t len;
		char *got = run(*l, code, sizeof code - 1, &len, NULL);
		check_output("escaping", *l, got, len, code, sizeof code - 1);
		static const char *const ents[] = { "&lt;", "&gt;", "&amp;", "&quot;", "&#39;", NULL };
		for (const char *const *e = ents; *e; e++)
			CHECK(strstr(got, *e) != NULL, "escaping [%s]: no %s", *l, *e);
		free(got);
	}
	/* An unsupported language is only escaped. */
	int rc;
	char *got = run("python", "a<b>&\"'", 7, NULL, &rc);
	CHECK(rc == 0 && !strcmp(got, "a&lt;b&gt;&amp;&quot;&#39;"), "python: rc %d, %s", rc, got);
	free(got);
	got = run(NULL, "<x>", 3, NULL, &rc);
	CHECK(rc == 0 && !strcmp(got, "&lt;x&gt;"), "NULL lang: rc %d, %s", rc, got);
	free(got);
}

static void test_aliases(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "js", "js" }, { "javascript", "js" }, { "mjs", "js" }, { "cjs", "js" },
		{ "ts", "ts" }, { "typescript", "ts" }, { "json", "json" },
		{ "sh", "sh" }, { "bash", "sh" }, { "shell", "sh" }, { "console", "sh" },
		{ "yaml", "yaml" }, { "yml", "yaml" }, { "c", "c" }, { "h", "c" },
		{ "dockerfile", "dockerfile" }, { "docker", "dockerfile" },
		{ "diff", "diff" }, { "patch", "diff" }, { "text", "text" },
		{ "plaintext", "text" }, { "txt", "text" }, { "output", "text" },
		{ "JavaScript", "js" }, { "Dockerfile", "dockerfile" }, { "YAML", "yaml" },
		{ "js run", "js" }, { "mjs run node=22", "js" }, { " sh", "sh" },
		{ "python", NULL }, { "jsx", NULL }, { "tsx", NULL }, { "cpp", NULL },
		{ "javascripts", NULL }, { "j", NULL }, { "", NULL }, { " ", NULL },
		{ "shell-session", NULL }, { "hh", NULL },
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		const char *got = highlight_language(cases[k].in);
		CHECK(str_eq(got, cases[k].out), "highlight_language(\"%s\") = %s, want %s",
			cases[k].in, got ? got : "NULL", cases[k].out ? cases[k].out : "NULL");
		int rc;
		char *html = run(cases[k].in, "x", 1, NULL, &rc);
		CHECK(rc == (cases[k].out != NULL), "highlight rc for \"%s\" is %d", cases[k].in, rc);
		free(html);
	}
	CHECK(highlight_language(NULL) == NULL, "highlight_language(NULL)");
	/* Aliases highlight exactly like their canonical names. */
	static const char code[] = "const x = `a${b}` // c\n";
	char *a = run("javascript", code, sizeof code - 1, NULL, NULL);
	char *b = run("js", code, sizeof code - 1, NULL, NULL);
	CHECK(!strcmp(a, b), "javascript and js differ");
	free(a);
	free(b);
}

static void test_buffer_and_edges(void)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "<pre>");
	int rc = highlight(&b, "js", "1", 1);
	CHECK(rc == 1 && !strcmp(b.data, "<pre><span class=\"hl-num\">1</span>"),
		"appends to the buffer: %s", b.data);
	buf_reset(&b);
	rc = highlight(&b, "sh", NULL, 0);
	CHECK(rc == 1 && b.len == 0, "NULL code, n 0: rc %d, %zu bytes", rc, b.len);
	rc = highlight(&b, "yaml", "", 0);
	CHECK(rc == 1 && b.len == 0, "empty code");
	/* Only n bytes are read, NUL terminator or not. */
	rc = highlight(&b, "js", "12345", 2);
	CHECK(!strcmp(b.data, "<span class=\"hl-num\">12</span>"), "n bytes only: %s", b.data);
	buf_free(&b);
	/* Same input, same bytes. */
	static const char code[] = "const re = /x/g; `${a}` 'b' // c\n";
	char *x = run("ts", code, sizeof code - 1, NULL, NULL);
	char *y = run("ts", code, sizeof code - 1, NULL, NULL);
	CHECK(!strcmp(x, y), "output is deterministic");
	free(x);
	free(y);
	/* CRLF line ends stay outside spans. */
	x = run("js", "/* a\r\nb */", 10, NULL, NULL);
	CHECK(!strcmp(x, "<span class=\"hl-com\">/* a</span>\r\n<span class=\"hl-com\">b */</span>"),
		"CRLF: %s", x);
	free(x);
}

static void test_utf8(void)
{
	/* n is the input length when it holds a NUL, else 0 (strlen). */
	static const struct { const char *lang, *in; size_t n; const char *want; } cases[] = {
		{ "text", "a\xFF" "b", 0, "a\xEF\xBF\xBD" "b" },
		{ "text", "\xED\xA0\x80", 0, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "text", "x\xF0\x9F\x98", 0, "x\xEF\xBF\xBD" },
		{ "text", "\xC0\xAF", 0, "\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "c", "x\0y", 3, "x\xEF\xBF\xBDy" },
		{ "js", "\"\xE2\x82\"", 0, "<str>&quot;\xEF\xBF\xBD&quot;</>" },
		{ "js", "const \xC3\xA9 = \"\xC3\xBC\";", 0,
		  "<kw>const</> \xC3\xA9 = <str>&quot;\xC3\xBC&quot;</>;" },
		{ "sh", "echo \xE2\x9C\x93 $\xC3\xA9", 0, "<fn>echo</> \xE2\x9C\x93 $\xC3\xA9" },
		{ "yaml", "\xC3\xA9t\xC3\xA9: \xF0\x9F\x98\x80", 0,
		  "<key>\xC3\xA9t\xC3\xA9</>: \xF0\x9F\x98\x80" },
		{ "json", "{\"\xFF\": 1}", 0, "{<key>&quot;\xEF\xBF\xBD&quot;</>: <num>1</>}" },
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		size_t len;
		size_t n = cases[k].n ? cases[k].n : strlen(cases[k].in);
		char *got = run(cases[k].lang, cases[k].in, n, &len, NULL);
		char *want = expand(cases[k].want);
		CHECK(!strcmp(got, want), "utf8 case %zu [%s]: got %s", k, cases[k].lang, got);
		struct buf text = BUF_INIT;
		const char *err = validate(got, len, &text);
		CHECK(!err, "utf8 case %zu: %s", k, err ? err : "");
		buf_free(&text);
		free(got);
		free(want);
	}
}

/* ---- hostile inputs ------------------------------------------------------ */

#define MB ((size_t)1 << 20)

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `unit` repeated to about 1 MB, after `head`. */
static void fill(struct buf *b, const char *head, const char *unit)
{
	buf_reset(b);
	buf_puts(b, head);
	size_t k = strlen(unit);
	while (b->len + k <= MB)
		buf_put(b, unit, k);
}

static void hostile_run(const char *what, const char *lang, const struct buf *in)
{
	struct buf out = BUF_INIT;
	double t0 = now();
	highlight(&out, lang, in->data, in->len);
	double dt = now() - t0;
	/* Under valgrind or ASan (tools/valgrind and tools/test set
	 * KBC_TEST_SLOW) time means nothing. */
	CHECK(dt < 1.0 || getenv("KBC_TEST_SLOW"), "%s [%s]: %.2f s for %zu bytes", what, lang, dt, in->len);
	check_output(what, lang, out.data, out.len, in->data, in->len);
	buf_free(&out);
}

static void test_hostile(void)
{
	/* Everyone: a 1 MB single-line string, runs of '/' and '`'. */
	static const struct { const char *what, *head, *unit; } all[] = {
		{ "1 MB unterminated string", "x = \"", "a" },
		{ "1 MB closed string", "\"", "abcdefgh" },
		{ "1 MB of /", "", "/" },
		{ "1 MB of `", "", "`" },
	};
	/* Each aimed at one lexer's nesting or lookahead. */
	static const struct { const char *what, *lang, *head, *unit; } some[] = {
		{ "failing regexes", "js", "", "(/[" },
		{ "failing regexes", "ts", "x = a\n", "=/[\\" },
		{ "nested templates", "js", "", "`${" },
		{ "open comment", "js", "/*", " " },
		{ "keys without values", "js", "{", "a:" },
		{ "long identifier", "ts", "", "abcdefgh" },
		{ "open brackets", "js", "", "({[" },
		{ "command substitutions", "sh", "", "$(" },
		{ "quoted substitutions", "sh", "", "\"$(" },
		{ "heredoc openers", "sh", "", "<<E\n" },
		{ "backslashes", "sh", "", "\\" },
		{ "single quote", "sh", "'", "x" },
		{ "arithmetic", "sh", "", "$((" },
		{ "prompts", "console", "", "$ a\nout\n" },
		{ "list dashes", "yaml", "", "- " },
		{ "flow", "yaml", "", "{a: [" },
		{ "block scalar", "yaml", "k: |\n", "  line\n" },
		{ "double quote", "yaml", "\"", "\\" },
		{ "open comment", "c", "/*", "*" },
		{ "directives", "c", "", "#include <\n" },
		{ "continuations", "dockerfile", "RUN a", " \\\n" },
		{ "variables", "dockerfile", "ENV ", "${" },
		{ "hunks", "diff", "", "@@ -1,99999 +1,99999 @@\n-a\n" },
		{ "numbers", "json", "[", "-1.5e+3," },
	};
	struct buf in = BUF_INIT;
	for (size_t k = 0; k < sizeof all / sizeof *all; k++) {
		fill(&in, all[k].head, all[k].unit);
		for (const char *const *l = all_langs; *l; l++)
			hostile_run(all[k].what, *l, &in);
	}
	for (size_t k = 0; k < sizeof some / sizeof *some; k++) {
		fill(&in, some[k].head, some[k].unit);
		hostile_run(some[k].what, some[k].lang, &in);
	}
	buf_free(&in);
}

/* ---- random inputs -------------------------------------------------------- */

static unsigned long long rng = 0x2545F4914F6CDD1DULL;

static unsigned next_rand(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rng >> 33);
}

/* Short random inputs made of the pieces the lexers care about, some of
 * them invalid UTF-8 or NUL. The text is checked against the "text"
 * rendering, which only repairs and escapes. */
static void test_random(void)
{
	static const char *const pieces[] = {
		"\"", "'", "`", "$", "{", "}", "(", ")", "[", "]", "/", "*", "\\", "\n",
		" ", "#", "-", ":", "<", ">", "&", "|", ";", "=", ",", "@", "!", "?",
		".", "a", "x1", "if", "then", "fi", "for", "in", "do", "done", "case",
		"esac", "EOF", "<<", "${", "$(", "$((", "//", "/*", "*/", "0x1F", "1e5",
		"---", "- ", "|\n", "key: ", "\t", "\r\n", "\xC3\xA9", "\xFF", "\xE2\x82",
		"@@ -1,2 +1 @@\n", "+", "#include", "FROM ", "--flag=", "$ ", "class ",
		"function", "=>", "\\\n", "\"\"\"", "%", "&a", "*a", "!!", "~", "true",
	};
	size_t np = sizeof pieces / sizeof *pieces;
	struct buf in = BUF_INIT, ref = BUF_INIT, text = BUF_INIT;
	for (const char *const *l = all_langs; *l; l++) {
		for (int iter = 0; iter < 400; iter++) {
			buf_reset(&in);
			if (iter % 20 == 0) {
				/* raw bytes, mostly ASCII */
				for (size_t k = next_rand() % 2000; k; k--) {
					unsigned r = next_rand();
					buf_putc(&in, (int)(r % 4 ? 9 + (r >> 8) % 118 : (r >> 8) % 256));
				}
			} else {
				size_t parts = next_rand() % 60;
				for (size_t k = 0; k < parts; k++)
					buf_puts(&in, pieces[next_rand() % np]);
				if (next_rand() % 8 == 0)
					buf_putc(&in, '\0');
			}
			size_t len;
			char *got = run(*l, in.data, in.len, &len, NULL);
			buf_reset(&ref);
			highlight(&ref, "text", in.data, in.len);
			const char *err = validate(ref.data, ref.len, &text);
			struct buf want = BUF_INIT;
			buf_put(&want, text.data, text.len);
			CHECK(!err, "random text rendering: %s", err ? err : "");
			check_output("random", *l, got, len, want.data, want.len);
			buf_free(&want);
			free(got);
		}
	}
	buf_free(&in);
	buf_free(&ref);
	buf_free(&text);
}

int main(void)
{
	test_golden();
	test_escaping();
	test_aliases();
	test_buffer_and_edges();
	test_utf8();
	test_random();
	test_hostile();
	return check_summary();
}
