#!/usr/bin/env bash
# Golden diagnostics: each tests/diag/CASE is a project with planted
# faults; `kbc check` run inside it must print exactly CASE/expected.stderr
# and exit with CASE/expected.status. `kbc build` must exit the same way,
# and write nothing when that status is an error.
. "$(dirname "$0")/lib.sh"
KBC=$1

for dir in "$TESTS_DIR"/diag/*/; do
	name=$(basename "$dir")
	want_status=$(cat "$dir/expected.status")
	(cd "$dir" && "$KBC" check 2>"$TMP/$name.stderr" >/dev/null)
	got_status=$?
	check "$name: exit status $want_status" test "$got_status" -eq "$want_status"
	check "$name: diagnostics match expected.stderr" diff -u "$dir/expected.stderr" "$TMP/$name.stderr"
	(cd "$dir" && "$KBC" build -o "$TMP/$name-site" 2>/dev/null >/dev/null)
	got_status=$?
	check "$name: build exits $want_status too" test "$got_status" -eq "$want_status"
	if [ "$want_status" -ne 0 ]; then
		check "$name: build wrote nothing" test ! -e "$TMP/$name-site"
	else
		check "$name: build wrote the site" test -f "$TMP/$name-site/index.html"
	fi
	check "$name: no staging folder left" test ! -e "$TMP/.$name-site.kbc-new"
	# Each fault is reported once: no line repeats.
	check "$name: no duplicate diagnostics" bash -c "! sort '$TMP/$name.stderr' | uniq -d | grep -q ."
done
finish
