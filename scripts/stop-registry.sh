#!/usr/bin/env bash
# Stops a registry started by scripts/start-registry.sh: `scripts/stop-registry.sh DIR`.
# Sends SIGTERM to the pid in DIR/registry.pid and waits until it is gone (SIGKILL after ~5 s).
set -euo pipefail
dir="${1:?usage: stop-registry.sh DIR}"
pidfile="$dir/registry.pid"
[[ -f "$pidfile" ]] || exit 0
pid="$(cat "$pidfile")"
rm -f "$pidfile"
kill "$pid" 2>/dev/null || exit 0
for _ in $(seq 1 50); do
  kill -0 "$pid" 2>/dev/null || exit 0
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null || true
