#!/bin/bash
# Plain node:http against the floor of the hop (server.mjs + worker.mjs + redis-server), wrk
# -t2 -c50 on /hello, 3 interleaved rounds; prints req/s and process CPU µs per request.
# Needs wrk and redis-server. Usage: bash bench/floor/run.sh [seconds per run, default 5]
set -u
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-5}
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }  # user+system ticks (1/100 s)
measure() { # label url pids...
  local label=$1 url=$2; shift 2
  local -a before=(); for p in "$@"; do before+=("$(cpu "$p")"); done
  local out; out=$(wrk -t2 -c50 -d"${SECONDS_PER_RUN}"s "$url")
  local reqs rps; reqs=$(grep -oE '^ *[0-9]+ requests in' <<<"$out" | grep -oE '[0-9]+'); rps=$(grep -oE 'Requests/sec: *[0-9.]+' <<<"$out" | grep -oE '[0-9.]+$')
  local line; line=$(printf '%-6s %9s req/s  CPU µs/request:' "$label" "$rps")
  local i=0; for p in "$@"; do line+=" $(ps -o comm= -p "$p" | head -c 12)=$(( ($(cpu "$p") - ${before[$i]}) * 10000 / reqs ))"; i=$((i+1)); done
  echo "$line"
}
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for round in 1 2 3; do
  P=$(port); node --import tsx bench/suite/plain-server.ts http >/tmp/floor-plain.log 2>&1 & PLAIN=$!
  for _ in $(seq 50); do grep -q '127.0.0.1:' /tmp/floor-plain.log && break; sleep 0.1; done
  PP=$(grep -o '127.0.0.1:[0-9]*' /tmp/floor-plain.log | head -1 | cut -d: -f2)
  measure plain "http://127.0.0.1:$PP/hello" $PLAIN; kill $PLAIN
  R=$(port); redis-server --port "$R" --save '' --appendonly no >/dev/null & REDIS=$!; sleep 0.3
  node bench/floor/server.mjs "$P" "$R" >/dev/null & SERVER=$!
  node bench/floor/worker.mjs "$R" & WORKER=$!
  for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$P/hello" && break; sleep 0.1; done
  measure floor "http://127.0.0.1:$P/hello" $SERVER $WORKER $REDIS
  kill $SERVER $WORKER $REDIS; wait 2>/dev/null
done
