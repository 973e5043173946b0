#!/usr/bin/env bash
# `tupu import` against pyoxigraph's `Store.bulk_load`, on the same files, side by side:
# the peer generator's DAG (100,000 knowledge points with a type and a label each, 182,062
# prerequisite edges: 382,062 triples) as N-Triples and as RDF/XML. Then the first
# `tupu serve` on the imported data directory: seconds until `/health` answers.
# Each measure is taken ROUNDS times (default 3), the two sides taking turns, and the median
# is reported: disk write-back of one run slows the next, whichever side it is.
#
#   [ROUNDS=N] benches/import/compare.sh [path/to/tupu] [WORKDIR]
#
# Needs python3 with numpy, scipy and pyoxigraph (e.g. a venv: `pip install numpy scipy
# pyoxigraph`; set PYTHON to its interpreter) and the peer generator (PEERS, default
# ../shared/peers). Build the binary with the workspace's test build:
#   cargo test --release --workspace --no-run
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$HOME/.cache/tupu/target}/release/tupu}"
work="${2:-$(mktemp -d)}"
python="${PYTHON:-python3}"
peers="${PEERS:-$root/../shared/peers}"
addr=127.0.0.1:7981
mkdir -p "$work"

if [ ! -f "$work/dag/graph.nt" ]; then
  "$python" "$peers/gen.py" "$work/dag" --parts dag >/dev/null
fi
if [ ! -f "$work/dag.rdf" ]; then
  "$python" "$here/to_tupu.py" "$work/dag/graph.nt" "$work/dag.nt" "$work/dag.rdf"
fi

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }

rounds="${ROUNDS:-3}"
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

declare -A runs
for round in $(seq "$rounds"); do
  for fmt in nt rdf; do
    file="$work/dag.$fmt"
    # pyoxigraph: an on-disk store, bulk_load of the file.
    rm -rf "$work/ox-$fmt"
    sync
    runs["pyoxigraph-$fmt"]+=" $("$python" - "$file" "$work/ox-$fmt" <<'PY'
import sys, time, pyoxigraph as ox
path, store = sys.argv[1], sys.argv[2]
fmt = ox.RdfFormat.N_TRIPLES if path.endswith(".nt") else ox.RdfFormat.RDF_XML
st = ox.Store(store)
t = time.perf_counter()
st.bulk_load(path=path, format=fmt, to_graph=ox.NamedNode("https://w3id.org/tupu/graph/dag"))
st.flush()
print(f"{time.perf_counter() - t:.2f}")
PY
)"
    # tupu: a data directory holding the vocabulary and shapes, then the import (timed).
    rm -rf "$work/tupu-$fmt"
    "$bin" --data "$work/tupu-$fmt" validate >/dev/null 2>&1
    sync
    t0=$(now)
    "$bin" --data "$work/tupu-$fmt" import "$file" --graph dag >"$work/import-$fmt.log" 2>&1
    t1=$(now)
    runs["tupu-$fmt"]+=" $(secs "$t0" "$t1")"
    # The first server afterwards: time until /health answers.
    t0=$(now)
    "$bin" --data "$work/tupu-$fmt" serve --no-demo --addr "$addr" >/dev/null 2>&1 &
    server=$!
    until curl -sf "http://$addr/health" >/dev/null; do sleep 0.02; done
    t1=$(now)
    runs["health-$fmt"]+=" $(secs "$t0" "$t1")"
    kill "$server"; wait "$server" 2>/dev/null || true
  done
done
declare -A result
for key in "${!runs[@]}"; do
  result[$key]=$(echo "${runs[$key]}" | median)
  echo "$key:${runs[$key]}" >&2
done

triples=$(wc -l <"$work/dag.nt")
echo "| file ($triples triples, median of $rounds) | tupu import (s) | pyoxigraph bulk_load (s) | ratio | first serve: /health after (s) |"
echo "|---|---|---|---|---|"
for fmt in nt rdf; do
  ratio=$(echo "scale=2; ${result[tupu-$fmt]} / ${result[pyoxigraph-$fmt]}" | bc)
  name=$([ "$fmt" = nt ] && echo N-Triples || echo RDF/XML)
  echo "| $name | ${result[tupu-$fmt]} | ${result[pyoxigraph-$fmt]} | $ratio | ${result[health-$fmt]} |"
done
tail -n 1 "$work/import-nt.log"
