#!/usr/bin/env bash
# Storage figures for docs/benchmarks.md, all from one run on one directory:
#  - fio: sequential writes with an fdatasync after each, O_DIRECT (the durable
#    ceiling) and buffered, at the write sizes the engine issues;
#  - bench/append_bench: PartitionLog append throughput, durable and written-only;
#  - bench/recovery_bench: recovery after SIGKILL of a 2 GiB partition, index rebuild.
# Prints a Markdown table of ratios; raw JSON stays in $OUT.
#
#   bench/run_storage.sh [--quick]     (tools/dev bench runs it after building)
# Environment: MILLSTREAM_BENCH_DIR (default /tmp), the file system measured.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${MILLSTREAM_BENCH_DIR:-/tmp}
OUT=${OUT:-$ROOT/build/bench-results}
SIZE=2G
MIN_TIME=2
if [ "${1:-}" = "--quick" ]; then SIZE=512M; MIN_TIME=0.5; fi
mkdir -p "$OUT"
FIO_DIR="$DIR/millstream-fio"
mkdir -p "$FIO_DIR"

fio_job() {  # name bs direct
  fio --name="$1" --directory="$FIO_DIR" --rw=write --bs="$2" --size="$SIZE" \
    --direct="$3" --fdatasync=1 --ioengine=psync --end_fsync=1 --unlink=1 \
    --output-format=json --output="$OUT/fio-$1.json" >/dev/null
}

echo "fio on $DIR ..." >&2
for bs in 16k 64k 256k 1M; do fio_job "direct-$bs" "$bs" 1; done
fio_job "buffered-1M" 1M 0
rmdir "$FIO_DIR" 2>/dev/null || true

echo "append_bench ..." >&2
MILLSTREAM_BENCH_DIR="$DIR" "$ROOT/build/bench/append_bench" --benchmark_min_time="$MIN_TIME" \
  --benchmark_format=json --benchmark_out="$OUT/append.json" >/dev/null
echo "recovery_bench ..." >&2
MILLSTREAM_BENCH_DIR="$DIR" "$ROOT/build/bench/recovery_bench" >"$OUT/recovery.jsonl"

python3 - "$OUT" <<'PY'
import json, sys, os
out = sys.argv[1]
def fio(name):
    job = json.load(open(os.path.join(out, f"fio-{name}.json")))["jobs"][0]
    bw = job["write"]["bw_bytes"]
    sync = job.get("sync", {}).get("lat_ns", {}).get("percentile", {})
    return bw, sync.get("99.000000", 0) / 1e6
ceil = {}
print("| fio, sequential write + fdatasync each | MB/s | fdatasync p99 (ms) |")
print("|---|---:|---:|")
for name in ["direct-16k", "direct-64k", "direct-256k", "direct-1M", "buffered-1M"]:
    bw, p99 = fio(name)
    ceil[name] = bw
    print(f"| {name} | {bw/1e6:.0f} | {p99:.2f} |")
print()
bench = json.load(open(os.path.join(out, "append.json")))["benchmarks"]
print("| append_bench | records/s | MB/s | ratio to fio direct-1M |")
print("|---|---:|---:|---:|")
for b in bench:
    if b.get("error_occurred"): continue
    name = b["name"].replace("BM_Append/", "").replace("/min_time", " min_time").split(" ")[0]
    bps = b["bytes_per_second"]
    print(f"| {name} | {b['items_per_second']:.0f} | {bps/1e6:.0f} | {bps/ceil['direct-1M']:.2f} |")
print()
print("| recovery_bench | seconds | bytes scanned | MB/s | cold cache |")
print("|---|---:|---:|---:|---|")
for line in open(os.path.join(out, "recovery.jsonl")):
    r = json.loads(line)
    print(f"| {r['what']} ({r['log_bytes']/2**30:.2f} GiB) | {r['seconds']:.3f} | {r['bytes_scanned']} | {r['scan_mb_per_s']} | {r['cold_cache']} |")
PY
