#!/usr/bin/env bash
# Incremental builds equal full builds. On a copy of tests/sites/basic and
# on a generated 300-note vault, a sequence of edits (body, title, rename,
# delete, add, template, kb.yaml, ledger, a damaged, a foreign and a
# truncated cache) is each followed by an incremental build of the
# project into its own site, which must equal byte for byte (diff -r) a
# full build (--no-cache) of a clean copy of the project. Also checks that
# a no-op rebuild renders no page and parses no note, that a one-note body
# edit re-renders exactly the expected pages, that -j does not matter, and
# that a bad cache is reported with one note line.
. "$(dirname "$0")/lib.sh"
KBC=$1
STEP=0

# build P ARGS...: incremental build of project P into P/site, -v output
# kept in $TMP/log.
build() {
	local p=$1
	shift
	"$KBC" build -v -C "$p" -o "$p/site" "$@" >"$TMP/log" 2>&1
}

# same P: P/site equals a full build of a clean copy of P.
same() {
	local p=$1 ref="$TMP/ref"
	rm -rf "$ref"
	mkdir -p "$ref"
	(cd "$p" && tar --exclude=./.kbc --exclude=./site -cf - .) | (cd "$ref" && tar -xf -)
	"$KBC" build -q --no-cache -C "$ref" -o "$ref/site" || return 1
	diff -r "$p/site" "$ref/site" && same_rows "$p/.kbc/kb.sqlite" "$ref/.kbc/kb.sqlite"
}

# same_rows A B: the two knowledge-base databases hold the same schema and
# the same rows under the same rowids (an incremental build may update the
# last file in place, so their bytes can differ).
same_rows() {
	python3 - "$1" "$2" <<'EOF'
import sqlite3, sys
def rows(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = [("user_version", db.execute("PRAGMA user_version").fetchone())]
    out += db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
        out.append((t, db.execute(f'SELECT rowid, * FROM "{t}" ORDER BY rowid').fetchall()))
    return out
a, b = rows(sys.argv[1]), rows(sys.argv[2])
if a != b:
    for x, y in zip(a, b):
        if x != y:
            print("kb.sqlite differs:", str(x)[:300], "|", str(y)[:300])
            break
    else:
        print("kb.sqlite differs in length")
    sys.exit(1)
EOF
}

# kbdb: how the last step wrote the knowledge base: "in place N" or "whole".
kbdb() {
	sed -n 's/^kbc: knowledge base updated in place: \([0-9]*\) of .*/in place \1/p; s/^kbc: knowledge base written whole$/whole/p' "$TMP/log.$STEP"
}

# step NAME P [build args]: build incrementally after an edit and compare.
step() {
	local name=$1 p=$2
	shift 2
	STEP=$((STEP + 1))
	check "$(basename "$p") step $STEP ($name): incremental build succeeds" build "$p" "$@"
	cp "$TMP/log" "$TMP/log.$STEP"
	check "$(basename "$p") step $STEP ($name): equals a full build" same "$p"
}

# rendered: the N of "rendered N of M pages" in the last step's log.
rendered() { sed -n 's/^kbc: rendered \([0-9]*\) of [0-9]* pages.*/\1/p' "$TMP/log.$STEP"; }
total() { sed -n 's/^kbc: rendered [0-9]* of \([0-9]*\) pages.*/\1/p' "$TMP/log.$STEP"; }
restored() { sed -n 's/^kbc: \([0-9]*\) of [0-9]* notes unchanged.*/\1/p' "$TMP/log.$STEP"; }
tokenized() { sed -n 's/^kbc: search index: .*; \([0-9]*\) of [0-9]* notes tokenized,.*/\1/p' "$TMP/log.$STEP"; }
# merged: the runs of notes whose postings the search index merged afresh
# (not taken from the cache), and all runs: "N of M".
merged() { sed -n 's/^kbc: search index: .* \([0-9]* of [0-9]*\) runs of notes merged afresh$/\1/p' "$TMP/log.$STEP"; }

# flip_entries CACHE: flip bytes inside every note entry (the entries'
# checksums must catch it).
flip_entries() {
	python3 - "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for key, data in db.execute("SELECT key, data FROM notes").fetchall():
    b = bytearray(data)
    for i in range(40, len(b), 97):
        b[i] ^= 0x20
    db.execute("UPDATE notes SET data = ? WHERE key = ?", (bytes(b), key))
db.commit()
EOF
}

# flip_bodies CACHE: flip a byte in the body's HTML of every note entry
# (the part read only when a page needs it: after the header of 28 bytes
# and the packed note, whose length is bytes 20-27), leaving the rest
# intact, so the notes are restored and their bodies must be parsed again.
flip_bodies() {
	python3 - "$1" <<'EOF'
import sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
for key, data in db.execute("SELECT key, data FROM notes WHERE substr(data, 1, 4) = CAST('KBCN' AS BLOB)").fetchall():
    b = bytearray(data)
    at = 28 + struct.unpack_from("<Q", b, 20)[0]
    if at < len(b):
        b[at + (len(b) - at) // 2] ^= 0x20
        db.execute("UPDATE notes SET data = ? WHERE key = ?", (bytes(b), key))
db.commit()
EOF
}

# unread: the N of "N of M note files unchanged on disk" (not read).
unread() { sed -n 's/^kbc: \([0-9]*\) of [0-9]* note files unchanged on disk.*/\1/p' "$TMP/log.$STEP"; }

# The cache must not be half-trusted: every way of damaging it.
cache_damage() {
	local p=$1 c="$1/.kbc/cache.sqlite"
	head -c 4096 /dev/urandom >"$c"
	step "cache overwritten with random bytes" "$p"
	check "damaged cache: one note line" grep -c "^kbc: note: build cache .* damaged or unreadable; building everything$" "$TMP/log.$STEP"
	check "damaged cache: no error" is "$(grep -c ": error:" "$TMP/log.$STEP")" 0
	# a cache of another format: a valid sqlite file that is not ours
	rm -f "$c"
	"$KBC" query -C "$p" "SELECT 1" >/dev/null 2>&1
	cp "$p/.kbc/kb.sqlite" "$c"
	step "foreign database as cache" "$p"
	check "foreign cache: one note line" grep -c "^kbc: note: build cache .* was made by another kbc or format; building everything$" "$TMP/log.$STEP"
	# a truncated cache: the first 3 pages of the file
	build "$p" && head -c 12288 "$c" >"$c.cut" && mv "$c.cut" "$c"
	step "truncated cache" "$p"
	check "truncated cache: rebuilt cleanly" is "$(grep -c ": error:" "$TMP/log.$STEP")" 0
	# flipped bytes inside a note entry: the entry's checksum catches it
	build "$p"
	flip_entries "$c"
	step "note entries with flipped bytes" "$p"
	check "flipped bytes: no note restored" is "$(restored)" 0
	# flipped bytes in the bodies only, and a template edit so that every
	# page shows its note's body: the notes are restored, and their bodies
	# parsed again when the cache cannot give them
	build "$p"
	flip_bodies "$c"
	echo "<!-- bodies -->" >>"$p/templates/footer.html"
	step "note bodies with flipped bytes" "$p"
	check "flipped bodies: every note restored" is "$(restored)" "$(sed -n 's/^kbc: [0-9]* of \([0-9]*\) notes unchanged.*/\1/p' "$TMP/log.$STEP")"
	check "flipped bodies: every page rendered" is "$(rendered)" "$(total)"
}

# ---- tests/sites/basic ----
B="$TMP/basic"
mkdir -p "$B"
(cd "$TESTS_DIR/sites/basic" && tar --exclude=./.kbc --exclude=./expected --exclude=./site -cf - .) | (cd "$B" && tar -xf -)
step "first build, empty cache" "$B"
step "no change" "$B"
check "basic: no-op rebuild renders no page" is "$(rendered)" 0
check "basic: no-op rebuild parses no note" is "$(restored)" 6
printf '\nAnother paragraph of prose about phases.\n' >>"$B/notes/gamma.md"
step "edit a body" "$B"
check "basic: a body edit updates the knowledge base in place, one note's rows" is "$(kbdb)" "in place 1"
# a knowledge base changed by hand (a write through SQLite, the file's size
# kept) is not the one the cache describes: it is written whole again
python3 -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute("UPDATE notes SET title = upper(title)"); db.commit()' "$B/.kbc/kb.sqlite"
printf '\nYet another paragraph.\n' >>"$B/notes/gamma.md"
step "kb.sqlite changed by hand, then a body edit" "$B"
check "basic: a knowledge base changed by hand is written whole" is "$(kbdb)" "whole"
sed -i 's/^title: Alpha$/title: Alpha Renamed/; s/^aliases: \[First Note\]$/aliases: [First Note, Alpha]/' "$B/notes/alpha.md"
step "edit a title" "$B"
mv "$B/notes/guides/setup.md" "$B/notes/guides/install.md"
sed -i 's|guides/Setup|guides/install|g; s|guides/setup|guides/install|g' "$B"/notes/*.md
step "rename a note" "$B"
printf -- '---\ntitle: Epsilon\ntags: [new]\n---\n\nEpsilon links to [[Delta]] and [[Gamma#Details]].\n' >"$B/notes/epsilon.md"
step "add a note" "$B"
check "basic: a new note writes the knowledge base whole" is "$(kbdb)" "whole"
rm "$B/notes/epsilon.md"
step "delete a note" "$B"
mkdir -p "$B/templates"
sed 's/Built with/Made with/' "$TESTS_DIR/../templates/footer.html" >"$B/templates/footer.html"
step "change a template" "$B"
check "basic: a changed footer re-renders every page" is "$(rendered)" "$(total)"
sed -i 's/^title: Basic test vault$/title: Basic vault, renamed/' "$B/kb.yaml"
step "change kb.yaml" "$B"
sed -i 's/The fixed order in which the loop visits its queues./The order of the queues./' "$B/notes/ledger.yaml"
step "change the ledger" "$B"
# A lower limit in kb.yaml turns a cached, once clean note into an error:
# the incremental build must report exactly what a full build reports.
printf '\n- outer\n  - inner\n' >>"$B/notes/alpha.md"
step "a nested list added" "$B"
cp "$B/kb.yaml" "$TMP/kb.yaml.saved"
printf 'limits:\n  nesting: 1\n' >>"$B/kb.yaml"
"$KBC" build -C "$B" -o "$B/site" 2>"$TMP/limit.inc"
inc_status=$?
"$KBC" build --no-cache -C "$B" -o "$B/site" 2>"$TMP/limit.full"
check "basic: a lowered nesting limit fails the incremental build" is "$inc_status" 1
check "basic: ... with the full build's diagnostics" diff "$TMP/limit.full" "$TMP/limit.inc"
cp "$TMP/kb.yaml.saved" "$B/kb.yaml"
step "limit restored" "$B"
step "-j 1" "$B" -j 1
check "basic: -j 1 after -j 2 renders no page" is "$(rendered)" 0
# File signatures (src/cache.h): a note file last changed two seconds or
# more before a build is recorded, and not read again while its size,
# times, inode and device stay the same.
sleep 2.1
build "$B"
step "no change, note files left unread" "$B"
check "basic: a no-op rebuild reads no note file" is "$(unread)" "$(restored)"
check "basic: ... of several" [ "$(unread)" -gt 1 ]
all=$(unread)
# other bytes of the same size, the mtime put back: the change time tells
f="$B/notes/gamma.md"
m=$(stat -c %y "$f")
sed -i '0,/about phases/s/about phases/about PHASES/' "$f"
touch -d "$m" "$f"
check "basic: the edit kept size and mtime" is "$(stat -c %y "$f")" "$m"
step "same size and mtime, other bytes" "$B"
check "basic: ... that note file is read" is "$(unread)" $((all - 1))
check "basic: ... and parsed" is "$(restored)" $((all - 1))
check "basic: ... its new text is on its page" grep -q "about PHASES" "$B/site/gamma.html"
# a note left unread whose cache entry turns out bad is read after all
sleep 2.1
build "$B"
flip_entries "$B/.kbc/cache.sqlite"
step "unread notes, their entries damaged" "$B"
check "basic: scan left every note file unread" is "$(unread)" "$all"
check "basic: ... none could be restored, all were read and parsed" is "$(restored)" 0
cache_damage "$B"
step "--no-cache" "$B" --no-cache
check "basic: --no-cache renders every page" is "$(rendered)" "$(total)"

# ---- a generated vault of 300 notes ----
G="$TMP/g300"
if command -v node >/dev/null; then
	node "$TESTS_DIR/../tools/gen-vault.mjs" --notes 300 --seed 7 "$G" >/dev/null
	step "first build, empty cache" "$G"
	step "no change" "$G"
	check "g300: no-op rebuild renders no page" is "$(rendered)" 0
	check "g300: no-op rebuild tokenizes no note for the search index" is "$(tokenized)" 0
	check "g300: no-op rebuild merges no run of notes afresh" is "$(merged | cut -d' ' -f1)" 0
	# A body edit that touches no link, no heading and no word count that
	# other pages show: only the note's own page and the home page (its
	# word figures) are rendered again.
	note=$(cd "$G/notes" && ls n0002*.md | head -1)
	printf '\nOne more plain sentence here.\n' >>"$G/notes/$note"
	step "edit a body" "$G"
	check "g300: a body edit renders exactly 2 pages (the note and home)" is "$(rendered)" 2
	check "g300: a body edit parses exactly 1 note" is "$(restored)" 299
	check "g300: a body edit tokenizes exactly 1 note for the search index" is "$(tokenized)" 1
	check "g300: a body edit merges exactly 1 run of notes afresh" is "$(merged | cut -d' ' -f1)" 1
	check "g300: 300 notes make several runs" test "$(merged | cut -d' ' -f3)" -gt 1
	check "g300: a body edit updates one note's rows of the knowledge base in place" is "$(kbdb)" "in place 1"
	# Each input of a page key (src/render.c "page keys") changed on its
	# own; every step is compared with a full build.
	title_of() { sed -n 's/^title: "\(.*\)"$/\1/p' "$G/notes/$1"; }
	# a backlink's context: the sentence around a link, in the linking note
	sed -i '0,/\[\[/s/^\(.*\)\(\[\[\)/\1 with a changed context \2/' "$G/notes/n000030.md"
	step "a backlink's context changes" "$G"
	check "g300: a context edit renders more than the note and home" [ "$(rendered)" -gt 2 ]
	# a neighbour's purpose: sidebars, previous/next, backlinks, tag pages
	sed -i 's/^purpose: ".*"$/purpose: "A purpose rewritten for the test."/' "$G/notes/n000040.md"
	step "a purpose changes" "$G"
	# a note's first tag: tag pages, and the colours of graph views
	sed -i 's/^tags: \[[^],]*/tags: [brand-new-tag/' "$G/notes/n000050.md"
	step "a first tag changes" "$G"
	# a new link: degrees, local graphs two links away, backlinks
	printf '\nSee also [[%s]].\n' "$(title_of n000070.md)" >>"$G/notes/n000060.md"
	step "a link is added" "$G"
	# a heading that others link to is renamed, with the links to it
	python3 - "$G/notes" <<'PYEOF'
import os, re, sys
d = sys.argv[1]
# the first note with a [[Title#Heading]] link: rename that heading in its target
titles = {}
for f in sorted(os.listdir(d)):
    if f.endswith('.md'):
        m = re.search(r'^title: "(.*)"$', open(os.path.join(d, f)).read(), re.M)
        if m:
            titles[m.group(1)] = f
for f in sorted(os.listdir(d)):
    if not f.endswith('.md'):
        continue
    m = re.search(r'\[\[([^]|#]+)#([^]|]+)\]\]', open(os.path.join(d, f)).read())
    if m and m.group(1) in titles:
        t = os.path.join(d, titles[m.group(1)])
        src = open(t).read()
        src2 = re.sub(r'^(#+ )' + re.escape(m.group(2)) + '$', r'\g<1>' + m.group(2) + ' Renamed', src, count=1, flags=re.M)
        if src2 != src:
            open(t, 'w').write(src2)
            # and every reference to it, in notes and ledger
            old, new = '#' + m.group(2), '#' + m.group(2) + ' Renamed'
            for g in os.listdir(d):
                if g.endswith('.md') or g == 'ledger.yaml':
                    q = os.path.join(d, g)
                    text = open(q).read()
                    text2 = text.replace(old + ']]', new + ']]').replace(old + '|', new + '|').replace(old + '"', new + '"')
                    if text2 != text:
                        open(q, 'w').write(text2)
            sys.exit(0)
sys.exit(1)
PYEOF
	check "g300: found a linked heading to rename" test $? = 0
	step "a linked heading is renamed" "$G"
	# the reading order: a note moves, sidebars around both places shift
	sed -i 's/^order: 100$/order: 5/' "$G/notes/n000100.md"
	step "the reading order changes" "$G"
	# embeds: a page shows another note's body, so editing that note
	# changes the embedding page
	printf '\n![[%s]]\n' "$(title_of n000080.md)" >>"$G/notes/n000090.md"
	step "an embed is added" "$G"
	printf '\nA sentence only the embedded note has.\n' >>"$G/notes/n000080.md"
	step "an embedded note is edited" "$G"
	check "g300: the embedding page shows the edit" grep -q "only the embedded note has" "$G/site/n000090.html"
	# a ledger topic moves to another note: both notes' pages list topics
	python3 - "$G/notes/ledger.yaml" "$(title_of n000120.md)" <<'PYEOF'
import re, sys
p, title = sys.argv[1], sys.argv[2]
s = open(p).read()
s = re.sub(r'^(\s+note: ).*$', lambda m: m.group(1) + '"' + title + '"', s, count=1, flags=re.M)
open(p, 'w').write(s)
PYEOF
	step "a topic moves to another note" "$G"
	# a linked note retitled, and the links to it with it: the sidebars,
	# graphs and backlinks that showed its title change
	t200=$(title_of n000200.md)
	python3 - "$G/notes" "$t200" <<'PYEOF'
import os, sys
d, old = sys.argv[1], sys.argv[2]
new = old + ' retitled'
for g in os.listdir(d):
    if g.endswith('.md') or g == 'ledger.yaml':
        q = os.path.join(d, g)
        s = open(q).read()
        s2 = s.replace('title: "' + old + '"', 'title: "' + new + '"')
        for c in (']]', '#', '|', '"'):
            s2 = s2.replace('[[' + old + c, '[[' + new + c).replace('note: "' + old + c, 'note: "' + new + c)
        if s2 != s:
            open(q, 'w').write(s2)
PYEOF
	step "a linked note is retitled" "$G"
	# A title edit (old title kept as an alias so links still resolve).
	t=$(sed -n 's/^title: "\(.*\)"$/\1/p' "$G/notes/n000010.md")
	sed -i "s/^title: \"$t\"\$/title: \"$t (revised)\"/; s/^aliases: \\[/aliases: [\"$t\", /" "$G/notes/n000010.md"
	step "edit a title" "$G"
	mv "$G/notes/n000020.md" "$G/notes/renamed-twenty.md"
	step "rename a note" "$G"
	# delete a note nothing links to, embeds or names in the ledger
	victim=$("$KBC" query --tsv -C "$G" "SELECT path FROM notes WHERE is_home = 0 AND id NOT IN
		(SELECT target FROM links WHERE target IS NOT NULL) AND id NOT IN
		(SELECT note FROM topics WHERE note IS NOT NULL) ORDER BY path LIMIT 1" | tail -1)
	if [ -n "$victim" ] && [ -f "$G/notes/$victim" ]; then
		rm "$G/notes/$victim"
		step "delete a note" "$G"
	else
		check "g300: found a note to delete" false
	fi
	t5=$(sed -n 's/^title: "\(.*\)"$/\1/p' "$G/notes/n000005.md")
	printf -- '---\ntitle: "A new note"\ntags: [topic-1]\n---\n\nIt links to [[%s]].\n' "$t5" >"$G/notes/new-note.md"
	step "add a note" "$G"
	mkdir -p "$G/templates"
	sed 's/<footer/<footer data-x="1"/' "$TESTS_DIR/../templates/footer.html" >"$G/templates/footer.html"
	step "change a template" "$G"
	printf 'description: A changed description.\n' >>"$G/kb.yaml"
	step "change kb.yaml" "$G"
	sed -i '0,/summary: "/s/summary: "/summary: "Changed. /' "$G/notes/ledger.yaml"
	step "change the ledger" "$G"
	step "-j 1" "$G" -j 1
	check "g300: -j 1 after -j 2 renders no page" is "$(rendered)" 0
	cache_damage "$G"
else
	echo "node not found: the generated-vault half is skipped"
	FAIL=$((FAIL + 1))
fi
finish
