#!/usr/bin/env python3
"""The HTTP listener's costs, each next to a peer or limit measured in the same run.

  bench/http_bench.py [--millstream build/millstream] [--dir /tmp/ms-http-bench]

1. fio: serial 4 KiB write + fdatasync rate on the same file system (the limit of
   anything that makes one request durable before answering it).
2. Webhook produce, one client, one record per request, sequential over one
   keep-alive connection: requests/s without a key (one fdatasync each) and with
   an Idempotency-Key (two: the records, then the key), as ratios to the fio rate.
3. /metrics with 1,000 partitions and 10 groups: scrape time and page size.
4. Produce ack latency under scraping: `millstream bench produce` at a fixed rate,
   acks=all, alone and with /metrics scraped 10 times a second; p99 ratio.

Prints a Markdown table (docs/benchmarks.md, "HTTP listener"). Everything listens
on 127.0.0.1 only; the data lives under --dir and is removed at the end.
"""
import argparse
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


def fio_sync_rate(directory):
    out = subprocess.run(
        ["fio", "--name=sync", f"--directory={directory}", "--rw=write", "--bs=4k", "--size=32M",
         "--direct=0", "--fdatasync=1", "--ioengine=sync", "--unlink=1", "--runtime=10",
         "--time_based=0", "--output-format=json"],
        check=True, capture_output=True, text=True).stdout
    job = json.loads(out)["jobs"][0]["write"]
    return job["iops"]


class Broker:
    def __init__(self, binary, data_dir):
        self.proc = subprocess.Popen(
            [binary, "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log = ""
        while "serving data directory" not in self.log:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("the broker did not start:\n" + self.log)
            self.log += line
        self.kafka = int(re.search(r"Kafka listener on 127\.0\.0\.1:(\d+)", self.log).group(1))
        self.http = int(re.search(r"HTTP listener on 127\.0\.0\.1:(\d+)", self.log).group(1))
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()  # keep the pipe drained

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def call(conn, method, path, body=None, headers=None):
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers or {})
        r = conn.getresponse()
    except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
        conn.close()  # the server ended the keep-alive connection: once more on a new one
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers or {})
        r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:200]!r}")
    return data


def webhook_rate(port, topic, seconds, keyed):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    body = {"records": [{"key": "SUP-1", "value": {"asn": "A-1", "lines": 3}}]}
    n = 0
    end = time.monotonic() + seconds
    start = time.monotonic()
    while time.monotonic() < end:
        headers = {"Idempotency-Key": f"bench-{n}"} if keyed else {}
        call(conn, "POST", f"/api/v1/topics/{topic}/records", body, headers)
        n += 1
    return n / (time.monotonic() - start)


def scrape_stats(port, count):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    times, size = [], 0
    for _ in range(count):
        t = time.monotonic()
        size = len(call(conn, "GET", "/metrics"))
        times.append(time.monotonic() - t)
    times.sort()
    return times[len(times) // 2], times[-1], size


def produce_p99(binary, kafka_port, topic, rate, seconds, scrape_port=None):
    stop = threading.Event()
    scrapes = [0]

    def scraper():
        conn = http.client.HTTPConnection("127.0.0.1", scrape_port)
        while not stop.is_set():
            call(conn, "GET", "/metrics")
            scrapes[0] += 1
            stop.wait(0.1)

    thread = threading.Thread(target=scraper) if scrape_port else None
    if thread:
        thread.start()
    out = subprocess.run(
        [binary, "bench", "produce", f"--bootstrap=127.0.0.1:{kafka_port}", "--topic", topic,
         "--partitions", "4", "--record-bytes", "1024", "--acks", "all", "--rate", str(rate),
         "--duration", str(seconds), "--json", "-"],
        check=True, capture_output=True, text=True).stdout
    stop.set()
    if thread:
        thread.join()
    result = json.loads(out)
    return result, scrapes[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--millstream", default="build/millstream")
    parser.add_argument("--dir", default=None)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    base = args.dir or tempfile.mkdtemp(prefix="ms-http-bench-")
    os.makedirs(base, exist_ok=True)
    try:
        fio = fio_sync_rate(base)
        broker = Broker(args.millstream, os.path.join(base, "data"))
        try:
            conn = http.client.HTTPConnection("127.0.0.1", broker.http)
            call(conn, "POST", "/api/v1/topics", {"name": "webhooks", "partitions": 1})
            plain = webhook_rate(broker.http, "webhooks", args.seconds, keyed=False)
            keyed = webhook_rate(broker.http, "webhooks", args.seconds, keyed=True)

            call(conn, "POST", "/api/v1/topics", {"name": "wide", "partitions": 1000})
            median, worst, size = scrape_stats(broker.http, 30)

            alone, _ = produce_p99(args.millstream, broker.kafka, "acks", 5000, args.seconds)
            scraped, scrapes = produce_p99(args.millstream, broker.kafka, "acks", 5000, args.seconds,
                                           scrape_port=broker.http)
        finally:
            broker.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)

    def p99(r):
        return r["ack_latency_ms"]["p99"]

    print("| measure | value | ratio |")
    print("|---|---|---|")
    print(f"| fio 4 KiB write + fdatasync, serial | {fio:.0f} /s | limit |")
    print(f"| webhook produce, no key (1 fdatasync each) | {plain:.0f} req/s | {plain / fio:.2f} of fio |")
    print(f"| webhook produce, Idempotency-Key (2 fdatasyncs each) | {keyed:.0f} req/s | "
          f"{keyed / (fio / 2):.2f} of fio/2 |")
    print(f"| /metrics, 1,000 partitions | median {median * 1000:.1f} ms, max {worst * 1000:.1f} ms, "
          f"{size / 1024:.0f} KiB | |")
    print(f"| produce acks=all 5,000 rec/s, p99 alone | {p99(alone):.2f} ms | 1.00 |")
    print(f"| same, /metrics scraped every 100 ms ({scrapes} scrapes) | {p99(scraped):.2f} ms | "
          f"{p99(scraped) / p99(alone):.2f} of alone |")


if __name__ == "__main__":
    sys.exit(main())
