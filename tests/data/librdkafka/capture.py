#!/usr/bin/env python3
"""Captures the request frames a real client sends, for golden-byte tests.

A TCP proxy on 127.0.0.1: it forwards a client's connections to a running broker
and writes every client-to-broker frame (without its 4-byte size prefix) to
OUT_DIR/<n>_<api key>_v<version>.bin. Used once to record librdkafka 2.0.2 (kcat)
talking to `millstream serve`; the recorded files are in this folder.

    capture.py LISTEN_PORT BROKER_PORT OUT_DIR SECONDS
"""
import os
import socket
import struct
import sys
import threading
import time

listen_port, broker_port, out_dir, seconds = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
os.makedirs(out_dir, exist_ok=True)
counter = [0]
lock = threading.Lock()


def pump(src, dst, record):
    buf = b""
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            return
        if not data:
            dst.close()
            return
        dst.sendall(data)
        if not record:
            continue
        buf += data
        while len(buf) >= 4:
            size = struct.unpack(">i", buf[:4])[0]
            if len(buf) < 4 + size:
                break
            frame, buf = buf[4:4 + size], buf[4 + size:]
            key, version = struct.unpack(">hh", frame[:4])
            with lock:
                counter[0] += 1
                name = "%03d_key%d_v%d.bin" % (counter[0], key, version)
            with open(os.path.join(out_dir, name), "wb") as f:
                f.write(frame)


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(16)
server.settimeout(0.5)
end = time.time() + seconds
while time.time() < end:
    try:
        client, _ = server.accept()
    except socket.timeout:
        continue
    broker = socket.create_connection(("127.0.0.1", broker_port))
    threading.Thread(target=pump, args=(client, broker, True), daemon=True).start()
    threading.Thread(target=pump, args=(broker, client, False), daemon=True).start()
