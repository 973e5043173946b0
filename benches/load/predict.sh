#!/usr/bin/env bash
# Load test of the HTTP `predict` endpoint: a release server on the demo graph, 1,000
# learners with 20 answers each, wrk at 64 connections asking for 5 nodes a request, then at
# one connection.
#
#   benches/load/predict.sh [path/to/tupu] [duration, default 30s]
#
# Build the binary first with the workspace's test build (same features as the tests):
#   cargo test --release --workspace --no-run
addr=127.0.0.1:7979
source "$(dirname "$0")/serve.sh"

# The first 100 knowledge points in teaching order; learner i answers 20 of them.
kps=$(curl -sf "http://$addr/sparql" -H 'accept: text/csv' --data-urlencode \
  'query=PREFIX tupu: <https://w3id.org/tupu/ns#> SELECT ?k WHERE { ?k a tupu:KnowledgePoint ; tupu:sequence ?s } ORDER BY ?s ?k LIMIT 100' | tail -n +2 | tr -d '\r')
mapfile -t kp <<<"$kps"
printf '%s\n' "${kp[@]}" >"$data/nodes.txt"
for i in $(seq 1 1000); do
  body="["
  for j in $(seq 0 19); do
    k=$(( (i * 7 + j * 3) % ${#kp[@]} ))
    right=$([ $(( (i + j) % 3 )) -eq 0 ] && echo false || echo true)
    body+="{\"node\": \"${kp[$k]}\", \"correct\": $right, \"timestamp\": \"2026-09-01T08:$(printf %02d "$j"):00Z\"},"
  done
  body="${body%,}]"
  curl -sf -X POST "http://$addr/api/v1/learners/l$i/events" -H 'content-type: application/json' -d "$body" >/dev/null
done

export TUPU_PREDICT_NODES="$data/nodes.txt"
wrk -t1 -c64 -d5s -s "$here/predict.lua" "http://$addr" >/dev/null  # warm-up
wrk -t1 -c64 -d"$duration" --latency -s "$here/predict.lua" "http://$addr"
# One connection: the latency of a request alone.
wrk -t1 -c1 -d10s --latency -s "$here/predict.lua" "http://$addr"
