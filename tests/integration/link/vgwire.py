#!/usr/bin/env python3
"""vgwire.py - speaks vaultd's framed protocol (common/wire.h) directly, the
way a compromised gateway (or any member of the socket's group) could.

  vgwire.py SOCK call OPNUM [tag=value ...]
      HELLO, one REQ, prints the RESP as `status=N principal=P message=M`.
      Tags: user=, token=@FILE (read from a file, never from argv),
      cert=HEX (32 bytes), peer=, vault=.
  vgwire.py SOCK hold N [hello]
      opens N connections (after a HELLO each with `hello`), prints
      `held K` (how many vaultd accepted), and keeps them open until killed.
  vgwire.py SOCK probe
      connects and, without sending anything, waits up to 30 s for vaultd
      to close the connection; prints `closed after S` or `still open`.
"""
import socket
import struct
import sys
import time

VERSION, OP, STATUS, MESSAGE, VAULT = 1, 2, 3, 4, 5
AUTH_USER, AUTH_TOKEN, AUTH_CERT, PEER, PRINCIPAL = 15, 16, 17, 18, 21
F_HELLO, F_WELCOME, F_REQ, F_RESP = 1, 2, 3, 4
STR_TAGS = {"user": AUTH_USER, "token": AUTH_TOKEN, "peer": PEER, "vault": VAULT}


def field(tag, val):
    return struct.pack(">HI", tag, len(val)) + val


def frame(ftype, reqid, payload):
    return b"VG" + struct.pack(">BBII", ftype, 0, reqid, len(payload)) + payload


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise EOFError("vaultd closed the connection")
        b += chunk
    return b


def recv_frame(s):
    hdr = recv_exact(s, 12)
    ftype, _flags, _reqid, ln = struct.unpack(">BBII", hdr[2:12])
    payload = recv_exact(s, ln)
    fields, i = {}, 0
    while i < len(payload):
        tag, fl = struct.unpack(">HI", payload[i:i + 6])
        fields[tag] = payload[i + 6:i + 6 + fl]
        i += 6 + fl
    return ftype, fields


def hello(s):
    s.sendall(frame(F_HELLO, 1, field(VERSION, struct.pack(">I", 1))))
    ftype, _ = recv_frame(s)
    if ftype != F_WELCOME:
        raise RuntimeError("no WELCOME")


def call(path, op, args):
    body = field(OP, struct.pack(">I", op))
    for a in args:
        k, v = a.split("=", 1)
        if k == "cert":
            body += field(AUTH_CERT, bytes.fromhex(v))
        elif k == "token" and v.startswith("@"):
            with open(v[1:]) as f:
                body += field(AUTH_TOKEN, f.read().strip().encode())
        elif k in STR_TAGS:
            body += field(STR_TAGS[k], v.encode())
        else:
            raise SystemExit("unknown field " + k)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    hello(s)
    s.sendall(frame(F_REQ, 2, body))
    _, f = recv_frame(s)
    st = struct.unpack(">i", f.get(STATUS, b"\0\0\0\0"))[0]
    print("status=%d principal=%s message=%s" % (
        st, f.get(PRINCIPAL, b"").decode(), f.get(MESSAGE, b"").decode()))
    s.close()


def hold(path, n, do_hello):
    conns = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            if do_hello:
                hello(s)
        except (OSError, EOFError, RuntimeError):
            s.close()
            continue
        conns.append(s)
    # Give vaultd a moment to close what it refused, then count the living.
    time.sleep(0.5)
    alive = 0
    for s in conns:
        s.setblocking(False)
        try:
            alive += 0 if s.recv(1, socket.MSG_PEEK) == b"" else 1
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    print("held %d" % alive, flush=True)
    while True:
        time.sleep(3600)


def probe(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(30)
    t0 = time.monotonic()
    try:
        s.recv(65536)
        print("closed after %.1f" % (time.monotonic() - t0))
    except socket.timeout:
        print("still open")


def main():
    path, cmd = sys.argv[1], sys.argv[2]
    if cmd == "call":
        call(path, int(sys.argv[3]), sys.argv[4:])
    elif cmd == "hold":
        hold(path, int(sys.argv[3]), len(sys.argv) > 4 and sys.argv[4] == "hello")
    elif cmd == "probe":
        probe(path)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
