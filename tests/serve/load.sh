#!/usr/bin/env bash
# load.sh - serve-load: wrk holds 200 connections to kbc serve for 10 s on
# loopback while a note is edited mid-run (the server rebuilds and swaps the
# site under the load). Asserts no socket error and no response other than
# 2xx, that the rebuild happened and is served; prints requests/s and the
# p99 latency (figures, not assertions).
#   tests/serve/load.sh KBC PROJECT
. "$(dirname "$0")/../lib.sh"
KBC=$1
PROJECT=$2
command -v wrk >/dev/null || { echo "wrk is not installed (tools/test installs it)"; exit 1; }
mkdir -p "$TMP/proj"
cp -r "$PROJECT/notes" "$TMP/proj/"
[ -f "$PROJECT/kb.yaml" ] && cp "$PROJECT/kb.yaml" "$TMP/proj/"
"$KBC" serve -C "$TMP/proj" -o "$TMP/site" --port 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 600); do
	grep -q 'http://' "$TMP/serve.out" && break
	sleep 0.1
done
URL=$(grep -o 'http://[^ ]*' "$TMP/serve.out")
check "kbc serve started" test -n "$URL"
# The page under load is the page of the note that gets edited.
note=
for n in "$TMP/proj/notes"/*.md; do
	page=$(basename "$n" .md).html
	[ -f "$TMP/site/$page" ] && [ "$page" != index.html ] && { note=$n; break; }
done
check "a note with its own page" test -n "$note"
builds_before=$(grep -c 'rebuilt in' "$TMP/serve.err")

wrk -t2 -c200 -d10s --timeout 5s --latency -s "$TESTS_DIR/serve/load.lua" "$URL$page" >"$TMP/wrk.out" 2>&1 &
WRK=$!
sleep 4
echo "Load test marker $$" >>"$note"
wait $WRK
sed -n '/^non2xx/,$p' "$TMP/wrk.out"
check "wrk ran" grep -q '^requests ' "$TMP/wrk.out"
check "no socket errors" grep -q '^socket_errors 0 ' "$TMP/wrk.out"
check "no response other than 2xx" grep -qx 'non2xx 0' "$TMP/wrk.out"
builds_after=$(grep -c 'rebuilt in' "$TMP/serve.err")
check "the edit rebuilt the site during the run" test "$builds_after" -gt "$builds_before"
check "the rebuilt page is served" sh -c "curl -s '$URL$page' | grep -q 'Load test marker $$'"
kill -TERM $SERVER
wait $SERVER
check "kbc serve stops cleanly after the load" test $? -eq 0
trap 'rm -rf "$TMP"' EXIT
finish
