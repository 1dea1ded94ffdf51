#!/usr/bin/env bash
# callgrind.sh: instructions per op of one benchmark, counted by callgrind,
# as BENCHMARKS.md's "Where the time and the bytes go" quotes them.
#
#   bench/callgrind.sh PKG BENCH N1 N2 [test flags...]
#
# PKG is a package directory (./bench, ./gincache, ...), BENCH a -bench
# pattern that selects one benchmark. The binary runs it N1 and N2 times
# (-benchtime Nx) under callgrind, and the difference of the two totals
# divided by N2-N1 is the cost of one op with the setup cancelled out.
# Examples (from the repository root):
#
#   bench/callgrind.sh ./bench 'BenchmarkHit/size=1KiB/impl=gincache-memory/' 2000 12000 -rounds=1
#   bench/callgrind.sh ./gincache 'BenchmarkHit/cached$' 5000 25000
#
# With CALLGRIND_KEEP=DIR the two profiles stay in DIR (cg.N1, cg.N2), for
# callgrind_annotate to say where an op's instructions go: a function's
# count at N2 minus its count at N1, divided by N2-N1, is its share of one
# op (--inclusive=yes for what it calls too).
#
# The run is made repeatable rather than realistic: no cgo, one P, the GC
# off, no asynchronous preemption; cpu.rdtscp=off because valgrind cannot
# run the RDTSCP instruction Go 1.26 reads the clock with (SIGILL); and no
# redis-server on PATH, so the Redis contenders skip. With CALLGRIND_REDIS=1
# the PATH holds redis-server's directory and they run: valgrind does not
# follow the server the benchmark starts (--trace-children=no), so only the
# client's instructions count. Under valgrind an op takes tens of times its
# native time, so work done per unit of time (a timer, a ticker) weighs that
# much more per op than it does natively: a way to find it. Valgrind
# sometimes stops on an assertion about a signal in those runs; the script
# then says so, and a second try goes through. CALLGRIND_ENV holds
# NAME=VALUE words the benchmark's environment gets besides (bench/ablate.sh
# passes its switches so).
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2
fi
pkg=$1 bench=$2 n1=$3 n2=$4; shift 4
valgrind=$(command -v valgrind) || { echo "callgrind.sh: valgrind is not installed" >&2; exit 1; }
if [ -n "${CALLGRIND_KEEP:-}" ]; then
  tmp=$(mkdir -p "$CALLGRIND_KEEP" && cd "$CALLGRIND_KEEP" && pwd)
else
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fi
mod=.
case $pkg in # bench/ is a module of its own
  ./bench) mod=bench pkg=. ;;
  ./bench/*) mod=bench pkg=./${pkg#./bench/} ;;
esac
(cd "$mod" && CGO_ENABLED=0 go test -c -o "$tmp/x.test" "$pkg")
path=$tmp/nopath
if [ -n "${CALLGRIND_REDIS:-}" ]; then
  server=$(command -v redis-server) || { echo "callgrind.sh: CALLGRIND_REDIS set, no redis-server on PATH" >&2; exit 1; }
  path=$(dirname "$server")
fi
count() {
  local n=$1; shift
  # shellcheck disable=SC2086 # CALLGRIND_ENV is a list of words
  env -i HOME="$tmp" PATH="$path" ${CALLGRIND_ENV:-} GOMAXPROCS=1 GOGC=off GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off \
    "$valgrind" --tool=callgrind --callgrind-out-file="$tmp/cg.$n" "$tmp/x.test" \
    -test.run '^$' -test.bench "$bench" -test.benchtime "${n}x" "$@" 2>"$tmp/log.$n" >"$tmp/out.$n"
  grep -o 'Collected : [0-9]*' "$tmp/log.$n" | grep -o '[0-9]*$' ||
    { echo "callgrind.sh: valgrind did not finish the ${n}x run; its log: $tmp/log.$n (kept with CALLGRIND_KEEP)" >&2; tail -3 "$tmp/log.$n" >&2; exit 1; }
  # One benchmark's result, or the difference of the two totals means
  # nothing: a pattern that matches none (or a skipped Redis contender)
  # would still print a count.
  local ran
  ran=$(grep -c "^Benchmark.*[[:space:]]${n}[[:space:]]" "$tmp/out.$n" || true)
  [ "$ran" = 1 ] ||
    { echo "callgrind.sh: the ${n}x run reported $ran benchmark results for '$bench', not 1 (a Redis contender runs only with CALLGRIND_REDIS=1); its output:" >&2; tail -5 "$tmp/out.$n" >&2; exit 1; }
}
i1=$(count "$n1" "${@}")
i2=$(count "$n2" "${@}")
echo "$bench: $(( (i2 - i1) / (n2 - n1) )) instructions per op ($i1 at ${n1}x, $i2 at ${n2}x)"
