#!/usr/bin/env python3
"""The Markdown report of bench/run_broker.sh: reads the JSON results in the
folder given and prints the tables and the goals of issue 3 as ratios."""
import json
import os
import sys

out = sys.argv[1]


def load(name):
    return json.load(open(os.path.join(out, name + ".json")))


fio_ceiling = json.load(open(os.path.join(out, "fio-ceiling.json")))["jobs"][0]
ceiling_bps = fio_ceiling["write"]["bw_bytes"]
fio_sync = json.load(open(os.path.join(out, "fio-sync-latency.json")))["jobs"][0]
sync_p99_ms = fio_sync["sync"]["lat_ns"]["percentile"]["99.000000"] / 1e6

print(f"fio durable ceiling (1 MiB O_DIRECT writes + fdatasync): {ceiling_bps / 1e6:.0f} MB/s; "
      f"fdatasync p99 after 4 KiB writes: {sync_p99_ms:.2f} ms")
print()
print("| Millstream (librdkafka) | records/s | MB/s | ack p50 ms | ack p99 ms | ack p999 ms |")
print("|---|---:|---:|---:|---:|---:|")
for size in (100, 1024):
    for acks in ("1", "all"):
        for parts in (1, 16):
            r = load(f"ms-{size}-acks{acks}-p{parts}")
            lat = r["ack_latency_ms"]
            print(f"| {size} B, acks={acks}, {parts} partitions | {r['records_per_s']:.0f} | "
                  f"{r['mb_per_s']:.0f} | {lat['p50']:.1f} | {lat['p99']:.1f} | {lat['p999']:.1f} |")
for fraction, linger in (("0.5", 5), ("0.5", 1), ("0.1", 1)):
    r = load(f"ms-rate-{fraction}-linger{linger}")
    lat = r["ack_latency_ms"]
    print(f"| 1024 B, acks=all, 16 partitions, {r['rate_target']:.0f} records/s ({fraction} of the "
          f"peak), linger.ms={linger} | {r['records_per_s']:.0f} | {r['mb_per_s']:.0f} | "
          f"{lat['p50']:.2f} | {lat['p99']:.2f} | {lat['p999']:.2f} |")
half = load("ms-rate-0.5-linger5")
for size in (100, 1024):
    c = load(f"consume-{size}")
    print(f"| consume {size} B records, 16 partitions | {c['records_per_s']:.0f} | {c['mb_per_s']:.0f} | | | |")
print()
print("| Peer (bench/peer_bench) | durability of an ack | records/s | MB/s | ack p50 ms | ack p99 ms |")
print("|---|---|---:|---:|---:|---:|")
peers = {
    "redis-everysec": "written; fsync each second",
    "redis-always": "fsync before the reply",
    "nats": "written; no fsync (2.9.10)",
}
for peer, durability in peers.items():
    for size in (100, 1024):
        r = load(f"{peer}-{size}")
        lat = r["ack_latency_ms"]
        print(f"| {peer} {size} B | {durability} | {r['records_per_s']:.0f} | {r['mb_per_s']:.0f} | "
              f"{lat['p50']:.1f} | {lat['p99']:.1f} |")
print()


def best(name, size):
    return max(load(f"ms-{size}-acks{name}-p{p}")["records_per_s"] for p in (1, 16))


def best_mbps(size):
    return max(load(f"ms-{size}-acksall-p{p}")["mb_per_s"] for p in (1, 16)) * 1e6


goal_rows = []
ratio = best_mbps(1024) / ceiling_bps
goal_rows.append(("acks=all 1 KiB throughput / fio durable ceiling", ratio, ">= 0.50", ratio >= 0.5))
for size, want in ((100, 3.0), (1024, 2.0)):
    ratio = best("all", size) / load(f"redis-always-{size}")["records_per_s"]
    goal_rows.append((f"acks=all {size} B records/s / Redis appendfsync always", ratio,
                      f">= {want:.0f}", ratio >= want))
for size in (100, 1024):
    peer_best = max(load(f"{p}-{size}")["records_per_s"] for p in ("redis-everysec", "nats"))
    ratio = best("1", size) / peer_best
    goal_rows.append((f"acks=1 {size} B records/s / best page-cache peer (Redis everysec, NATS)",
                      ratio, "(reported)", None))
ratio = half["ack_latency_ms"]["p99"] / sync_p99_ms
goal_rows.append(("acks=all p99 ack latency at half the peak (linger.ms=5) / fio fdatasync p99",
                  ratio, "< 3", ratio < 3))
ratio = load("ms-rate-0.5-linger1")["ack_latency_ms"]["p99"] / sync_p99_ms
goal_rows.append(("the same with linger.ms=1", ratio, "< 3", ratio < 3))
print("| Goal | ratio | wanted | met |")
print("|---|---:|---|---|")
for what, ratio, want, met in goal_rows:
    mark = "" if met is None else ("yes" if met else "**no**")
    print(f"| {what} | {ratio:.2f} | {want} | {mark} |")
