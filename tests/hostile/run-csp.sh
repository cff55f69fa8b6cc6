#!/usr/bin/env bash
# The Content-Security-Policy in chromium, from file:// and over HTTP: every
# page of the shipped knowledge base and of the basic test site carries it,
# using the site (pages, search, previews, graph) trips no violation, and an
# injected inline script, event handler and javascript: URL are blocked.
. "$(dirname "$0")/../lib.sh"
KBC=$1
ROOT=$(cd "$TESTS_DIR/.." && pwd)
if [ ! -d "$TESTS_DIR/browser/node_modules/playwright-core" ]; then
	echo "playwright-core is not installed: run tools/test (it runs npm ci in tests/browser)"
	exit 1
fi
check "knowledge base builds" "$KBC" build -q -C "$ROOT" -o "$TMP/kb"
check "basic site builds" "$KBC" build -q -C "$TESTS_DIR/sites/basic" -o "$TMP/basic"
for site in kb basic; do
	q=loop
	[ "$site" = basic ] && q=alpha
	for scheme in file http; do
		flag=
		[ "$scheme" = http ] && flag=--http
		check "$site over $scheme: CSP on every page, no violation, injected script blocked" \
			node "$TESTS_DIR/browser/csp.mjs" "$TMP/$site" $flag --query "$q"
		tail -2 "$TMP/.out" | head -1
	done
done
finish
