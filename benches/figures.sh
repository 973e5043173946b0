#!/usr/bin/env bash
# Every figure the issues ask for, with the peers beside them, in one run on one machine:
# release benchmarks of the workspace (criterion and latency harnesses), `tupu match` on the
# peers' 10^6 graduates, the import comparison against pyoxigraph, the HTTP load tests, and the
# peers' Python baselines on the same generated data. Prints everything to standard output.
#
#   benches/figures.sh PEERS_DATA [PYTHON]
#
# PEERS_DATA: a folder outside the repository; the peers' data is generated there when missing
# (`default`, and `g1m` with 10^6 graduates). PYTHON: an interpreter with numpy, scipy,
# networkx and pyoxigraph (default python3). TUPU_DATASETS: the datasets folder, for the fit
# on the real answers (default ../shared/datasets). Build first (bench profile, ~25 minutes
# cold): `cargo bench --workspace --all-targets --no-run`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
data="${1:?give a folder for the peers' data}"
python="${2:-python3}"
peers="${PEERS:-$root/../shared/peers}"
export TUPU_DATASETS="${TUPU_DATASETS:-$root/../shared/datasets}"
bin="${CARGO_TARGET_DIR:-$HOME/.cache/tupu/target}/release/tupu"
cd "$root"

[ -f "$data/default/meta-dag.json" ] || "$python" "$peers/gen.py" "$data/default"
[ -f "$data/g1m/graduates.jsonl" ] || "$python" "$peers/gen.py" "$data/g1m" --parts match --graduates 1000000

section() { printf '\n## %s\n\n' "$1"; }

section "Matching (issue 13)"
cargo bench --workspace --bench matching -- --noplot 2>&1 | grep -E "^match_|time:|thrpt:"
/usr/bin/time -v "$bin" match --graduates "$data/g1m/graduates.jsonl" --posts "$data/g1m/posts.jsonl" \
  --top 10 --rule cosine -o /dev/null 2>&1 | grep -E "exposure|Elapsed|Maximum resident|coverage" || true
"$python" "$peers/peers.py" "$data/g1m" match_one
"$python" "$peers/peers.py" "$data/g1m" match_batch --limit 100000

section "Learner model (issue 15)"
cargo bench --workspace --bench recommend -- --noplot 2>&1 | grep -E "^(next|path|bkt|fit|durable)|time:|thrpt:"
"$python" "$peers/peers.py" "$data/default" fringe path bkt

section "Search (issue 12)"
cargo bench --workspace --bench search

section "Design (issue 14)"
cargo bench --workspace --bench design

section "Import against pyoxigraph (issue 17)"
PYTHON="$python" "$here/import/compare.sh" "$bin" "$data/import"

section "HTTP load: keys and runaway queries (issue 16)"
"$here/load/security.sh" "$bin" 30s
