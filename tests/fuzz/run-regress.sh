#!/bin/sh
# run-regress.sh BUILD_DIR TARGET... - replay each fuzz target's seed corpus
# (tests/fuzz/corpus/TARGET) and past failures (tests/fuzz/regress/TARGET)
# through its replay driver, BUILD_DIR/kbc-replay-TARGET. Fails if any
# input breaks a contract (the driver aborts) or a folder is missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$1
shift
fail=0
for t in "$@"; do
	dirs="$here/corpus/$t"
	[ -d "$here/regress/$t" ] && dirs="$dirs $here/regress/$t"
	# shellcheck disable=SC2086
	if ! "$bin/kbc-replay-$t" $dirs; then
		echo "fuzz-regress: $t FAILED"
		fail=1
	fi
done
exit $fail
