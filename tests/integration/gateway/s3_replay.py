#!/usr/bin/env python3
"""s3_replay.py SOCKET KEYFILE BUCKET KEY - what a compromised gateway could
try with a client's captured SigV4 signature, sent straight to vaultd's
socket (the gateway's side of common/wire.h). The signature is computed
here from the documented algorithm (an independent implementation of
vault/s3auth.c's check):

  1. a GET of BUCKET/KEY, signed now, as GetObject: accepted (sanity);
  2. the same signature presented for DeleteObject: refused;
  3. the same signature presented for GetObject of another key: refused;
  4. the same signature presented as a credential for a non-S3 operation
     (VAULT_LIST): refused;
  5. a GET signed 20 minutes ago: refused (RequestTimeTooSkewed);
  6. a wrong signature: refused.
Exit 0 when every outcome is as stated.
"""
import datetime
import hashlib
import hmac
import os
import re
import socket
import struct
import sys
import urllib.parse

SRC = os.environ["VG_SRC"]


def enum(path, name):
    text = open(path).read()
    body = re.search(r"enum %s \{(.*?)\};" % name, text, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    vals, n = {}, 0
    for part in body.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            k, v = [x.strip() for x in part.split("=")]
            n = int(v) if v.isdigit() else vals[v]
        else:
            k = part
        vals[k] = n
        n += 1
    return vals


TAG = enum(SRC + "/common/wire.h", "vg_tag")
OP = enum(SRC + "/common/ops.h", "vg_op")


def field(tag, val):
    if isinstance(val, int):
        val = struct.pack(">I", val)
    elif isinstance(val, str):
        val = val.encode()
    return struct.pack(">HI", TAG[tag], len(val)) + val


def frame(ftype, reqid, payload):
    return b"VG" + bytes([ftype, 0]) + struct.pack(">II", reqid, len(payload)) + payload


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b


def recv_frame(s):
    h = recv_exact(s, 12)
    n = struct.unpack(">I", h[8:12])[0]
    p = recv_exact(s, n)
    fields, off = {}, 0
    if h[2] != 5:
        while off < n:
            t, ln = struct.unpack(">HI", p[off:off + 6])
            fields[t] = p[off + 6:off + 6 + ln]
            off += 6 + ln
    return h[2], fields


def status(fields):
    v = fields.get(TAG["VG_TAG_STATUS"], b"\0\0\0\0")
    v = struct.unpack(">I", v)[0]
    return v - (1 << 32) if v >= 1 << 31 else v


def hm(k, m):
    return hmac.new(k, m.encode(), hashlib.sha256).digest()


def sign(secret, akid, method, path, host, when):
    amz = when.strftime("%Y%m%dT%H%M%SZ")
    d8 = amz[:8]
    payload = hashlib.sha256(b"").hexdigest()
    canon = "\n".join([method, path, "", "host:" + host, "x-amz-content-sha256:" + payload,
                       "x-amz-date:" + amz, "", "host;x-amz-content-sha256;x-amz-date", payload])
    scope = "%s/us-east-1/s3/aws4_request" % d8
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canon.encode()).hexdigest()])
    k = hm(hm(hm(hm(("AWS4" + secret).encode(), d8), "us-east-1"), "s3"), "aws4_request")
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return {"cred": "%s/%s" % (akid, scope), "date": amz, "canon": canon, "sig": sig}


class Vaultd:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.reqid = 1
        self.s.sendall(frame(1, 0, field("VG_TAG_VERSION", 1)))
        t, f = recv_frame(self.s)
        assert t == 2, "no WELCOME"

    def call(self, op, fields, sig):
        self.reqid += 1
        p = field("VG_TAG_OP", OP[op])
        p += field("VG_TAG_S3_CRED", sig["cred"]) + field("VG_TAG_S3_DATE", sig["date"])
        p += field("VG_TAG_S3_SIG", sig["sig"]) + field("VG_TAG_S3_CANON", sig["canon"])
        for k, v in fields:
            p += field(k, v)
        self.s.sendall(frame(3, self.reqid, p))
        t, f = recv_frame(self.s)
        st = status(f)
        msg = f.get(TAG["VG_TAG_MESSAGE"], b"").decode(errors="replace")
        if st == 0 and op == "VG_OP_S3_READ":
            # drain a download: DATA frames until END
            while t != 6:
                t, f = recv_frame(self.s)
        return st, msg


def main():
    sock, keyfile, bucket, key = sys.argv[1:5]
    kv = dict(l.strip().split("=", 1) for l in open(keyfile) if "=" in l)
    akid, secret = kv["AWS_ACCESS_KEY_ID"], kv["AWS_SECRET_ACCESS_KEY"]
    host = "127.0.0.1:1"
    path = "/%s/%s" % (bucket, urllib.parse.quote(key, safe="/~"))
    now = datetime.datetime.now(datetime.timezone.utc)
    good = sign(secret, akid, "GET", path, host, now)
    base = [("VG_TAG_VAULT", "s3v"), ("VG_TAG_ITEM", bucket)]
    ok = True

    def expect(what, res, want_ok, needle=""):
        nonlocal ok
        st, msg = res
        good_outcome = (st == 0) if want_ok else (st != 0 and needle in msg)
        print("%s: %s status %d %s" % ("ok" if good_outcome else "FAIL", what, st, msg))
        ok = ok and good_outcome

    v = Vaultd(sock)
    expect("GetObject with its own signature",
           v.call("VG_OP_S3_READ", base + [("VG_TAG_KIND", "GetObject"),
                                           ("VG_TAG_S3_KEY", key)], good), True)
    v = Vaultd(sock)
    expect("the GET signature replayed as DeleteObject",
           v.call("VG_OP_S3_WRITE", base + [("VG_TAG_KIND", "DeleteObject"),
                                            ("VG_TAG_S3_KEY", key)], good), False,
           "SignatureDoesNotMatch")
    v = Vaultd(sock)
    expect("the GET signature replayed for another key",
           v.call("VG_OP_S3_READ", base + [("VG_TAG_KIND", "GetObject"),
                                           ("VG_TAG_S3_KEY", key + ".other")], good), False,
           "SignatureDoesNotMatch")
    v = Vaultd(sock)
    expect("the GET signature as a credential for vault.list",
           v.call("VG_OP_VAULT_LIST", [], good), False, "AccessDenied")
    v = Vaultd(sock)
    old = sign(secret, akid, "GET", path, host, now - datetime.timedelta(minutes=20))
    expect("a GET signed 20 minutes ago",
           v.call("VG_OP_S3_READ", base + [("VG_TAG_KIND", "GetObject"),
                                           ("VG_TAG_S3_KEY", key)], old), False,
           "RequestTimeTooSkewed")
    v = Vaultd(sock)
    bad = dict(good, sig=("0" if good["sig"][0] != "0" else "1") + good["sig"][1:])
    expect("a wrong signature",
           v.call("VG_OP_S3_READ", base + [("VG_TAG_KIND", "GetObject"),
                                           ("VG_TAG_S3_KEY", key)], bad), False,
           "SignatureDoesNotMatch")
    sys.exit(0 if ok else 1)


main()
