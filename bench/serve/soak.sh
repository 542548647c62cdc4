#!/usr/bin/env bash
# Soak test of `credence serve`: all shipped rule packs, POST /v1/score driven by wrk at a capped rate
# for a while, the server's RSS sampled every 10 s (VmRSS of /proc/PID/status), then the RSS series,
# the request rate, the error count (non-2xx and socket errors) and the server's CPU time.
#
#   bench/serve/soak.sh [-b BIN] [-d SECONDS] [-r REQ_PER_S] [-c CONNECTIONS] [-t THREADS] [-- SERVE_ARGS...]
#
# Defaults: build/credence, 300 s, 10000 req/s, 64 connections, 2 wrk threads. wrk has no rate limit:
# bench/serve/post.lua holds it (SOAK_RATE, SOAK_THREADS in the environment) by spacing each
# connection's requests with a delay it adjusts every second to the rate it measures. An overloaded
# server shows up as a lower req/s. Needs wrk and curl; listens on a free loopback port.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$root/build/credence
dur=300
rate=10000
conns=64
threads=2
while getopts "b:d:r:c:t:" opt; do
    case $opt in
    b) bin=$OPTARG ;;
    d) dur=$OPTARG ;;
    r) rate=$OPTARG ;;
    c) conns=$OPTARG ;;
    t) threads=$OPTARG ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
command -v wrk >/dev/null || { echo "soak.sh: wrk is not installed" >&2; exit 2; }
[ -x "$bin" ] || { echo "soak.sh: no credence binary at $bin (-b BIN)" >&2; exit 2; }

work=$(mktemp -d /tmp/cred_soak_XXXXXX)
"$bin" serve --listen 127.0.0.1:0 --rules "$root/rules" --rate 0 "$@" 2>"$work/serve.log" &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null || true
    [ -n "${wrk_pid:-}" ] && kill "$wrk_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
port=
for _ in $(seq 600); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/serve.log" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { echo "soak.sh: the server did not start" >&2; exit 1; }

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
tck=$(getconf CLK_TCK)
echo "soak: $bin pid $pid port $port, ${dur}s at <= ${rate} req/s over $conns connections, load $(cut -d' ' -f1-3 /proc/loadavg)"
cpu0=$(cpu)
SOAK_RATE=$rate SOAK_THREADS=$threads wrk -t"$threads" -c"$conns" -d"${dur}s" --latency -s "$here/post.lua" \
    "http://127.0.0.1:$port/v1/score" >"$work/wrk.out" 2>&1 &
wrk_pid=$!
series=()
t=0
while kill -0 "$wrk_pid" 2>/dev/null; do
    series+=("${t}s:$(rss)kB")
    echo "  t=${t}s rss=$(rss) kB load=$(cut -d' ' -f1 /proc/loadavg)"
    sleep 10
    t=$((t + 10))
done
wait "$wrk_pid" || true
wrk_pid=
series+=("end:$(rss)kB")
cpu1=$(cpu)
kill -0 "$pid" 2>/dev/null || { echo "soak: the server died" >&2; exit 1; }
cat "$work/wrk.out"
reqs=$(grep -o '[0-9]* requests in' "$work/wrk.out" | grep -o '^[0-9]*')
non2xx=$(grep -o 'Non-2xx or 3xx responses: [0-9]*' "$work/wrk.out" | grep -o '[0-9]*$' || echo 0)
sockerr=$(grep -o 'Socket errors:.*' "$work/wrk.out" || echo "Socket errors: none")
echo "rss_series_kB: ${series[*]}"
echo "requests: $reqs  req_per_s: $(grep -o 'Requests/sec: *[0-9.]*' "$work/wrk.out" | grep -o '[0-9.]*$')  non2xx: ${non2xx:-0}  $sockerr"
echo "server_cpu_s: $(awk -v a="$cpu0" -v b="$cpu1" -v t="$tck" 'BEGIN {printf "%.1f", (b - a) / t}') over ${dur}s wall"
curl -s "http://127.0.0.1:$port/metrics" 2>/dev/null | grep -E '^credence_http_requests_total|^credence_store_failures_total' || true
