#!/usr/bin/env python3
"""Replay and checkpoint costs, each next to a limit measured in the same run.

  bench/checkpoint_bench.py [--millstream build/millstream] [--mib 1024] [--dir DIR]

1. Fills a 4-partition topic with --mib MiB of 1 KiB uncompressed records
   (`millstream bench produce`, acks=1) between two checkpoints, stops the broker.
2. fio: sequential buffered read of exactly those segment files, page cache
   dropped first (the limit for reading them).
3. Offline replay (`--verify-only`: CRC-32C of every batch, seal digests, record
   decoding, SHA-256 over every record) from a cold page cache: bytes/s as a ratio
   to fio; then from a warm cache: records/s.
4. Checkpoint creation with 1,000 partitions (one topic of 1,000, each with a
   record), 20 times: median and max, and the same while a producer appends.

Needs root for /proc/sys/vm/drop_caches. Prints a Markdown table for
docs/benchmarks.md. Everything listens on 127.0.0.1; the data lives under --dir
and is removed at the end.
"""
import argparse
import glob
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time


class Broker:
    def __init__(self, binary, data_dir):
        self.proc = subprocess.Popen(
            [binary, "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log = ""
        while "serving data directory" not in log:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("the broker did not start:\n" + log)
            log += line
        self.kafka = int(re.search(r"Kafka listener on 127\.0\.0\.1:(\d+)", log).group(1))
        self.http = int(re.search(r"HTTP listener on 127\.0\.0\.1:(\d+)", log).group(1))
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def call(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.http, timeout=120)
        conn.request(method, path, body=json.dumps(body) if body is not None else None)
        r = conn.getresponse()
        data = r.read()
        if r.status >= 300:
            raise SystemExit(f"{method} {path}: {r.status} {data[:300]!r}")
        return json.loads(data)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=120)


def drop_caches():
    subprocess.run(["sync"], check=True)
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def fio_read(files):
    out = subprocess.run(
        ["fio", "--name=seqread", "--rw=read", "--bs=1M", "--direct=0", "--ioengine=psync", "--readonly",
         "--filename=" + ":".join(files), "--output-format=json"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)["jobs"][0]["read"]["bw_bytes"]


def timed(cmd):
    t = time.monotonic()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return time.monotonic() - t, out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--millstream", default="build/millstream")
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    base = args.dir or tempfile.mkdtemp(prefix="ms-checkpoint-bench-")
    data = os.path.join(base, "data")
    ms = args.millstream
    rows = []
    try:
        broker = Broker(ms, data)
        broker.call("POST", "/api/v1/topics", {"name": "audit", "partitions": 4})
        broker.call("POST", "/api/v1/checkpoints", {"name": "start"})
        records = args.mib * 1024
        subprocess.run([ms, "bench", "produce", f"--bootstrap=127.0.0.1:{broker.kafka}", "--topic", "audit",
                        "--partitions", "4", "--record-bytes", "1024", "--acks", "1", "--records", str(records),
                        "--json", "-"], check=True, capture_output=True)
        broker.call("POST", "/api/v1/checkpoints", {"name": "end"})

        # Checkpoint creation with 1,000 partitions, idle and under a producer.
        broker.call("POST", "/api/v1/topics", {"name": "wide", "partitions": 1000})
        def take(n, prefix):
            times = []
            for i in range(n):
                t = time.monotonic()
                broker.call("POST", "/api/v1/checkpoints", {"name": f"{prefix}-{i}", "topics": ["wide"]})
                times.append(time.monotonic() - t)
            times.sort()
            return times[len(times) // 2], times[-1]
        idle = take(20, "idle")
        load = subprocess.Popen([ms, "bench", "produce", f"--bootstrap=127.0.0.1:{broker.kafka}", "--topic",
                                 "load", "--partitions", "16", "--record-bytes", "1024", "--acks", "all",
                                 "--duration", "15"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(2)
        busy = take(20, "busy")
        load.wait()
        broker.stop()

        files = sorted(glob.glob(os.path.join(data, "topics", "audit", "*", "*.log")))
        total = 0
        for f in files:
            total += os.path.getsize(f)
        drop_caches()
        fio_bw = fio_read(files)
        replay = [ms, "replay", "--from", "start", "--to", "end", "--data-dir", data, "--verify-only",
                  "--topics", "audit"]
        drop_caches()
        cold_s, out = timed(replay)
        got = int(re.search(r"^records\t(\d+)", out, re.M).group(1))
        warm_s, _ = timed(replay)
        rows.append(("fio sequential read of the segment files (cold cache)", f"{fio_bw / 1e6:.0f} MB/s", "limit"))
        rows.append((f"offline replay --verify-only, cold cache ({got} records, {total / 2**20:.0f} MiB of files)",
                     f"{total / cold_s / 1e6:.0f} MB/s", f"{total / cold_s / fio_bw:.2f} of fio"))
        rows.append(("offline replay --verify-only, warm cache", f"{got / warm_s / 1e6:.2f} M records/s "
                     f"({total / warm_s / 1e6:.0f} MB/s)", ""))
        rows.append(("checkpoint of 1,000 partitions, idle broker (20 runs)",
                     f"median {idle[0] * 1000:.1f} ms, max {idle[1] * 1000:.1f} ms", ""))
        rows.append(("same, while a producer appends (acks=all, 16 partitions)",
                     f"median {busy[0] * 1000:.1f} ms, max {busy[1] * 1000:.1f} ms", ""))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print("| measure | value | ratio |")
    print("|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":
    sys.exit(main())
