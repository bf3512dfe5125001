#!/bin/bash
# A/B of two built trees of switchyard (each with dist/ and node_modules/): serve + worker on a
# fresh redis-server each, wrk -t2 -c50 on /hello (2 s warm-up, then DUR seconds, default 5),
# rounds interleaved A, B, A, B…; prints req/s and CPU µs per request of serve, worker, Redis.
# Usage: bash bench/ab.sh TREE_A TREE_B [rounds, default 3]. Needs wrk and redis-server.
set -u
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }  # user+system ticks (1/100 s)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
one() {
  local tree=$1 PORT RPORT
  PORT=$(port); RPORT=$(port)
  redis-server --port "$RPORT" --save '' --appendonly no >/dev/null 2>&1 & local R=$!
  sleep 0.4
  (cd "$tree" && exec node dist/bin/switchyard.js serve bench/apps/suite-app.ts --port "$PORT" --redis "redis://127.0.0.1:$RPORT" --log-level warn) >/tmp/ab-serve.log 2>&1 & local S=$!
  (cd "$tree" && exec node dist/bin/switchyard.js worker bench/apps/suite-app.ts --redis "redis://127.0.0.1:$RPORT" --log-level warn) >/tmp/ab-worker.log 2>&1 & local W=$!
  for _ in $(seq 80); do [ "$(curl -s "http://127.0.0.1:$PORT/hello")" = hello ] && break; sleep 0.2; done
  wrk -t2 -c50 -d2s "http://127.0.0.1:$PORT/hello" >/dev/null
  local bs bw br as aw ar out n
  bs=$(cpu $S); bw=$(cpu $W); br=$(cpu $R)
  out=$(wrk -t2 -c50 -d"${DUR:-5}"s "http://127.0.0.1:$PORT/hello")
  as=$(cpu $S); aw=$(cpu $W); ar=$(cpu $R)
  n=$(grep -oE '^ *[0-9]+ requests in' <<<"$out" | grep -oE '[0-9]+')
  printf '%-24s %9s req/s  CPU µs/request: serve %s, worker %s, redis %s  %s\n' "$tree" \
    "$(grep -oE 'Requests/sec: *[0-9.]+' <<<"$out" | grep -oE '[0-9.]+$')" \
    $(( (as - bs) * 10000 / n )) $(( (aw - bw) * 10000 / n )) $(( (ar - br) * 10000 / n )) \
    "$(grep -oE 'Non-2xx or 3xx responses: *[0-9]+' <<<"$out")"
  kill -INT $S $W; sleep 1; kill -9 $S $W 2>/dev/null; kill $R; wait 2>/dev/null
}
for _ in $(seq "${3:-3}"); do one "$1"; one "$2"; done
