#!/usr/bin/env bash
# The shipped knowledge base, built twice into two folders, gives
# byte-identical sites (pages, graph SVG, search index, previews).
. "$(dirname "$0")/../lib.sh"
KBC=$1
ROOT=$2
check "first build" "$KBC" build -q -C "$ROOT" -o "$TMP/one"
check "second build" "$KBC" build -q -C "$ROOT" -o "$TMP/two"
check "byte-identical" diff -r "$TMP/one" "$TMP/two"
check "the site has a search index and a graph" test -s "$TMP/one/search/meta.bin" -a -s "$TMP/one/graph.html"
finish
