#!/usr/bin/env bash
# bench-incremental.sh - full builds at -j 1 and -j 2, a no-op rebuild and a
# one-note edit rebuild of a generated vault, in one run, with wall and CPU
# time, peak RSS and each stage's time (kbc -v); prints the ratios and
# checks that the incremental site equals a full build (diff -r).
#
#   tools/bench-incremental.sh [NOTES] [WORKDIR]     (default 10000, /tmp/kbc-incr)
#
# Not a test: figures depend on the machine and its load (printed).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
notes=${1:-10000}
work=${2:-/tmp/kbc-incr}
kbc="$work/kbc"   # a frozen copy: a rebuilt kbc would not trust the cache
mkdir -p "$work"
cp "$here/build/kbc" "$kbc"
v="$work/v$notes"
rm -rf "$v" "$work"/site-*
node "$here/tools/gen-vault.mjs" --notes "$notes" "$v" >/dev/null
echo "vault: $notes notes, $(du -sb "$v/notes" | cut -f1) bytes of Markdown"

# run NAME ARGS...: one build; prints its figures and keeps wall seconds.
run() {
	local name=$1
	shift
	echo "=== $name (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
	/usr/bin/time -f "wall %e s, user %U s, sys %S s, peak RSS %M KB" -o "$work/time" \
		"$kbc" build -v -C "$v" "$@" 2>"$work/log" || { cat "$work/log"; exit 1; }
	grep -E "^kbc: ([a-z-]+ +[0-9.]+ ms|rendered|[0-9]+ of)" "$work/log" | sed 's/^/  /'
	sed 's/^/  /' "$work/time"
	awk '{print $2}' "$work/time" >"$work/wall-$name"
}
run full-j1 -j 1 --no-cache -o "$work/site-j1"
run full-j2 -j 2 --no-cache -o "$work/site-j2"
jdiff=$(diff -rq "$work/site-j1" "$work/site-j2" | wc -l)
run noop-j2 -j 2 -o "$work/site-j2"
printf '\nOne more plain sentence here.\n' >>"$v/notes/n000123.md"
run edit-j2 -j 2 -o "$work/site-j2"
"$kbc" build -q -j 2 --no-cache -C "$v" -o "$work/site-ref"
w() { cat "$work/wall-$1"; }
awk -v a="$(w full-j1)" -v b="$(w full-j2)" -v c="$(w noop-j2)" -v d="$(w edit-j2)" 'BEGIN {
	printf "full -j1 / full -j2:          %.2fx (target >= 1.6)\n", a / b
	printf "no-op rebuild / full -j2:     %.1f%%\n", 100 * c / b
	printf "one-note edit / full -j2:     %.1f%% (target < 5%%)\n", 100 * d / b
}'
echo "-j 1 and -j 2 sites differ in $jdiff files; incremental and full in" \
	"$(diff -rq "$work/site-j2" "$work/site-ref" | wc -l)"
