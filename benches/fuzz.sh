#!/usr/bin/env bash
# Fuzzes every parser and endpoint body through the router (api/tests/integration/fuzz.rs):
# random SPARQL queries and updates built from the tokens that nest and branch, random JSON
# bodies for events, mastery and paths, random learner ids and keys. Prints the number of
# cases run; any 5xx, non-JSON error or crash fails it.
#
#   benches/fuzz.sh [cases per target, default 20000]
set -euo pipefail
cd "$(dirname "$0")/.."
TUPU_FUZZ_CASES="${1:-20000}" cargo test --workspace --locked --test integration fuzz_ -- --nocapture 2>&1 \
  | grep -E "^fuzz |test result|panicked"
