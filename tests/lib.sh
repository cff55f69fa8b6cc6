# lib.sh - helpers shared by the shell tests. Each test script sources it,
# calls `check` for every assertion and ends with `finish`, which prints
# "N passed, N failed" and sets the exit status.
set -u
PASS=0
FAIL=0
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kbc-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local what=$1
	shift
	if "$@" >"$TMP/.out" 2>&1; then
		PASS=$((PASS + 1))
	else
		FAIL=$((FAIL + 1))
		echo "FAIL: $what"
		sed 's/^/    /' "$TMP/.out" | head -40
	fi
}

# status_is WANT COMMAND...: the command exits with WANT.
status_is() {
	local want=$1
	shift
	"$@" >/dev/null 2>&1
	local got=$?
	[ "$got" -eq "$want" ] || { echo "exit status $got, want $want"; return 1; }
}

# is GOT WANT: the two strings are equal (else says what it got).
is() { [ "$1" = "$2" ] || { echo "got '$1', want '$2'"; return 1; }; }

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
