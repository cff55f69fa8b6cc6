# cases.sh - the second half of the hostile suite, sourced by
# run-hostile.sh (it uses case_, vault, check and $TMP from there): long
# lines, a huge ledger, unreadable files, a full disk, Unicode collisions,
# absolute paths and script URLs in images, markup in tags and the ledger,
# YAML tags and repeated keys, and one case per limit of kb.yaml.

# A 10 MB line: refused by default at its line, built when allowed.
vault longline
python3 -c "
import sys
sys.stdout.write('# Long\n\n' + 'word ' * 2097152 + '\n')" > "$TMP/longline/notes/long.md"
case_ longline 1 'notes/long.md:3:1: error: line is 10485760 bytes long; the limit is 1048576 \(limits: line_bytes in kb.yaml\)'
printf 'limits:\n  line_bytes: 16777216\n' > "$TMP/longline/kb.yaml"
case_ longline 0 'kbc: 1 note, 0 errors'
rm -f "$TMP/longline/notes/long.md" "$TMP/longline-site/long.html"

# A ledger of 100,000 topics: a repeated term is found at its line; without
# it every topic reaches the ledger page.
vault ledger
printf -- '---\ntitle: A\n---\n\n## Part\n\nText.\n' > "$TMP/ledger/notes/a.md"
python3 -c "
print('groups:\n  - name: G\n    topics:')
for i in range(100000):
    print(f'      - term: \"term {i}\"\n        summary: \"Summary {i}.\"\n        note: \"A#Part\"')
print('      - term: \"TERM 5\"\n        summary: \"Again.\"\n        note: \"A\"')
" > "$TMP/ledger/notes/ledger.yaml"
case_ ledger 1 "notes/ledger.yaml:300004:15: error: duplicate ledger term 'TERM 5' \(first defined at line 19\)"
head -n -3 "$TMP/ledger/notes/ledger.yaml" > "$TMP/ledger.yaml" && mv "$TMP/ledger.yaml" "$TMP/ledger/notes/ledger.yaml"
case_ ledger 0 'kbc: 1 note, 0 errors'
check "ledger: 100,000 topics on the ledger page" test "$(grep -o '<div class="topic"' "$TMP/ledger-site/ledger.html" | wc -l)" -eq 100000

# An unreadable note and an unreadable folder. Root reads anything, so the
# build runs as nobody when we are root.
vault unreadable
printf 'Fine.\n' > "$TMP/unreadable/notes/ok.md"
printf 'Secret.\n' > "$TMP/unreadable/notes/locked.md"
mkdir -p "$TMP/unreadable/notes/closed" && printf 'x\n' > "$TMP/unreadable/notes/closed/in.md"
chmod 000 "$TMP/unreadable/notes/locked.md" "$TMP/unreadable/notes/closed"
as_user=()
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
		chmod 755 "$TMP"
		chown -R nobody "$TMP/unreadable"
		as_user=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
	else
		echo "NOTICE: unreadable: running as root without setpriv or user nobody; case skipped"
		as_user=(skip)
	fi
fi
if [ "${as_user[0]:-}" != skip ]; then
	CASES=$((CASES + 1))
	(cd "$TMP/unreadable" && timeout "$HOSTILE_TIMEOUT" "${as_user[@]}" "$KBC" build -o site >"$TMP/unreadable.out" 2>"$TMP/unreadable.err")
	got=$?
	check "unreadable: exit status 1 (got $got)" test "$got" -eq 1
	check "unreadable: the note is named" grep -q "notes/locked.md: error: cannot read note: Permission denied" "$TMP/unreadable.err"
	check "unreadable: the folder is named" grep -Eq "notes/closed.*(Permission denied|cannot)" "$TMP/unreadable.err"
	check "unreadable: no site written" test ! -e "$TMP/unreadable/site"
fi
chmod 755 "$TMP/unreadable/notes/closed"

# A full disk while the site is written (a 3 MB tmpfs): exit 3 with the
# reason, the previous site untouched, no staging folder left.
vault disk
printf '# Small\n\nSmall note.\n' > "$TMP/disk/notes/small.md"
mkdir -p "$TMP/disk-mnt"
if mount -t tmpfs -o size=3m kbc-hostile "$TMP/disk-mnt" 2>/dev/null; then
	(cd "$TMP/disk" && "$KBC" build -q -o "$TMP/disk-mnt/site")
	check "disk: the first build fits" test -f "$TMP/disk-mnt/site/small.html"
	cp -a "$TMP/disk-mnt/site" "$TMP/disk-before"
	python3 -c "
import sys
sys.stdout.write('# Filler\n\n' + ''.join('Paragraph %d of filler text to fill the disk.\n\n' % i for i in range(60000)))" > "$TMP/disk/notes/filler.md"
	CASES=$((CASES + 1))
	(cd "$TMP/disk" && timeout "$HOSTILE_TIMEOUT" "$KBC" build -o "$TMP/disk-mnt/site" >"$TMP/disk.out" 2>"$TMP/disk.err")
	got=$?
	check "disk: exit status 3 (got $got)" test "$got" -eq 3
	check "disk: the reason is given" grep -Eq "kbc: error: cannot write .*: No space left on device" "$TMP/disk.err"
	check "disk: the previous site is intact" diff -r "$TMP/disk-before" "$TMP/disk-mnt/site"
	check "disk: no staging folder is left" bash -c "! ls -a '$TMP/disk-mnt' | grep -q kbc-new"
	check "disk: no crash or sanitizer report" bash -c "! grep -Eq 'AddressSanitizer|runtime error|LeakSanitizer' '$TMP/disk.err'"
	umount "$TMP/disk-mnt"
else
	echo "NOTICE: disk: cannot mount a tmpfs here (not root, or not permitted); full-disk case skipped"
fi

# Unicode: NFC and NFD spellings of one name are one name.
vault nfc
printf 'One.\n' > "$TMP/nfc/notes/$(printf 'caf\xc3\xa9').md"
printf 'Two.\n' > "$TMP/nfc/notes/$(printf 'cafe\xcc\x81').md"
case_ nfc 1 "page name 'caf.*\.html' collides with"
rm "$TMP/nfc/notes/"caf*
printf -- '---\nslug: "caf\xc3\xa9"\n---\nOne.\n' > "$TMP/nfc/notes/one.md"
printf -- '---\nslug: "cafe\xcc\x81"\n---\nTwo.\n' > "$TMP/nfc/notes/two.md"
case_ nfc 1 "notes/two.md: error: page name 'caf.*\.html' collides with 'notes/one.md'"
printf -- '---\ntitle: "Caf\xc3\xa9 menu"\n---\nOne.\n' > "$TMP/nfc/notes/one.md"
printf -- '---\ntitle: "Cafe\xcc\x81 menu"\n---\nTwo, see [[Caf\xc3\xa9 menu]].\n' > "$TMP/nfc/notes/two.md"
case_ nfc 1 "notes/two.md:4:10: error: ambiguous link target 'Caf.* menu' matches notes/one.md \(title\), notes/two.md \(title\)"

# Absolute paths, and file:, javascript: and data:text/html in images.
vault paths
printf '[x](/etc/passwd) ![a](/etc/passwd) ![j](javascript:alert(1)) ![f](file:///etc/passwd) ![d](data:text/html,<script>alert(1)</script>) [w](\\share\\file)\n' > "$TMP/paths/notes/p.md"
case_ paths 0 "notes/p.md:1:1: warning: link URL '/etc/passwd' removed: an absolute path points outside the site"
check "paths: image with an absolute path" grep -q "notes/p.md:1:18: warning: image URL '/etc/passwd' removed: an absolute path" "$TMP/paths.err"
check "paths: javascript: image" grep -q "notes/p.md:1:36: warning: image URL 'javascript:alert(1)' removed: its scheme can run script" "$TMP/paths.err"
check "paths: file: image" grep -q "notes/p.md:1:62: warning: image URL 'file:///etc/passwd' removed" "$TMP/paths.err"
check "paths: data:text/html image" grep -q "notes/p.md:1:87: warning: image URL 'data:text/html,<script>alert(1)</script>' removed" "$TMP/paths.err"
check "paths: a path from the drive's root (backslash)" grep -q "notes/p.md:1:134: warning: link URL '.share.file' removed: an absolute path" "$TMP/paths.err"
check "paths: none reaches the page" bash -c "! grep -Eq '(href|src)=\"(/etc|file:|javascript:|data:text|\\\\\\\\)' '$TMP/paths-site/p.html'"

# Markup in tags (refused: tags are names), ledger terms and summaries
# (escaped). Titles, aliases and headings are in the escape case above.
vault markup
printf -- '---\ntitle: M\ntags: ["<script>alert(1)</script>"]\n---\n\n## Part\n\nText #ok.\n' > "$TMP/markup/notes/m.md"
printf 'groups:\n  - name: "</title><script>alert(0)</script>"\n    topics:\n      - term: "</title><script>alert(1)</script>"\n        summary: "<img src=x onerror=alert(2)> and </dd></dl><script>alert(3)</script>"\n        note: "M#Part"\n        aliases: ["<svg onload=alert(4)>"]\n' > "$TMP/markup/notes/ledger.yaml"
case_ markup 1 "notes/m.md:3:8: error: tag '<script>alert\(1\)</script>' may use letters, digits"
sed -i 's/^tags: .*/tags: [ok]/' "$TMP/markup/notes/m.md"
case_ markup 0 'kbc: 1 note, 0 errors'
check "markup: the term is shown as text on the ledger page" grep -q '&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;' "$TMP/markup-site/ledger.html"
check "markup: the summary is shown as text" grep -q '&lt;img src=x onerror=alert(2)&gt;' "$TMP/markup-site/ledger.html"

# Unknown YAML tags and repeated keys, in front matter and in the ledger;
# a mapping of 200,000 keys with a repeat at the end is found quickly.
vault yaml
printf -- '---\ntitle: Y\nx: !custom foo\n---\n' > "$TMP/yaml/notes/a.md"
printf -- '---\ntitle: Y2\npurpose: one\npurpose: two\n---\n' > "$TMP/yaml/notes/b.md"
printf 'groups: !!python/object:os.system\n  - name: G\n' > "$TMP/yaml/notes/ledger.yaml"
case_ yaml 1 "notes/a.md:3:4: error: unsupported YAML tag '!custom'"
check "yaml: repeated key in front matter" grep -q "notes/b.md:4:1: error: duplicate key 'purpose' (first at line 3)" "$TMP/yaml.err"
check "yaml: python tag in the ledger" grep -q "notes/ledger.yaml:1:9: error: unsupported YAML tag '!!python/object:os.system'" "$TMP/yaml.err"
printf 'groups:\n  - name: G\n    name: H\n    topics: []\n' > "$TMP/yaml/notes/ledger.yaml"
rm "$TMP/yaml/notes/a.md"
python3 -c "
print('---\ntitle: Keys')
for i in range(200000): print(f'k{i}: {i}')
print('k7: again\n---\nBody.')" > "$TMP/yaml/notes/b.md"
case_ yaml 1 "notes/ledger.yaml:3:5: error: duplicate key 'name' \(first at line 2\)"
check "yaml: a repeat among 200,000 keys" grep -q "notes/b.md:200003:1: error: duplicate key 'k7' (first at line 10)" "$TMP/yaml.err"

# One case per limit: set it small in kb.yaml and trip it.
vault limits
printf -- '---\ntitle: L\nmeta: {a: {b: [1]}}\nlist: &l [1, 2, 3, 4, 5, 6]\ntwice: [*l, *l]\n---\n\n- a\n  - b\n    > c\n    > - d\n\n![[E1]]\n' > "$TMP/limits/notes/l.md"
printf '# E1\n\n![[E2]]\n' > "$TMP/limits/notes/e1.md"
printf '# E2\n\n![[E3]]\n' > "$TMP/limits/notes/e2.md"
printf '# E3\n\nDeep.\n' > "$TMP/limits/notes/e3.md"
printf 'limits:\n  nesting: 3\n' > "$TMP/limits/kb.yaml"
case_ limits 1 'notes/l.md:11:7: error: lists and block quotes nested more than 3 deep \(limits: nesting in kb.yaml\)'
printf 'limits:\n  yaml_depth: 2\n' > "$TMP/limits/kb.yaml"
case_ limits 1 'notes/l.md:3:8: error: YAML nesting deeper than 2 levels \(limits: yaml_depth in kb.yaml\)'
printf 'limits:\n  yaml_alias_nodes: 10\n' > "$TMP/limits/kb.yaml"
case_ limits 1 'notes/l.md:5:13: error: YAML aliases expand to more than 10 nodes \(limits: yaml_alias_nodes in kb.yaml\)'
printf 'limits:\n  embed_depth: 2\n' > "$TMP/limits/kb.yaml"
case_ limits 1 'notes/l.md:13:1: error: embeds nested deeper than 2 \(limits: embed_depth in kb.yaml\): L → E1 → E2 → E3'
printf 'limits:\n  line_bytes: 20\n' > "$TMP/limits/kb.yaml"
case_ limits 1 'notes/l.md:4:1: error: line is 27 bytes long; the limit is 20 \(limits: line_bytes in kb.yaml\)'
printf 'limits:\n  note_bytes: 100\n' > "$TMP/limits/kb.yaml"
case_ limits 1 'notes/l.md: error: note is 119 bytes; the limit is 100 \(limits: note_bytes in kb.yaml\)'
printf 'limits:\n  notes: 3\n' > "$TMP/limits/kb.yaml"
case_ limits 1 'notes: error: 4 notes found; the limit is 3 \(limits: notes in kb.yaml\)'
printf 'limits:\n  nesting: 0\n  yaml_depth: 5000\n  notes: many\n  speed: 11\n' > "$TMP/limits/kb.yaml"
case_ limits 1 "kb.yaml:2:12: error: limit 'nesting' must be an integer from 1 to 100000"
check "limits: yaml_depth has a ceiling" grep -q "kb.yaml:3:15: error: limit 'yaml_depth' must be an integer from 1 to 1000" "$TMP/limits.err"
check "limits: a word is not a number" grep -q "kb.yaml:4:10: error: limit 'notes' must be an integer" "$TMP/limits.err"
check "limits: an unknown limit is a warning" grep -q "kb.yaml:5:3: warning: unknown limit 'speed'" "$TMP/limits.err"
printf 'limits:\n  nesting: 4\n  embed_depth: 3\n  yaml_depth: 5\n  yaml_alias_nodes: 14\n' > "$TMP/limits/kb.yaml"
case_ limits 0 'kbc: 4 notes, 0 errors'
