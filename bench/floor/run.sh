#!/bin/bash
# Plain node:http against the floors of issue 12: the hop (server.mjs + worker.mjs +
# redis-server), bare and --checked (zod at both ends, metrics on), and dev's (dev.mjs, one
# process). wrk on /hello, interleaved rounds: throughput at 50 connections (req/s, process CPU
# µs per request) and latency at 1 connection (p50).
# Needs wrk and redis-server. Usage: bash bench/floor/run.sh [seconds per run, default 5] [rounds, default 3]
set -u
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-5}
ROUNDS=${2:-3}
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }  # user+system ticks (1/100 s)
measure() { # label url pids...
  local label=$1 url=$2; shift 2
  local -a before=(); for p in "$@"; do before+=("$(cpu "$p")"); done
  local out; out=$(wrk -t2 -c50 -d"${SECONDS_PER_RUN}"s "$url")
  local reqs rps; reqs=$(grep -oE '^ *[0-9]+ requests in' <<<"$out" | grep -oE '[0-9]+'); rps=$(grep -oE 'Requests/sec: *[0-9.]+' <<<"$out" | grep -oE '[0-9.]+$')
  local line; line=$(printf '%-14s 50 conns: %9s req/s  CPU µs/request:' "$label" "$rps")
  local i=0; for p in "$@"; do line+=" $(ps -o comm= -p "$p" | head -c 12)=$(( ($(cpu "$p") - ${before[$i]}) * 10000 / reqs ))"; i=$((i+1)); done
  local p50; p50=$(wrk -t1 -c1 -d"${SECONDS_PER_RUN}"s --latency "$url" | awk '$1 == "50%" {print $2}')
  echo "$line;  1 conn: p50 $p50"
}
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
floor() { # label [--checked]
  local label=$1; shift
  local P R; P=$(port); R=$(port)
  redis-server --port "$R" --save '' --appendonly no >/dev/null & local REDIS=$!; sleep 0.3
  node bench/floor/server.mjs "$P" "$R" "$@" >/dev/null & local SERVER=$!
  node bench/floor/worker.mjs "$R" "$@" & local WORKER=$!
  for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$P/hello" && break; sleep 0.1; done
  measure "$label" "http://127.0.0.1:$P/hello" $SERVER $WORKER $REDIS
  kill $SERVER $WORKER $REDIS; wait $SERVER $WORKER $REDIS 2>/dev/null
}
for _ in $(seq "$ROUNDS"); do
  node --import tsx bench/suite/plain-server.ts http >/tmp/floor-plain.log 2>&1 & PLAIN=$!
  for _ in $(seq 50); do grep -q '127.0.0.1:' /tmp/floor-plain.log && break; sleep 0.1; done
  PP=$(grep -o '127.0.0.1:[0-9]*' /tmp/floor-plain.log | head -1 | cut -d: -f2)
  measure plain "http://127.0.0.1:$PP/hello" $PLAIN; kill $PLAIN; wait $PLAIN 2>/dev/null
  floor floor
  floor 'floor checked' --checked
  P=$(port); node bench/floor/dev.mjs "$P" >/dev/null & DEV=$!
  for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$P/hello" && break; sleep 0.1; done
  measure 'dev floor' "http://127.0.0.1:$P/hello" $DEV; kill $DEV; wait $DEV 2>/dev/null
done
