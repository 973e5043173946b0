#!/usr/bin/env bash
# Load test of the HTTP `next` endpoint: a release server on the demo graph, 1,000 learners
# at different points of the curriculum, wrk at 64 connections.
#
#   benches/load/next.sh [path/to/tupu] [duration, default 30s]
#
# Build the binary first with the workspace's test build (same features as the tests):
#   cargo test --release --workspace --no-run
addr=127.0.0.1:7979
source "$(dirname "$0")/serve.sh"

# Knowledge points in teaching order, then learner i has mastered the first (i mod 400) of them.
kps=$(curl -sf "http://$addr/sparql" -H 'accept: text/csv' --data-urlencode \
  'query=PREFIX tupu: <https://w3id.org/tupu/ns#> SELECT ?k WHERE { ?k a tupu:KnowledgePoint ; tupu:sequence ?s } ORDER BY ?s ?k' | tail -n +2 | tr -d '\r')
mapfile -t kp <<<"$kps"
for i in $(seq 1 1000); do
  k=$(( i % 400 ))
  body="{\"mastery\": {"
  for j in $(seq 0 $(( k - 1 ))); do body+="\"${kp[$j]}\": 0.95,"; done
  body="${body%,}}}"
  [ "$k" -eq 0 ] && body='{"mastery": {}, "clear": true}'
  curl -sf -X PUT "http://$addr/api/v1/learners/l$i/mastery" -H 'content-type: application/json' -d "$body" >/dev/null
done

wrk -t1 -c64 -d5s -s "$here/next.lua" "http://$addr" >/dev/null  # warm-up
wrk -t1 -c64 -d"$duration" --latency -s "$here/next.lua" "http://$addr"
