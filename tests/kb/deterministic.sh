#!/usr/bin/env bash
# The shipped knowledge base, built twice into two folders, gives
# byte-identical sites (pages, graph SVG, search index, previews), and so
# do builds from scratch on 1 and 8 threads.
. "$(dirname "$0")/../lib.sh"
KBC=$1
ROOT=$2
check "first build, -j 2" "$KBC" build -q -j 2 -C "$ROOT" -o "$TMP/one"
check "second build" "$KBC" build -q -C "$ROOT" -o "$TMP/two"
check "byte-identical" diff -r "$TMP/one" "$TMP/two"
check "-j 1 build without the cache" "$KBC" build -q -j 1 --no-cache -C "$ROOT" -o "$TMP/j1"
check "-j 1 equals -j 2" diff -r "$TMP/one" "$TMP/j1"
check "-j 8 build without the cache" "$KBC" build -q -j 8 --no-cache -C "$ROOT" -o "$TMP/j8"
check "-j 8 equals -j 2" diff -r "$TMP/one" "$TMP/j8"
check "the site has a search index and a graph" test -s "$TMP/one/search/meta.bin" -a -s "$TMP/one/graph.html"
finish
