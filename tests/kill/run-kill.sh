#!/usr/bin/env bash
# A crash never loses work (issue 9, item 7). On a generated vault of 500
# notes: build once and take a snapshot of the site (every path, its type
# and the checksum of every file). Then, many times, start a build and
# SIGKILL it after a random delay spread over the build's duration; after
# each kill the site must equal the snapshot exactly (whatever the kill left
# behind, staging folder or half-written cache, must not matter to the next
# build). Then kill builds of a changed vault: the site is the old one or
# the complete new one, never a mix. Finally a normal build succeeds and
# equals a full build of the same notes from scratch.
#
#   tests/kill/run-kill.sh KBC [RUNS]
# Delays come from a seeded generator; the seed is printed, and
# KBC_KILL_SEED=N reproduces a run.
. "$(dirname "$0")/../lib.sh"
KBC=$(realpath "$1")
RUNS=${2:-25}
ROOT=$(cd "$TESTS_DIR/.." && pwd)
SEED=${KBC_KILL_SEED:-$(( $(date +%s) % 100000 ))}
echo "seed $SEED (KBC_KILL_SEED=$SEED reproduces these delays)"
RANDOM=$SEED

V="$TMP/vault"
node "$ROOT/tools/gen-vault.mjs" --notes 500 "$V" >/dev/null || { echo "gen-vault failed"; exit 1; }

# snapshot DIR: one line per path (type, path, and sha256 for files), sorted.
snapshot() {
	(cd "$1" && find . -printf '%y %p\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}
now_ms() { date +%s%3N; }

# fresh NAME: a full build of the vault's current notes in a copy with no
# site and no cache, and its snapshot in $TMP/NAME.sum.
fresh() {
	rm -rf "$TMP/$1"
	mkdir -p "$TMP/$1"
	cp -r "$V/notes" "$V/kb.yaml" "$TMP/$1/"
	"$KBC" build -q -C "$TMP/$1" 2>/dev/null
	snapshot "$TMP/$1/site" > "$TMP/$1.sum"
}

t0=$(now_ms)
check "first build" "$KBC" build -q -C "$V"
t1=$(now_ms)
dur=$(( t1 - t0 ))
[ "$dur" -lt 50 ] && dur=50
snapshot "$V/site" > "$TMP/old.sum"
fresh full-old
check "the first build equals a full build from scratch elsewhere" cmp "$TMP/old.sum" "$TMP/full-old.sum"
echo "a build took $dur ms here; kills are spread over 0..$(( dur * 11 / 10 )) ms"

# kill_build: start a build, SIGKILL it after a random delay. Sets $delay,
# and $finished when the build ended before the signal.
kill_build() {
	delay=$(( (RANDOM * 32768 + RANDOM) % (dur * 11 / 10 + 1) ))
	"$KBC" build -q -C "$V" >/dev/null 2>&1 &
	local pid=$!
	sleep "$(printf '%d.%03d' $(( delay / 1000 )) $(( delay % 1000 )))"
	finished=0
	kill -KILL "$pid" 2>/dev/null || finished=1
	wait "$pid" 2>/dev/null
	local st=$?
	[ "$st" -ne 137 ] && finished=1
}

killed=0
done_early=0
delays=()
for i in $(seq 1 "$RUNS"); do
	kill_build
	delays+=("$delay")
	if [ "$finished" = 1 ]; then done_early=$((done_early + 1)); else killed=$((killed + 1)); fi
	snapshot "$V/site" > "$TMP/now.sum"
	check "kill $i at $delay ms: the site equals the snapshot" cmp "$TMP/old.sum" "$TMP/now.sum"
done
echo "same notes: $killed builds killed, $done_early finished first; delays (ms): ${delays[*]}"

check "a build after the kills succeeds" "$KBC" build -q -C "$V"
snapshot "$V/site" > "$TMP/now.sum"
check "and equals a full build from scratch" cmp "$TMP/full-old.sum" "$TMP/now.sum"
check "no staging folder is left" bash -c "! ls -a '$V' | grep -q kbc-new"

# A changed note: a killed build leaves the old site or the new one, whole.
note=$(cd "$V/notes" && ls n0001*.md | head -1)
cp "$V/notes/$note" "$TMP/note.old"
{ cat "$TMP/note.old"; printf '\n## Added by the kill test\n\nA changed note, [[%s]].\n' "${note%.md}"; } > "$TMP/note.new"
cp "$TMP/note.new" "$V/notes/$note"
fresh full-new
cp "$TMP/note.old" "$V/notes/$note"
check "the change changes the site" bash -c "! cmp -s '$TMP/full-old.sum' '$TMP/full-new.sum'"
RUNS2=$(( RUNS / 2 > 10 ? RUNS / 2 : 10 ))
old=0
new=0
delays=()
for i in $(seq 1 "$RUNS2"); do
	# Start from the old site every time.
	snapshot "$V/site" > "$TMP/now.sum"
	if ! cmp -s "$TMP/old.sum" "$TMP/now.sum"; then
		"$KBC" build -q -C "$V" 2>/dev/null
	fi
	cp "$TMP/note.new" "$V/notes/$note"
	kill_build
	delays+=("$delay")
	snapshot "$V/site" > "$TMP/now.sum"
	if cmp -s "$TMP/now.sum" "$TMP/old.sum"; then
		old=$((old + 1))
		check "changed note, kill $i at $delay ms: the old site, whole" true
	elif cmp -s "$TMP/now.sum" "$TMP/full-new.sum"; then
		new=$((new + 1))
		check "changed note, kill $i at $delay ms: the new site, whole" true
	else
		check "changed note, kill $i at $delay ms: the old or the new site, not a mix" \
			diff "$TMP/old.sum" "$TMP/now.sum"
	fi
	cp "$TMP/note.old" "$V/notes/$note"
done
echo "changed note: $RUNS2 kills, the old site $old times, the new site $new times; delays (ms): ${delays[*]}"

cp "$TMP/note.new" "$V/notes/$note"
check "a build of the changed vault after the kills succeeds" "$KBC" build -q -C "$V"
snapshot "$V/site" > "$TMP/now.sum"
check "and equals a full build of the changed notes from scratch" cmp "$TMP/full-new.sum" "$TMP/now.sum"
check "no staging folder is left at the end" bash -c "! ls -a '$V' | grep -q kbc-new"
finish
