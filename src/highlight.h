/* highlight.h - build-time syntax highlighting of code blocks to HTML.
 *
 * One pass of a small hand-written lexer per language, no regular
 * expressions and no backtracking: every byte is looked at a bounded number
 * of times, so the time is linear in the input whatever it holds. The
 * output is flat (spans never nest) and every span is closed before each
 * newline and reopened after it, so a page can split the result into
 * numbered lines. Each byte of the input reaches the output escaped
 * (& < > " ' become entities); invalid UTF-8 and NUL bytes are replaced by
 * U+FFFD, one per maximal invalid subsequence (Unicode's recommended
 * practice), so the output is always valid UTF-8. The same input always
 * gives the same bytes.
 *
 * Languages (canonical name: aliases):
 *   js: javascript, mjs, cjs     ts: typescript      json
 *   sh: bash, shell, console     yaml: yml           c: h
 *   dockerfile: docker           diff: patch         text: plaintext, txt, output
 * Names match ignoring ASCII case, and only the first word of `lang`
 * counts ("js run" is "js"). A `console` block, or any sh block whose first
 * line starts with "$ ", is a terminal session: lines starting with "$ "
 * are commands after a prompt, other lines are output and stay plain.
 *
 * Span classes (class="hl-KIND"): kw keyword, str string, num number,
 * com comment, fn function or command name, var variable, shell/Dockerfile
 * option and parameter, key object/JSON/YAML key, lit true/false/null and
 * other literal constants, type types, meta preprocessor, shebang,
 * decorators, YAML tags/anchors/aliases/document markers, diff file headers
 * and hunk lines, op list dashes in YAML and the ${ } of JS template
 * literals, ins/del added and removed diff lines, re regex literal,
 * prompt shell prompt ("$ "), builtin well-known JS globals. */
#ifndef KBC_HIGHLIGHT_H
#define KBC_HIGHLIGHT_H

#include <stddef.h>

struct buf;

/* Append `code` (n bytes, UTF-8; may be NULL when n is 0) to `out` as
 * HTML: every character escaped (& < > " '), tokens wrapped in
 * <span class="hl-KIND">...</span>. `lang` may be NULL. Returns 1 if
 * `lang` is a supported language (after aliases; "text" is one), 0 if not,
 * in which case the code is only escaped. Never fails: unterminated
 * strings and comments, stray bytes and invalid UTF-8 are highlighted as
 * far as they go. Allocation failure aborts (util.h). */
int highlight(struct buf *out, const char *lang, const char *code, size_t n);

/* Canonical name for a language or alias ("javascript" -> "js", "sh",
 * "bash", "shell", "console" -> "sh", "yml" -> "yaml", "typescript" ->
 * "ts", "mjs"/"cjs" -> "js", "docker" -> "dockerfile", "patch" -> "diff",
 * "plaintext"/"txt"/"output" -> "text", "h" -> "c"), or NULL if `lang` is
 * NULL, empty or unsupported. The result is a static string. */
const char *highlight_language(const char *lang);

#endif
