#!/usr/bin/env bash
# Broker figures for docs/benchmarks.md, all from one run on one file system:
#  - fio: the durable ceiling (1 MiB O_DIRECT writes, fdatasync after each) and the
#    fdatasync latency of small writes (4 KiB buffered writes, fdatasync after each,
#    the classic fsync-latency job);
#  - `millstream bench produce` (librdkafka): 100 B and 1 KiB records, acks=1 and
#    acks=all, 1 and 16 partitions, as fast as possible; then acks=all 1 KiB at
#    half and a tenth of the peak rate for the ack latency (linger.ms 5 and 1);
#    `millstream bench consume` reads back;
#  - bench/peer_bench against Redis Streams (AOF appendfsync everysec and always)
#    and NATS JetStream (file storage), from Debian's packages, each with two
#    client shapes (1 and 8 connections), keeping the better.
# Every server listens on 127.0.0.1 only, on a free port, with its data under
# $DIR. Client and servers share the machine's cores. Prints a Markdown report
# of ratios; raw JSON stays in $OUT.
#
#   bench/run_broker.sh [--quick]        (tools/dev bench broker runs it after building)
# Environment: MILLSTREAM_BENCH_DIR (default /tmp), the file system measured;
# DURATION (seconds per run, default 10; --quick: 3).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${MILLSTREAM_BENCH_DIR:-/tmp}/millstream-broker-bench
OUT=${OUT:-$ROOT/build/bench-results/broker}
DURATION=${DURATION:-10}
FIO_SIZE=2G
if [ "${1:-}" = "--quick" ]; then DURATION=3; FIO_SIZE=512M; fi
MS="$ROOT/build/millstream"
PEER="$ROOT/build/bench/peer_bench"
rm -rf "$DIR" "$OUT"
mkdir -p "$DIR" "$OUT"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # port
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}
stop_last() { kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'; }

echo "fio ..." >&2
fio --name=ceiling --directory="$DIR" --rw=write --bs=1M --size="$FIO_SIZE" --direct=1 \
  --fdatasync=1 --ioengine=psync --end_fsync=1 --unlink=1 --output-format=json \
  --output="$OUT/fio-ceiling.json" >/dev/null
fio --name=sync-latency --directory="$DIR" --rw=write --bs=4k --size=64M --direct=0 \
  --fdatasync=1 --ioengine=sync --unlink=1 --output-format=json \
  --output="$OUT/fio-sync-latency.json" >/dev/null

echo "millstream ..." >&2
PORT=$(free_port)
"$MS" serve --data-dir "$DIR/millstream" --listen "127.0.0.1:$PORT" --http 127.0.0.1:0 >"$OUT/millstream.log" 2>&1 &
PIDS+=($!)
wait_port "$PORT"
B="--bootstrap=127.0.0.1:$PORT"
for size in 100 1024; do
  for acks in 1 all; do
    for parts in 1 16; do
      name="ms-$size-acks$acks-p$parts"
      "$MS" bench produce "$B" --topic "$name" --partitions "$parts" --record-bytes "$size" \
        --acks "$acks" --duration "$DURATION" --json "$OUT/$name.json"
      if [ "$acks" = all ] && [ "$parts" = 16 ]; then
        "$MS" bench consume "$B" --topic "$name" --records 3000000 --json "$OUT/consume-$size.json"
      fi
      "$MS" topic delete "$B" "$name" >/dev/null
    done
  done
done
# Ack latency below the peak: acks=all, 1 KiB, 16 partitions, at a fraction of
# that run's peak rate, with librdkafka's default linger.ms (5) and with 1 ms.
peak=$(python3 -c "import json;print(json.load(open('$OUT/ms-1024-acksall-p16.json'))['records_per_s'])")
for point in "0.5 5" "0.5 1" "0.1 1"; do
  set -- $point
  rate=$(python3 -c "print(int($peak * $1))")
  "$MS" bench produce "$B" --topic "rate-$1-linger$2" --partitions 16 --record-bytes 1024 \
    --acks all --duration "$DURATION" --rate "$rate" --linger-ms "$2" \
    --json "$OUT/ms-rate-$1-linger$2.json"
  "$MS" topic delete "$B" "rate-$1-linger$2" >/dev/null
done
stop_last

run_peer() {  # peer size label
  local c best=""
  for c in 1 8; do
    "$PEER" "$1" --port "$PORT" --record-bytes "$2" --duration "$DURATION" --connections "$c" \
      --window 1024 --json "$OUT/$3-$2-c$c.json"
  done
  python3 - "$OUT" "$3-$2" <<'PY'
import json, sys, os, shutil
out, name = sys.argv[1], sys.argv[2]
runs = [f"{name}-c{c}.json" for c in (1, 8)]
best = max(runs, key=lambda f: json.load(open(os.path.join(out, f)))["records_per_s"])
shutil.copy(os.path.join(out, best), os.path.join(out, name + ".json"))
PY
}

for fsync in everysec always; do
  echo "redis appendfsync $fsync ..." >&2
  PORT=$(free_port)
  mkdir -p "$DIR/redis-$fsync"
  redis-server --bind 127.0.0.1 --port "$PORT" --dir "$DIR/redis-$fsync" --appendonly yes \
    --appendfsync "$fsync" --save '' --daemonize no --logfile "$OUT/redis-$fsync.log" &
  PIDS+=($!)
  wait_port "$PORT"
  for size in 100 1024; do run_peer redis "$size" "redis-$fsync"; done
  stop_last
done

echo "nats jetstream ..." >&2
PORT=$(free_port)
nats-server -js -sd "$DIR/nats" -a 127.0.0.1 -p "$PORT" >"$OUT/nats.log" 2>&1 &
PIDS+=($!)
wait_port "$PORT"
for size in 100 1024; do run_peer nats "$size" nats; done
stop_last

python3 "$ROOT/bench/broker_report.py" "$OUT"
