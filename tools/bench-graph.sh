#!/usr/bin/env bash
# bench-graph: on a generated vault (default 10,000 notes, about 100,000
# links), compare the time kbc spends on the graph — link resolution and
# graph warnings, plus laying out and drawing the global and local graphs —
# with the time it spends parsing the Markdown. Prints both and their ratio
# (medians of RUNS builds). Fetches nothing.
#   tools/bench-graph.sh [NOTES] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
notes=${1:-10000}
runs=${2:-3}
kbc="$here/build/kbc"
vault=$(mktemp -d "${TMPDIR:-/tmp}/kbc-bench-graph.XXXXXX")
trap 'rm -rf "$vault"' EXIT
node "$here/tools/gen-vault.mjs" --notes "$notes" --links-per-note 10 "$vault"
for i in $(seq "$runs"); do
	"$kbc" build -q -v -C "$vault" -o "$vault/site" 2>&1 | awk '/^kbc: (parse|resolve|graph) /{print $2, $3}'
done > "$vault/times"
median() { grep "^$1 " "$vault/times" | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
parse=$(median parse)
resolve=$(median resolve)
layout=$(median graph)
awk -v p="$parse" -v r="$resolve" -v g="$layout" -v n="$notes" 'BEGIN {
	printf "vault: %d notes\n", n
	printf "parse (front matter + Markdown): %8.1f ms\n", p
	printf "graph resolution + warnings:     %8.1f ms\n", r
	printf "graph layout + SVG:              %8.1f ms\n", g
	printf "graph total / parse:             %8.2f (target: below 1)\n", (r + g) / p
}'
