#!/usr/bin/env bash
# The command line: help, version, usage errors, exit statuses, quiet,
# strict, drafts and GitHub annotations.
. "$(dirname "$0")/lib.sh"
KBC=$1
# The malloc the build was configured with (CMakeLists.txt: KBC_ALLOCATOR).
ALLOCATOR=${2:-}

check "--version prints the version" bash -c "'$KBC' --version | grep -Eq '^kbc [0-9]+\.[0-9]+\.[0-9]+$'"
case $ALLOCATOR in
mimalloc) allocator='mimalloc [0-9]+\.[0-9]+\.[0-9]+$' ;;
libc) allocator="the C library's malloc" ;;
*) allocator='' ;;
esac
if [ -n "$allocator" ]; then
	check "-v names the malloc the build links ($ALLOCATOR), as the loader picked it" bash -c \
		"'$KBC' check -v -C '$TESTS_DIR/sites/basic' 2>&1 | grep -Eq \"^kbc: kbc [0-9.]+, memory allocator: $allocator\""
fi
check "help lists the commands" bash -c "'$KBC' help | grep -q 'build' && '$KBC' help | grep -q 'check'"
check "help build explains the staging swap" bash -c "'$KBC' help build | grep -q 'staging'"
check "build --help is help build" bash -c "'$KBC' build --help | grep -q 'usage: kbc build' && '$KBC' -h serve | grep -q 'usage: kbc serve'"
check "no command is a usage error" status_is 2 "$KBC"
check "unknown command" status_is 2 "$KBC" frobnicate
check "unknown option" status_is 2 "$KBC" build --frobnicate
check "-j 0 refused" status_is 2 "$KBC" build -j 0
check "-o needs a value" status_is 2 "$KBC" build -o
check "bad --base-url" status_is 2 "$KBC" check -C "$TESTS_DIR/sites/basic" --base-url ftp://x
check "missing project root is a system error" status_is 3 "$KBC" check -C "$TMP/nope"

proj="$TMP/p"
mkdir -p "$proj/notes"
printf -- '---\ntitle: One\nfoo: bar\n---\nSee [[Two]].\n' > "$proj/notes/one.md"
printf -- '---\ntitle: Two\ndraft: true\n---\nDraft.\n' > "$proj/notes/two.md"
cd "$proj" || exit 1
check "draft link is an error without --drafts" status_is 1 "$KBC" check
check "--drafts includes the draft" status_is 0 "$KBC" check --drafts
check "warning alone exits 0" status_is 0 "$KBC" check --drafts
check "--strict makes warnings fatal" status_is 1 "$KBC" check --drafts --strict
check "-q hides warnings and summary" bash -c "test -z \"\$('$KBC' check --drafts -q 2>&1)\""
check "summary line" bash -c "'$KBC' check --drafts 2>&1 | grep -qx 'kbc: 2 notes, 0 errors, 1 warning'"
check "GitHub annotation" bash -c "GITHUB_ACTIONS=true '$KBC' check --drafts 2>&1 | grep -q '^::warning file=notes/one.md,line=3,col=1::unknown front matter key'"
check "empty vault builds" bash -c "mkdir -p '$TMP/empty/notes' && cd '$TMP/empty' && '$KBC' build -q && test -f site/index.html"
# kbc opens libmicrohttpd only for serve: other commands run without it,
# and serve without it stops with a system error that says what to install
# (a file of the library's name that is not a library stands in for a
# missing one; the name comes from the loader's cache, since KBC may be a
# wrapper script). `timeout`: should the library load after all, serve
# would run until stopped.
mkdir -p "$TMP/nolib"
mhd=$(PATH="$PATH:/usr/sbin:/sbin" ldconfig -p | awk '$1 ~ /^libmicrohttpd\.so\.[0-9]+$/ { print $1; exit }')
check "the loader knows libmicrohttpd" test -n "$mhd"
: > "$TMP/nolib/${mhd:-none}"
check "other commands do not load libmicrohttpd" bash -c "cd '$proj' && LD_LIBRARY_PATH='$TMP/nolib' '$KBC' check --drafts -q"
check "serve without libmicrohttpd is a system error" status_is 3 env LD_LIBRARY_PATH="$TMP/nolib" \
	timeout 60 "$KBC" serve --port 0
check "serve without libmicrohttpd says what to install" bash -c \
	"LD_LIBRARY_PATH='$TMP/nolib' timeout 60 '$KBC' serve --port 0 2>&1 | grep -q 'serve needs libmicrohttpd.*apt-get install libmicrohttpd12'"
check "no notes folder is a system error" bash -c "mkdir -p '$TMP/bare' && cd '$TMP/bare' && ! '$KBC' check 2>/dev/null; test \$? -eq 0 && '$KBC' check 2>&1 | grep -q 'cannot open notes folder'"
finish
