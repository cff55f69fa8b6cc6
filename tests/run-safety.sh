#!/usr/bin/env bash
# Output safety: refused output folders, a failed build (before and midway
# through writing) that leaves the previous site intact, cleanup of a build
# that was interrupted, and two builds of one project at once.
. "$(dirname "$0")/lib.sh"
KBC=$1

proj="$TMP/proj"
cp -r "$TESTS_DIR/sites/basic" "$proj"
rm -rf "$proj/expected"
cd "$proj" || exit 1

# Refusals: each is a usage error (2) with a message, and touches nothing.
mkdir -p "$TMP/foreign" && echo keep > "$TMP/foreign/mine.txt"
for spec in ".:is the project root" "..:contains the project root" "notes:is the notes folder" \
	"notes/site:lies inside the notes folder" "templates:overlaps the project's templates/ folder" \
	"$TMP/foreign:was not written by kbc" "/:refusing to write the site to '/'"; do
	dir=${spec%%:*}
	msg=${spec#*:}
	check "-o $dir refused (exit 2)" status_is 2 "$KBC" build -o "$dir"
	check "-o $dir message says '$msg'" bash -c "'$KBC' build -o '$dir' 2>&1 | grep -qF \"$msg\""
done
check "foreign folder untouched" test "$(cat "$TMP/foreign/mine.txt")" = keep
check "notes untouched by refusals" test ! -e notes/site
check "no kbc marker written to notes" test ! -e notes/.kbc-site
mkdir -p templates
check "project root has no stray staging folder" bash -c "! ls -a . .. | grep -q kbc-new"

# A good build, then a snapshot of it.
check "first build" "$KBC" build -q
cp -a site "$TMP/snapshot"

# A content error: nothing is written, the previous site stays.
cp notes/alpha.md "$TMP/alpha.bak"
echo "Broken [[No such note]]" >> notes/alpha.md
check "build with an error exits 1" status_is 1 "$KBC" build -q
check "previous site intact after a failed check" diff -r "$TMP/snapshot" site
cp "$TMP/alpha.bak" notes/alpha.md

# An error midway through writing: this template fails only on the page
# of the note with a date (beta-note), after earlier pages were written.
cp "$TESTS_DIR/../templates/note.html" templates/note.html
sed -i 's|<h1>{{title}}</h1>|<h1>{{title}}</h1>{{#date}}{{no_such_variable}}{{/date}}|' templates/note.html
check "build failing midway exits 1" status_is 1 "$KBC" build -q
check "previous site intact after a failure midway" diff -r "$TMP/snapshot" site
check "the unfinished build was removed" test ! -e .site.kbc-new
rm templates/note.html

# An interrupted build leaves .site.kbc-new behind: the next build clears it.
mkdir .site.kbc-new && echo x > .site.kbc-new/.kbc-site && echo half > .site.kbc-new/half.html
check "build after an interrupted one" "$KBC" build -q
check "leftover staging folder removed" test ! -e .site.kbc-new
check "site rebuilt whole" diff -r "$TMP/snapshot" site

# A staging-folder name that holds someone else's files is not deleted.
mkdir .site.kbc-new && echo mine > .site.kbc-new/precious.txt
check "foreign staging folder refused" status_is 3 "$KBC" build -q
check "foreign staging folder kept" test -f .site.kbc-new/precious.txt
rm -rf .site.kbc-new

# Two builds of one project at the same time (a second terminal, CI steps,
# kbc serve beside kbc build): the second waits for the first (a lock on
# .kbc/lock) instead of using the build cache and .kbc/kb.sqlite while the
# first replaces them. Before the lock, a run like this one could end with
# "cannot move .kbc/kb.sqlite into place" or a crash in the cache's set-up.
kbproj="$TMP/kbproj"
mkdir -p "$kbproj" && cp -r "$TESTS_DIR/../notes" "$TESTS_DIR/../kb.yaml" "$kbproj/"
for i in 1 2 3 4 5; do
	("$KBC" build -q -j 1 -C "$kbproj" -o "$TMP/one" 2>"$TMP/one.err"; echo $? >"$TMP/one.rc") &
	"$KBC" build -j 2 -C "$kbproj" -o "$TMP/two" >/dev/null 2>"$TMP/two.err"
	echo $? >"$TMP/two.rc"
	wait
	check "builds at once, round $i: both succeed" test "$(cat "$TMP/one.rc") $(cat "$TMP/two.rc")" = "0 0"
	check "builds at once, round $i: no error" bash -c "! grep -q error: '$TMP/one.err' '$TMP/two.err'"
	check "builds at once, round $i: the same site" diff -r "$TMP/one" "$TMP/two"
done

# A build cache that another program holds a write lock on (kbc's own
# builds wait for each other, above): a note and a build without it, not a
# crash (it once finalized a statement twice there), and the file is left
# to its holder.
lockproj="$TMP/lockproj"
mkdir -p "$lockproj/.kbc" && cp -r "$TESTS_DIR/sites/basic/notes" "$TESTS_DIR/sites/basic/kb.yaml" "$lockproj/"
python3 -c "
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('BEGIN IMMEDIATE')
open(sys.argv[2], 'w').close()
for _ in range(1200):   # held until the checks are done (at most 2 minutes)
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.1)
" "$lockproj/.kbc/cache.sqlite" "$TMP/locked" "$TMP/unlock" &
holder=$!
for _ in $(seq 50); do [ -e "$TMP/locked" ] && break; sleep 0.1; done
ino=$(stat -c %i "$lockproj/.kbc/cache.sqlite")
check "a cache locked by another program: the build succeeds" "$KBC" build -C "$lockproj" -o "$lockproj/site"
check "... and its site is there" test -s "$lockproj/site/index.html"
check "... the note says the cache is locked" bash -c "'$KBC' build -C '$lockproj' -o '$lockproj/site' 2>&1 | grep -q 'is locked by another program'"
check "... and the cache file is the same file" test "$(stat -c %i "$lockproj/.kbc/cache.sqlite")" = "$ino"
touch "$TMP/unlock"
wait "$holder"
finish
