#!/usr/bin/env python3
"""idle_conns.py - open N TLS 1.3 connections to a server, make one request
on each (keep-alive), then hold them all idle and print the server's RSS.

usage: idle_conns.py HOST PORT CAFILE N PID [PATH] [USER:TOKEN] [HOLD_SECONDS]
"""
import asyncio
import base64
import ssl
import sys


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


async def one(host, port, ctx, path, auth, conns, sem):
    async with sem:
        r, w = await asyncio.open_connection(host, port, ssl=ctx, server_hostname=host)
        req = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
        if auth:
            req += "Authorization: Basic " + base64.b64encode(auth.encode()).decode() + "\r\n"
        w.write((req + "\r\n").encode())
        await w.drain()
        head = await r.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if length:
            await r.readexactly(length)
        conns.append((r, w))


async def main():
    host, port, cafile, n, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    path = sys.argv[6] if len(sys.argv) > 6 else "/"
    auth = sys.argv[7] if len(sys.argv) > 7 else ""
    hold = float(sys.argv[8]) if len(sys.argv) > 8 else 2.0
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    before = rss_kib(pid)
    conns = []
    sem = asyncio.Semaphore(64)
    await asyncio.gather(*(one(host, port, ctx, path, auth, conns, sem) for _ in range(n)))
    await asyncio.sleep(hold)
    after = rss_kib(pid)
    print(f"connections={len(conns)} rss_before_kib={before} rss_idle_kib={after}")
    for _, w in conns:
        w.close()


asyncio.run(main())
