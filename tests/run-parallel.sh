#!/usr/bin/env bash
# Parallel parsing gives the same site as one thread. cmark-gfm 0.29's
# cmark_parser_finish() switches a process-wide table of special characters
# (strikethrough's "~", autolink's ":" and "w") on and off around its
# inline pass, so unserialised parsers on several threads lose
# strikethroughs and autolinks at random (with no precautions, this vault
# failed 4 of its 6 comparisons, and a 400-note variant had 23 to 207
# differing pages per -j 2 build). markdown.c switches autolink's
# characters on for good and lets only notes with a "~" (which get the
# strikethrough extension) finish one at a time; so half the notes here
# have strikethroughs and half have none, and both halves have autolinks.
# Every build must equal the -j 1 build: it fails when the lock is taken
# away from the "~" notes, or when autolink's characters are left to be
# switched.
. "$(dirname "$0")/lib.sh"
KBC=$1
P="$TMP/race"
mkdir -p "$P/notes"
for i in $(seq -w 0 299); do
	{
		printf -- '---\ntitle: R%s\n---\n\n' "$i"
		if [ $((10#$i % 2)) = 0 ]; then
			for k in $(seq 1 40); do
				printf 'Para %s with ~~struck %s~~ text, www.example%s.com and http://x%s.org, and ~~more~~ *em* ~~x~~.\n\n' "$k" "$k" "$k" "$k"
			done
			printf '| a | b |\n|---|---|\n| ~~c~~ www.t.com | d |\n'
		else
			for k in $(seq 1 40); do
				printf 'Para %s with *plain %s* text, www.example%s.com and http://x%s.org, and **more** `w:x`.\n\n' "$k" "$k" "$k" "$k"
			done
			printf '| a | b |\n|---|---|\n| _c_ www.t.com | d |\n'
		fi
	} >"$P/notes/r$i.md"
done
check "-j 1 build" "$KBC" build -q -j 1 --no-cache -C "$P" -o "$P/one"
check "the -j 1 build has its strikethroughs" grep -q "<del>struck 40</del>" "$P/one/r298.html"
check "the -j 1 build has its autolinks without strikethroughs" \
	grep -q '<a href="http://www.example40.com">www.example40.com</a>' "$P/one/r299.html"
for k in 1 2 3; do
	check "-j 2 build $k" "$KBC" build -q -j 2 --no-cache -C "$P" -o "$P/two-$k"
	check "-j 2 build $k equals -j 1" diff -r "$P/one" "$P/two-$k"
done
check "-j 8 build" "$KBC" build -q -j 8 --no-cache -C "$P" -o "$P/eight"
check "-j 8 equals -j 1" diff -r "$P/one" "$P/eight"
finish
