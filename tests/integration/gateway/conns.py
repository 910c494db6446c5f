#!/usr/bin/env python3
"""conns.py - hold TLS connections open and report what happens to them.

usage: conns.py PORT CAFILE N [--auth USER:TOKEN] [--path P] [--hold S]
                [--rss-pid PID] [--tls13]

Opens N connections one after the other; on each, sends one GET (if --auth
or --path is given) and records the status (or "closed"/"refused"). Then
holds them for --hold seconds and, with --rss-pid, prints that process's
RSS. Output: one line "statuses=<comma list> rss_kib=<n> open_after_hold=<n>".
"""
import base64
import socket
import ssl
import sys
import time


def main():
    a = sys.argv[1:]
    port, cafile, n = int(a[0]), a[1], int(a[2])
    auth, path, hold, pid, tls13 = None, None, 0.0, None, False
    i = 3
    while i < len(a):
        if a[i] == "--auth":
            auth = a[i + 1]; i += 2
        elif a[i] == "--path":
            path = a[i + 1]; i += 2
        elif a[i] == "--hold":
            hold = float(a[i + 1]); i += 2
        elif a[i] == "--rss-pid":
            pid = int(a[i + 1]); i += 2
        elif a[i] == "--tls13":
            tls13 = True; i += 1
        else:
            sys.exit("unknown argument " + a[i])
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    if tls13:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    conns, statuses = [], []
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            t = ctx.wrap_socket(s, server_hostname="127.0.0.1")
        except (OSError, ssl.SSLError):
            statuses.append("refused")
            continue
        if path or auth:
            req = "GET %s HTTP/1.1\r\nHost: x\r\n" % (path or "/v1/whoami")
            if auth:
                req += "Authorization: Basic " + base64.b64encode(auth.encode()).decode() + "\r\n"
            try:
                t.sendall((req + "\r\n").encode())
                f = t.makefile("rb")
                line = f.readline()
                if not line:
                    statuses.append("closed")
                    continue
                code = line.split()[1].decode()
                length = 0
                while True:
                    h = f.readline()
                    if h in (b"\r\n", b""):
                        break
                    if h.lower().startswith(b"content-length:"):
                        length = int(h.split(b":")[1])
                f.read(length)
                statuses.append(code)
            except (OSError, ssl.SSLError):
                statuses.append("closed")
                continue
        else:
            statuses.append("open")
        conns.append(t)
    time.sleep(hold)
    rss = -1
    if pid:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
    alive = 0
    for t in conns:
        t.setblocking(False)
        try:
            b = t.recv(1)
            if b:
                alive += 1
        except ssl.SSLWantReadError:
            alive += 1
        except (OSError, ssl.SSLError):
            pass
    summary = {}
    for s in statuses:
        summary[s] = summary.get(s, 0) + 1
    print("statuses=%s rss_kib=%d open_after_hold=%d" %
          (",".join("%s:%d" % kv for kv in sorted(summary.items())), rss, alive))


main()
