#!/usr/bin/env bash
# run-found.sh KBC - what the fuzzers found, checked end to end through the
# kbc command (the replay inputs in regress/ check the parsers alone): each
# case is a one-note vault whose diagnostics must carry exact positions.
. "$(dirname "$0")/../lib.sh"
KBC=$1

# note NAME CONTENT: a vault $TMP/NAME with notes/n.md holding CONTENT
# (printf format); `kbc check` stderr lands in $TMP/NAME.err.
note() {
	mkdir -p "$TMP/$1/notes"
	printf -- "$2" > "$TMP/$1/notes/n.md"
	"$KBC" check -C "$TMP/$1" >/dev/null 2>"$TMP/$1.err"
}
has() { grep -qF -- "$2" "$TMP/$1.err" || { cat "$TMP/$1.err"; return 1; }; }

# A lone CR ends a line for cmark-gfm and libyaml: kbc counts lines the same.
note cr 'Old\rMac [[x]]\r\r- [[y]]\n'
check "lone CR: link on line 2" has cr "notes/n.md:2:5: error: no note named 'x'"
check "lone CR: link on line 4" has cr "notes/n.md:4:3: error: no note named 'y'"
note cr-front '---\rtitle: T\rtags: [bad tag]\r---\r[[z]]\r'
check "lone CR in front matter: tag error on line 3" has cr-front "notes/n.md:3:8: error: tag 'bad tag'"
check "lone CR in front matter: body link on line 5" has cr-front "notes/n.md:5:1: error: no note named 'z'"

# A subgraph title's <br/> is a line break by the time an unclosed subgraph
# is reported: the warning stays on one line.
note brtitle '```mermaid\nflowchart TB\n  subgraph two--<br/>> two\n```\n'
check "mermaid: a quoted name with a line break stays on one line" has brtitle "notes/n.md:3:3: warning: mermaid diagram not drawn, shown as code: subgraph 'two-- > two' is not closed with 'end'"

# cmark-gfm gives no position to the text of an undefined footnote reference.
note footnote '[^x] [[a]]\nb\n[^y] and ![[c]]\n'
check "undefined footnote: link keeps its column" has footnote "notes/n.md:1:6: error: no note named 'a'"
check "undefined footnote after a line break: next line" has footnote "notes/n.md:3:10: error: no note named 'c'"
# Where cmark-gfm gives a Markdown link no position either (here the text
# is a setext heading), the link gets its block's (line 1, not none).
note mdlink '[^1]itl[a](y) [d](x.md)\nl\n---|\n'
check "undefined footnote: a Markdown link after it has a line" has mdlink "notes/n.md:1:1: error: link to 'x.md'"
# ...and overshoots the column of a lazy line of a list inside a footnote.
note lazy 'Text[^x].\n\n[^x]: - [ ] \n[[b#c]]\n'
check "lazy line in a footnote's list: column 1" has lazy "notes/n.md:4:1: error: no note named 'b'"
# Partials that include each other three times over, 16 deep, are 43
# million expansions: the render stops with an error instead of running on.
mkdir -p "$TMP/blowup/notes" "$TMP/blowup/templates"
printf 'Text.\n' > "$TMP/blowup/notes/n.md"
printf '{{> fa}}' > "$TMP/blowup/templates/note.html"
printf '{{> fb}}{{> fb}}{{> fb}}' > "$TMP/blowup/templates/fa.html"
printf '{{> fa}}{{> fa}}{{> fa}}' > "$TMP/blowup/templates/fb.html"
check "template blow-up: build fails" status_is 1 "$KBC" build -q -C "$TMP/blowup" -o "$TMP/blowup-site"
"$KBC" build -q -C "$TMP/blowup" -o "$TMP/blowup-site" 2>"$TMP/blowup.err"
check "template blow-up: one error at the template" has blowup "error: template expands too much: over 10000000 steps"
check "template blow-up: no site written" test ! -e "$TMP/blowup-site"
# Loading a partial for the first time while a page renders must not move
# the templates already loaded (the 9th one grew their array and the page
# being rendered read freed memory: caught by the ASan run of this test).
mkdir -p "$TMP/partials/notes" "$TMP/partials/templates"
printf 'Text.\n' > "$TMP/partials/notes/n.md"
for i in 1 2 3 4 5 6 7 8 9 10; do
	printf '<p>%s</p>' "$i" > "$TMP/partials/templates/p$i.html"
	printf '{{> p%s}}' "$i" >> "$TMP/partials/templates/note.html"
done
printf '<i>{{site.title}}</i>\n' >> "$TMP/partials/templates/note.html"
check "ten partials: build succeeds" "$KBC" build -q -C "$TMP/partials" -o "$TMP/partials-site"
check "ten partials: the page has all of them" grep -q '<p>10</p><i>' "$TMP/partials-site/n.html"
finish
