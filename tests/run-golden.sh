#!/usr/bin/env bash
# Golden sites: each tests/sites/CASE is a project whose built site must
# equal CASE/expected byte for byte (assets excepted: they are copied
# verbatim and checked for presence). Two builds must be identical, assets
# included. Re-bless after an intended change with tools/bless.
. "$(dirname "$0")/lib.sh"
KBC=$1

for dir in "$TESTS_DIR"/sites/*/; do
	name=$(basename "$dir")
	out="$TMP/$name"
	check "$name: builds" bash -c "cd '$dir' && '$KBC' build -q -o '$out/one'"
	check "$name: matches expected/" diff -r --exclude=assets "$dir/expected" "$out/one"
	check "$name: assets copied" test -s "$out/one/assets/kbc.css"
	check "$name: second build" bash -c "cd '$dir' && '$KBC' build -q -o '$out/two'"
	check "$name: two builds are byte-identical" diff -r "$out/one" "$out/two"
	if [ -f "$dir/queries.sql" ]; then
		: > "$out/queries.txt"
		while IFS= read -r q; do
			echo "> $q" >> "$out/queries.txt"
			(cd "$dir" && "$KBC" query --tsv "$q") >> "$out/queries.txt" 2>&1
		done < "$dir/queries.sql"
		check "$name: knowledge base contents (kbc query) match expected-queries.txt" diff -u "$dir/expected-queries.txt" "$out/queries.txt"
	fi
	check "$name: -j 1 equals the default" bash -c "cd '$dir' && '$KBC' build -q -j 1 -o '$out/three' && diff -r '$out/one' '$out/three'"
done

# graph.html's list is made into the page in place of a mark (render.c,
# render_graph_page): a project's graph.html that shows it escaped, twice
# or not at all gets what it asks for, and never the mark.
for how in escaped twice none; do
	p="$TMP/graph-$how"
	mkdir -p "$p/templates"
	cp -r "$TESTS_DIR/sites/basic/notes" "$TESTS_DIR/sites/basic/kb.yaml" "$p/"
	case $how in
	escaped) sed 's/{{{list}}}/{{list}}/' ;;
	twice) sed 's/{{{list}}}/{{{list}}}<hr>{{{list}}}/' ;;
	none) sed 's/{{{list}}}//' ;;
	esac <"$TESTS_DIR/../templates/graph.html" >"$p/templates/graph.html"
	check "graph.html showing the list $how: builds" "$KBC" build -q -C "$p" -o "$p/site"
	raw=$(grep -o '<ul class="graph-list">' "$p/site/graph.html" | wc -l)
	esc=$(grep -o '&lt;ul class=&quot;graph-list&quot;&gt;' "$p/site/graph.html" | wc -l)
	case $how in
	escaped) want="0 1" ;;
	twice) want="2 0" ;;
	none) want="0 0" ;;
	esac
	check "graph.html showing the list $how: raw and escaped lists" is "$raw $esc" "$want"
	check "graph.html showing the list $how: no mark left" bash -c "! grep -q \$'\\x01' '$p/site/graph.html'"
done
finish
