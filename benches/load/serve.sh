# Sourced by the load scripts: arguments `[path/to/tupu] [duration, default 30s]`, then a
# release server on a fresh data directory at $addr (set by the caller), stopped and removed
# on exit. Sets here, bin, duration, data and server.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$HOME/.cache/tupu/target}/release/tupu}"
duration="${2:-30s}"
data="$(mktemp -d)"
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT

"$bin" --data "$data" serve --addr "$addr" >/dev/null 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://$addr/health" >/dev/null && break; sleep 0.2; done
