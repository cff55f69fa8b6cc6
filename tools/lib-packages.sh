# lib-packages.sh - the Debian packages kbc needs, and a function that
# installs the missing ones (as root) or prints the command to do so.

# Building kbc.
BUILD_PACKAGES=(build-essential cmake pkg-config libcmark-gfm-dev
	libcmark-gfm-extensions-dev libyaml-dev libsqlite3-dev libstemmer-dev
	libutf8proc-dev libgraphviz-dev libxxhash-dev)
# kbc serve: the HTTP server library.
BUILD_PACKAGES+=(libmicrohttpd-dev)
# The search index's CRC-32 (zlib computes it several bytes at a time).
BUILD_PACKAGES+=(zlib1g-dev)
# kbc's malloc (CMakeLists.txt: KBC_MIMALLOC).
BUILD_PACKAGES+=(libmimalloc-dev)
# Running every test: a browser, node for runnable examples and browser
# tests, python3 with YAML for the ledger check.
TEST_PACKAGES=(chromium nodejs npm python3 python3-yaml wamerican default-jre-headless)
# kbc serve's load test.
TEST_PACKAGES+=(wrk)
# Fuzzing and memory checks (tools/fuzz, tools/valgrind): clang with its
# libFuzzer and sanitizer runtimes, and valgrind.
TEST_PACKAGES+=(clang libclang-rt-14-dev valgrind)
# The build benchmark (tools/bench/build-bench): the peers it times kbc
# against, GNU time for CPU time and peak memory, perf for profiles.
BENCH_PACKAGES=(hugo mkdocs time cmark-gfm linux-perf)

# need_packages PKG...: install what is missing, or explain and exit 1.
need_packages() {
	local missing=() p
	for p in "$@"; do
		# nodejs/npm may come from elsewhere (nvm, NodeSource): a working
		# command is enough.
		case $p in
		nodejs) command -v node >/dev/null && continue ;;
		npm) command -v npm >/dev/null && continue ;;
		esac
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -eq 0 ]; then
		echo "Installing: ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	else
		echo "Missing Debian packages. Install them with:"
		echo "  sudo apt-get install -y ${missing[*]}"
		exit 1
	fi
}
