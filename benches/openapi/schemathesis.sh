#!/usr/bin/env bash
# Property-based HTTP tests of the whole API from its OpenAPI document: schemathesis
# generates requests for every operation of /api/v1/openapi.json against a live server on the
# demo graph and fails on any 5xx answer. `/sparql` is left out: its POST bodies are
# `application/sparql-query` and `application/sparql-update`, which schemathesis cannot
# generate (the fuzz script under benches/ sends SPARQL bodies instead).
#
#   benches/openapi/schemathesis.sh [path/to/tupu] [max examples per operation, default 100]
#
# Needs schemathesis (`pip install schemathesis`; set SCHEMATHESIS to its executable).
set -euo pipefail
bin="${1:-${CARGO_TARGET_DIR:-$HOME/.cache/tupu/target}/release/tupu}"
examples="${2:-100}"
st="${SCHEMATHESIS:-schemathesis}"
addr=127.0.0.1:7982
data="$(mktemp -d)"
"$bin" --data "$data" serve --addr "$addr" >"$data/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 300); do curl -sf "http://$addr/health" >/dev/null && break; sleep 0.2; done

"$st" run "http://$addr/api/v1/openapi.json" \
  --checks not_a_server_error \
  --max-examples "$examples" \
  --request-timeout 30 \
  --exclude-path /sparql \
  --workers 4
