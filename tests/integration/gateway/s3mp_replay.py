#!/usr/bin/env python3
"""s3mp_replay.py SOCKET KEYFILE BUCKET KEY UPLOADID - what a compromised
gateway could try with a client's captured multipart signature, sent
straight to vaultd's socket (s3_replay.py's wire helpers and signing):

  1. ListParts of UPLOADID with its own signature: accepted (sanity);
  2. that signature presented for another upload id: refused;
  3. that signature presented as AbortMultipartUpload: refused;
  4. an UploadPart signature for part 1 presented for part 2: refused;
  5. an UploadPartCopy signature with a long x-amz-copy-source presented as
     UploadPart (whose body would then be the gateway's): refused.
Exit 0 when every outcome is as stated."""
import datetime
import hashlib
import hmac
import os
import sys
import urllib.parse

G = {"__name__": "s3_replay"}
SRC = open(os.environ["VG_SRC"] + "/tests/integration/gateway/s3_replay.py").read()
exec(SRC.rsplit("\nmain()", 1)[0], G)  # the helpers, not its main()
Vaultd, hm = G["Vaultd"], G["hm"]


def sign(secret, akid, method, path, query, host, when, payload, copy_source=None):
    amz = when.strftime("%Y%m%dT%H%M%SZ")
    d8 = amz[:8]
    hs = [("host", host), ("x-amz-content-sha256", payload), ("x-amz-date", amz)]
    if copy_source:
        hs.append(("x-amz-copy-source", copy_source))
    canon = "\n".join([method, path, query] + ["%s:%s" % h for h in hs] +
                      ["", ";".join(h[0] for h in hs), payload])
    scope = "%s/us-east-1/s3/aws4_request" % d8
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canon.encode()).hexdigest()])
    k = hm(hm(hm(hm(("AWS4" + secret).encode(), d8), "us-east-1"), "s3"), "aws4_request")
    return {"cred": "%s/%s" % (akid, scope), "date": amz, "canon": canon,
            "sig": hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()}


def main():
    sock, keyfile, bucket, key, uid = sys.argv[1:6]
    kv = dict(l.strip().split("=", 1) for l in open(keyfile) if "=" in l)
    akid, secret = kv["AWS_ACCESS_KEY_ID"], kv["AWS_SECRET_ACCESS_KEY"]
    host = "127.0.0.1:1"
    path = "/%s/%s" % (bucket, urllib.parse.quote(key, safe="/~"))
    now = datetime.datetime.now(datetime.timezone.utc)
    empty = hashlib.sha256(b"").hexdigest()
    lp = sign(secret, akid, "GET", path, "uploadId=" + uid, host, now, empty)
    base = [("VG_TAG_VAULT", "s3v"), ("VG_TAG_ITEM", bucket), ("VG_TAG_S3_KEY", key)]
    other = "%016x" % (int(uid, 16) ^ 1)
    ok = True

    def expect(what, res, want_ok, needle=""):
        nonlocal ok
        st, msg = res
        good = (st == 0) if want_ok else (st != 0 and needle in msg)
        print("%s: %s status %d %s" % ("ok" if good else "FAIL", what, st, msg))
        ok = ok and good

    expect("ListParts with its own signature",
           Vaultd(sock).call("VG_OP_S3_READ", base + [("VG_TAG_KIND", "ListParts"),
                                                      ("VG_TAG_POINT", uid)], lp), True)
    expect("the ListParts signature for another upload",
           Vaultd(sock).call("VG_OP_S3_READ", base + [("VG_TAG_KIND", "ListParts"),
                                                      ("VG_TAG_POINT", other)], lp), False,
           "SignatureDoesNotMatch")
    expect("the ListParts signature as AbortMultipartUpload",
           Vaultd(sock).call("VG_OP_S3_WRITE", base + [("VG_TAG_KIND", "AbortMultipartUpload"),
                                                       ("VG_TAG_POINT", uid)], lp), False,
           "SignatureDoesNotMatch")
    up = sign(secret, akid, "PUT", path, "partNumber=1&uploadId=" + uid, host, now, empty)
    import struct
    expect("an UploadPart signature for part 1 presented for part 2",
           Vaultd(sock).call("VG_OP_S3_WRITE", base + [
               ("VG_TAG_KIND", "UploadPart"), ("VG_TAG_POINT", uid),
               ("VG_TAG_COUNT", struct.pack(">Q", 2)), ("VG_TAG_SIZE", struct.pack(">Q", 0))],
               up), False, "SignatureDoesNotMatch")
    cp = sign(secret, akid, "PUT", path, "partNumber=1&uploadId=" + uid, host, now,
              "UNSIGNED-PAYLOAD", "/%s/%s" % (bucket, "a-long-source-key/" * 4))
    expect("an UploadPartCopy signature (a long source) presented as UploadPart",
           Vaultd(sock).call("VG_OP_S3_WRITE", base + [
               ("VG_TAG_KIND", "UploadPart"), ("VG_TAG_POINT", uid),
               ("VG_TAG_COUNT", struct.pack(">Q", 1)), ("VG_TAG_SIZE", struct.pack(">Q", 0))],
               cp), False, "SignatureDoesNotMatch")
    sys.exit(0 if ok else 1)


main()
