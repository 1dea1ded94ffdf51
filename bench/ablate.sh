#!/usr/bin/env bash
# ablate.sh: what each of the cache's guarantees costs a request, counted
# by taking it out, as BENCHMARKS.md's "What the guarantees cost" quotes.
#
#   bench/ablate.sh BENCH N1 N2 [test flags...]
#
# BENCH selects one benchmark of bench/ on this library (impl=gincache-...),
# N1 and N2 are bench/callgrind.sh's run lengths. The script checks HEAD
# out into a throwaway worktree, applies bench/ablate.patch there (switches
# read from the environment, never part of the library) and runs
# bench/callgrind.sh once per variant, each with one switch on, then with
# all on. Example (from the repository root):
#
#   bench/ablate.sh 'BenchmarkEndToEnd/case=miss/size=1KiB/impl=gincache-memory/' 2000 10000 -rounds=1
#
# On a Redis contender (CALLGRIND_REDIS=1 is then set for you) a variant
# more replaces the conditional store (the token check and creation, the
# staged entry and its RENAME) by a plain SET, and "all" includes it. Only
# the client's instructions count: valgrind does not follow redis-server.
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2
fi
bench=$1; shift
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
cleanup() { git -C "$root" worktree remove --force "$tmp/tree" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
git -C "$root" worktree add --detach -q "$tmp/tree" HEAD
git -C "$tmp/tree" apply "$root/bench/ablate.patch"

variants=(
  "this library|"
  "without the tokens|ABL_NOTOKENS=1"
  "without the ETag (computed and sent)|ABL_NOETAG=1"
  "without Cache-Status (a miss) or Age (a hit)|ABL_NOHDR=1"
  "without coalescing|ABL_NOFLIGHT=1"
  "the raw request URI for the canonical key|ABL_NOKEY=1"
)
all="ABL_NOTOKENS=1 ABL_NOETAG=1 ABL_NOHDR=1 ABL_NOKEY=1 ABL_NOFLIGHT=1"
case $bench in
  *redis*)
    export CALLGRIND_REDIS=1
    variants+=("a plain SET for the conditional store|ABL_PLAINSET=1")
    all="$all ABL_PLAINSET=1"
    ;;
esac
variants+=("all of the above|$all")

base=
printf '%-48s %12s %9s\n' variant instructions "vs first"
for v in "${variants[@]}"; do
  name=${v%%|*} env=${v#*|}
  out=
  # Valgrind sometimes stops on an assertion in the Redis runs
  # (bench/callgrind.sh says so); a second try goes through.
  for _ in 1 2 3 4; do
    if out=$(cd "$tmp/tree" && CALLGRIND_ENV="$env" "$root/bench/callgrind.sh" ./bench "$bench" "$@" 2>"$tmp/err"); then
      break
    fi
    out=
    grep -q 'valgrind did not finish' "$tmp/err" || break # not worth a retry
  done
  [ -n "$out" ] || { echo "ablate.sh: callgrind did not finish the variant '$name'; the last try said:" >&2; tail -5 "$tmp/err" >&2; exit 1; }
  n=$(grep -o '[0-9]* instructions per op' <<<"$out" | grep -o '^[0-9]*')
  base=${base:-$n}
  printf '%-48s %12d %+9d\n' "$name" "$n" $((n - base))
done
