#!/usr/bin/env bash
# Browser tests from file://: every test vault and the shipped knowledge
# base, built and opened in chromium; every internal link and anchor must
# land on its target; link previews appear on hover and focus; the graph's
# labels do not overlap; axe-core and the Nu HTML Checker find nothing.
. "$(dirname "$0")/lib.sh"
KBC=$1
ROOT=$(cd "$TESTS_DIR/.." && pwd)
if [ ! -d "$TESTS_DIR/browser/node_modules/playwright-core" ]; then
	echo "playwright-core is not installed: run tools/test (it runs npm ci in tests/browser)"
	exit 1
fi
for dir in "$TESTS_DIR"/sites/*/; do
	name=$(basename "$dir")
	[ "$name" = base-url ] && continue   # its 404.html links to the published host
	check "$name vault builds" "$KBC" build -q -C "$dir" -o "$TMP/$name"
	check "$name vault: links land from file://" node "$TESTS_DIR/browser/links.mjs" "$TMP/$name"
done
check "link previews on hover, focus and Escape" node "$TESTS_DIR/browser/previews.mjs" "$TMP/basic" alpha.html
# 300 generated notes: the previews are in several shards.
node "$TESTS_DIR/../tools/gen-vault.mjs" --notes 300 --seed 11 "$TMP/gen300" >/dev/null
check "300-note vault builds" "$KBC" build -q -C "$TMP/gen300" -o "$TMP/gen300-site"
check "300-note vault: previews of 12 links from several shards" node "$TESTS_DIR/browser/previews.mjs" "$TMP/gen300-site" "$(cd "$TMP/gen300-site" && ls n*.html | sed -n 5p)" --links 12
check "knowledge base builds" "$KBC" build -q -C "$ROOT" -o "$TMP/kb"
check "knowledge base: links land from file://" node "$TESTS_DIR/browser/links.mjs" "$TMP/kb"
check "knowledge base: graph labels do not overlap, hover highlights" node "$TESTS_DIR/browser/graph.mjs" "$TMP/kb"
check "knowledge base: links land over HTTP" node "$TESTS_DIR/browser/links.mjs" "$TMP/kb" --http
check "knowledge base: axe-core over HTTP" node "$TESTS_DIR/browser/a11y.mjs" "$TMP/kb" --http
check "knowledge base: theme persists, 390 px, TOC, menu (file://)" node "$TESTS_DIR/browser/layout.mjs" "$TMP/kb"
check "knowledge base: theme persists, 390 px, TOC, menu (HTTP)" node "$TESTS_DIR/browser/layout.mjs" "$TMP/kb" --http
shots="$TESTS_DIR/out/screenshots"
check "screenshots for review" node "$TESTS_DIR/browser/screenshots.mjs" "$TMP/kb" "$shots" index.html 03-v8-internals.html ledger.html graph.html "search.html?q=event+loop"
echo "screenshots: $shots"
for site in kb basic embeds diagrams; do
	check "$site: axe-core finds no WCAG A/AA violation, light and dark" node "$TESTS_DIR/browser/a11y.mjs" "$TMP/$site"
	check "$site: the Nu HTML Checker finds no error" node "$TESTS_DIR/browser/validate.mjs" "$TMP/$site"
done
cat "$TMP/.out" | tail -2
finish
