#!/usr/bin/env bash
# What safety costs under load: HTTP `next` at 64 connections (wrk), three runs on the same
# binary and data:
#   1. local mode (no key),
#   2. with keys (an app key of one tenant on every request),
#   3. with keys, and a runaway SPARQL query (a cartesian product sorted) fired every 5 s.
# Prints requests/s of each and the server's resident memory over each run (sampled every
# second: first, lowest, highest and last sample), to see whether memory stays flat.
#
#   benches/load/security.sh [path/to/tupu] [duration, default 30s]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$HOME/.cache/tupu/target}/release/tupu}"
duration="${2:-30s}"
addr=127.0.0.1:7980
data="$(mktemp -d)"
server=
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT

start() {
  "$bin" --data "$data" serve --addr "$addr" --query-timeout-ms 2000 >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 1 300); do curl -sf "http://$addr/health" >/dev/null && return; sleep 0.2; done
  echo "the server did not start" >&2; exit 1
}
stop() { kill -TERM "$server"; wait "$server" || true; }
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$server/status"; }

# Learners l1..l1000, learner i having mastered the first (i mod 400) knowledge points.
seed() {
  local auth=("$@")
  kps=$(curl -sf "${auth[@]}" "http://$addr/sparql" -H 'accept: text/csv' --data-urlencode \
    'query=PREFIX tupu: <https://w3id.org/tupu/ns#> SELECT ?k WHERE { ?k a tupu:KnowledgePoint ; tupu:sequence ?s } ORDER BY ?s ?k' | tail -n +2 | tr -d '\r')
  mapfile -t kp <<<"$kps"
  for i in $(seq 1 1000); do
    k=$(( i % 400 ))
    body="{\"mastery\": {"
    for j in $(seq 0 $(( k - 1 ))); do body+="\"${kp[$j]}\": 0.95,"; done
    body="${body%,}}, \"clear\": true}"
    curl -sf "${auth[@]}" -X PUT "http://$addr/api/v1/learners/l$i/mastery" -H 'content-type: application/json' -d "$body" >/dev/null
  done
}

run() {
  local label="$1"; shift
  wrk -t1 -c64 -d5s -s "$here/next.lua" "$@" "http://$addr" >/dev/null
  local rps samples sampler
  samples="$(mktemp)"
  ( while kill -0 "$server" 2>/dev/null; do
      awk '/VmRSS/ {print $2}' "/proc/$server/status" >>"$samples"; sleep 1
    done ) &
  sampler=$!
  rps=$(wrk -t1 -c64 -d"$duration" -s "$here/next.lua" "$@" "http://$addr" | awk '/Requests\/sec/ {print $2}')
  kill "$sampler" 2>/dev/null || true
  echo "$label: $rps requests/s; server RSS (kB) over the run: $(awk 'NR == 1 {first = $1; lo = $1; hi = $1}
    {lo = ($1 < lo ? $1 : lo); hi = ($1 > hi ? $1 : hi); last = $1}
    END {printf "first %d, lowest %d, highest %d, last %d (%d samples)", first, lo, hi, last, NR}' "$samples"), after: $(rss)"
  rm -f "$samples"
}

start
seed
run "no key"
stop

key=$("$bin" --data "$data" keys create --role app --tenant bench 2>/dev/null)
start
seed -H "Authorization: Bearer $key"
run "app key" -H "Authorization: Bearer $key"
admin=$("$bin" --data "$data" keys create --role admin 2>/dev/null)
(
  while true; do
    curl -s -o /dev/null -H "Authorization: Bearer $admin" "http://$addr/sparql" \
      --data-urlencode 'query=SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f' || true
    sleep 5
  done
) &
runaway=$!
run "app key, runaway query every 5 s" -H "Authorization: Bearer $key"
kill "$runaway" 2>/dev/null || true
stop
