#!/usr/bin/env bash
# Hostile vaults, generated here (some files are large): each case must end
# with its expected exit status and diagnostic, within 30 s, without a crash
# (a signal or a sanitizer report fails the case), and write no script kbc
# did not write. First cases of the hostile suite (issue 9).
. "$(dirname "$0")/../lib.sh"
KBC=$1

# case NAME STATUS PATTERN: build the vault in $TMP/NAME and check the
# exit status and that stderr matches PATTERN (grep -E).
case_() {
	local name=$1 want=$2 pattern=$3
	local dir="$TMP/$name"
	(cd "$dir" && timeout 30 "$KBC" build -o "$TMP/$name-site" >"$TMP/$name.out" 2>"$TMP/$name.err")
	local got=$?
	check "$name: exit status $want (got $got)" test "$got" -eq "$want"
	check "$name: diagnostic /$pattern/" grep -Eq -- "$pattern" "$TMP/$name.err"
	check "$name: no crash or sanitizer report" bash -c "! grep -Eq 'AddressSanitizer|runtime error|LeakSanitizer' '$TMP/$name.err'"
}
vault() { mkdir -p "$TMP/$1/notes"; }

vault utf8
printf -- '---\ntitle: Bad\n---\n\nok \xff\xfe bytes\n' > "$TMP/utf8/notes/bad.md"
case_ utf8 1 'notes/bad.md:5:4: error: invalid UTF-8 byte 0xFF'

vault nul
printf 'a NUL \0 byte\n' > "$TMP/nul/notes/nul.md"
case_ nul 1 'notes/nul.md:1:7: error: NUL byte in note'

vault deep
python3 -c "print('> ' * 10000 + 'deep'); print('\n'.join('  ' * i + '- item' for i in range(3000)))" > "$TMP/deep/notes/deep.md"
case_ deep 0 'kbc: 1 note, 0 errors'

vault bomb
{ printf -- '---\ntitle: Bomb\nlol: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
  for c in b c d e f g h i; do p=$(printf "\\$(printf %o $(( $(printf %d "'$c") - 1 )))"); printf '%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n' "l$c" "$c" "$p" "$p" "$p" "$p" "$p" "$p" "$p" "$p" "$p" "$p"; done
  printf -- '---\nBody.\n'; } > "$TMP/bomb/notes/bomb.md"
case_ bomb 1 'alias expansion limit'

vault tags
printf -- '---\ntitle: Tags\nx: !!binary aGk=\n---\n' > "$TMP/tags/notes/t.md"
case_ tags 1 "notes/t.md:3:4: error: unsupported YAML tag '!!binary'"

vault unclosed
printf -- '---\ntitle: Never closed\n\nBody.\n' > "$TMP/unclosed/notes/u.md"
printf -- 'No front matter, a rule in code:\n\n```\n---\n```\n' > "$TMP/unclosed/notes/v.md"
# Front matter ends at the first --- line, even one meant for a code block:
# what lies between is then read as YAML, and its error is reported there.
printf -- '---\ntitle: Closed by code\n\nBody with\n```\n---\n```\n' > "$TMP/unclosed/notes/w.md"
case_ unclosed 1 'notes/u.md:1:1: error: front matter is never closed'
check "unclosed: the --- in w.md ends its front matter; the YAML error is in w.md" grep -q "notes/w.md:5:1: error: YAML syntax error" "$TMP/unclosed.err"
check "unclosed: a --- in a code block of a note without front matter is just code" bash -c "! grep -q 'notes/v.md:.*error' '$TMP/unclosed.err'"

vault escape
printf -- '---\ntitle: "Bad </title><script>alert(1)</script>"\naliases: ["<img src=x onerror=alert(1)>"]\ntags: [ok]\n---\n\n## Heading <script>alert(2)</script>\n\n[[../../etc/passwd]] [a](javascript:alert(3)) ![i](file:///etc/passwd) [b](/etc/passwd)\n' > "$TMP/escape/notes/x.md"
case_ escape 1 "notes/x.md:9:1: error: no note named '../../etc/passwd'"
sed -i 's/^\[\[\.\.\/\.\.\/etc\/passwd\]\] //' "$TMP/escape/notes/x.md"
case_ escape 0 "link URL 'javascript:alert\\(3\\)' removed"
check "escape: no script kbc did not write" bash -c "! grep -rhoE '<script[^>]*>[^<]*' '$TMP/escape-site' --include=*.html | grep -v 'src=' | grep -q ."
check "escape: no onerror attribute inside a tag" bash -c "! grep -rqE '<[^>]*[[:space:]]onerror=' '$TMP/escape-site' --include=*.html"
check "escape: no javascript: URL" bash -c "! grep -rqi 'href=\"javascript:' '$TMP/escape-site' --include=*.html"

vault links
mkdir -p "$TMP/links/outside" && echo secret > "$TMP/links/outside/secret.md"
ln -s "$TMP/links/outside/secret.md" "$TMP/links/notes/leak.md"
ln -s loop.md "$TMP/links/notes/loop.md"
printf 'Fine.\n' > "$TMP/links/notes/ok.md"
case_ links 0 "skipping symbolic link to '.*secret.md', outside the notes folder"
check "links: a looping link is skipped" grep -q "notes/loop.md: warning: skipping symbolic link that cannot be followed" "$TMP/links.err"
check "links: the outside note is not in the site" bash -c "! grep -rq secret '$TMP/links-site'"

vault collide
printf 'One.\n' > "$TMP/collide/notes/Note.md"
printf 'Two.\n' > "$TMP/collide/notes/note.md"
case_ collide 1 "page name 'note.html' collides with"

vault names
printf 'x\n' > "$TMP/names/notes/..md"
printf 'x\n' > "$TMP/names/notes/$(printf 'new\nline').md"
printf 'fine\n' > "$TMP/names/notes/fine.md"
case_ names 1 'file name contains a line break'

vault empty
case_ empty 0 'kbc: 0 notes, 0 errors, 0 warnings'

vault big
python3 -c "
import sys
sys.stdout.write('# Big\n\n' + ('word ' * 12 + '\n') * 1400000)" > "$TMP/big/notes/big.md"
case_ big 1 'note is [0-9]+ bytes; the limit is 16777216'
finish
