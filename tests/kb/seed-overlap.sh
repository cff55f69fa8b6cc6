#!/usr/bin/env bash
# Runs the workplace's seed-overlap tool (shared/tools, beside the
# checkout) over the project; skipped (77) where that tool is absent.
root=$(cd "$1" && pwd)
tool="$root/../shared/tools/seed-overlap"
if [ ! -x "$tool" ]; then
	echo "seed-overlap not found at $tool; skipped"
	exit 77
fi
exec "$tool" "$root"
