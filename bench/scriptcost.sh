#!/usr/bin/env bash
# scriptcost.sh: what the Redis store script's token TTL extensions cost
# the server, as BENCHMARKS.md's "Redis miss" paragraph quotes it.
#
#   bench/scriptcost.sh [N]
#
# From the repository root. It starts a throwaway redis-server, sets five
# tokens, and runs the store script of backend/redis/entries.go N times
# (default 200,000) with redis-benchmark, on five present tokens and no
# staged entry: once as it is (a PEXPIRE GT per present token), once with
# its PEXPIRE line removed. It prints the server's usec_per_call of
# EVALSHA for each (INFO commandstats), so the difference is the cost of
# five extensions.
set -euo pipefail
n=${1:-200000}
for tool in redis-server redis-cli redis-benchmark; do
  command -v "$tool" >/dev/null || { echo "scriptcost.sh: $tool is not installed" >&2; exit 1; }
done
src=backend/redis/entries.go
[ -f "$src" ] || { echo "scriptcost.sh: run it from the repository root" >&2; exit 2; }
script=$(sed -n '/^var storeScript = redis.NewScript(`/,/^`)/p' "$src" | sed '1d;$d')
grep -q "'PEXPIRE'" <<<"$script" || { echo "scriptcost.sh: no PEXPIRE in the store script of $src" >&2; exit 1; }
without=$(grep -v "'PEXPIRE'" <<<"$script")

port=$(( 20000 + RANDOM % 20000 ))
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize yes --logfile "$dir/log"
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
cli() { redis-cli -p "$port" "$@"; }
for _ in $(seq 50); do cli ping >/dev/null 2>&1 && break; sleep 0.1; done

v=0123456789abcdef
keys=(t:a t:b t:c t:d t:e)
for k in "${keys[@]}"; do cli set "$k" "$v" >/dev/null; done
measure() {
  local name=$1 body=$2 sha
  sha=$(cli script load "$body")
  cli config resetstat >/dev/null
  redis-benchmark -p "$port" -n "$n" -q evalsha "$sha" 5 "${keys[@]}" 3600000 "$v" "$v" "$v" "$v" "$v" >/dev/null
  printf '%-34s %s\n' "$name" "$(cli info commandstats | grep -o 'cmdstat_evalsha:.*usec_per_call=[0-9.]*' | grep -o 'usec_per_call=[0-9.]*')"
}
measure "store script, 5 PEXPIRE GT" "$script"
measure "store script without PEXPIRE" "$without"
