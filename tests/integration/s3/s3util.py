"""s3util.py - what the differential suite needs besides boto3: the targets
from the environment, outcome recording, and a SigV4 signer of our own for
the requests boto3 will not make (a chosen clock, an expired presign, a
streaming upload with per-chunk signatures, one of them tampered).

The signer follows the documented algorithm (AWS Signature Version 4:
canonical request, string to sign, HMAC chain over date/region/service).
"""
import datetime
import hashlib
import hmac
import http.client
import os
import ssl
import subprocess
import urllib.parse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class Target:
    """One S3 endpoint: S3_<NAME>_URL, _AK, _SK, _CA (environment, never argv)."""

    def __init__(self, name):
        up = name.upper()
        self.name = name
        self.url = os.environ[f"S3_{up}_URL"]
        self.ak = os.environ[f"S3_{up}_AK"]
        self.sk = os.environ[f"S3_{up}_SK"]
        self.region = os.environ.get(f"S3_{up}_REGION", "us-east-1")
        self.ca = os.environ[f"S3_{up}_CA"]
        self.run = os.environ.get("S3_RUN", str(os.getpid()))
        u = urllib.parse.urlsplit(self.url)
        self.host, self.port = u.hostname, u.port or 443
        self.netloc = u.netloc
        self.s3 = self.client()

    def client(self, ak=None, sk=None, region=None, **cfg):
        conf = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 1, "mode": "standard"},
                      max_pool_connections=32, connect_timeout=20, read_timeout=120, **cfg)
        return boto3.session.Session().client(
            "s3", endpoint_url=self.url, region_name=region or self.region,
            aws_access_key_id=ak or self.ak, aws_secret_access_key=sk or self.sk,
            verify=self.ca, config=conf)

    def bucket(self, tag):
        return f"vgt-{self.run}-{tag}"

    def conn(self):
        ctx = ssl.create_default_context(cafile=self.ca)
        return http.client.HTTPSConnection(self.host, self.port, context=ctx, timeout=120)


def with_header(client, name, value):
    """client sends (and signs) one more header on every request."""
    def add(request, **kw):
        request.headers[name] = value
    client.meta.events.register_first("before-sign.s3.*", add)
    return client


def vaultctl(t, who, *args):
    """vaultctl on vaultgw's vaultd: who is None (local root), "owner" or
    "approver" (token read from its 0600 file by vaultctl itself)."""
    cmd = [os.environ["S3_VG_VAULTCTL"], "--socket", os.environ["S3_VG_SOCK"]]
    if who:
        cmd += ["--user", os.environ[f"S3_VG_{who.upper()}"],
                "--token-file", os.environ[f"S3_VG_{who.upper()}_TOKEN_FILE"]]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"vaultctl {' '.join(args)}: {p.stderr.strip()}"
    return p.stdout.strip()


def outcome(fn, *a, **kw):
    """(status, error code or None, response) of one boto3 call."""
    try:
        r = fn(*a, **kw)
        return r["ResponseMetadata"]["HTTPStatusCode"], None, r
    except ClientError as e:
        return (e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response.get("Error", {}).get("Code"), e.response)


# ---- SigV4 by hand ----

def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(sk, day, region, service="s3"):
    k = _hmac(("AWS4" + sk).encode(), day)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def uri_encode(s, slash=True):
    safe = "-_.~" + ("/" if not slash else "")
    return urllib.parse.quote(s, safe=safe)


def canonical_query(params):
    return "&".join(f"{uri_encode(k)}={uri_encode(v)}" for k, v in sorted(params.items()))


def sign_headers(t, method, path, query, headers, payload_hash, when, region=None, sk=None):
    """Adds x-amz-date, x-amz-content-sha256 and Authorization to headers
    (a dict, lower-case names). Returns (signature, scope, amzdate)."""
    region = region or t.region
    amzdate = when.strftime("%Y%m%dT%H%M%SZ")
    day = when.strftime("%Y%m%d")
    headers["host"] = t.netloc
    headers["x-amz-date"] = amzdate
    headers["x-amz-content-sha256"] = payload_hash
    names = sorted(headers)
    canon = "\n".join([method, uri_encode(path, slash=False), canonical_query(query),
                       "".join(f"{n}:{str(headers[n]).strip()}\n" for n in names),
                       ";".join(names), payload_hash])
    scope = f"{day}/{region}/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
                     hashlib.sha256(canon.encode()).hexdigest()])
    sig = hmac.new(signing_key(sk or t.sk, day, region), sts.encode(),
                   hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={t.ak}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={sig}")
    return sig, scope, amzdate


def presign(t, method, path, when, expires, region=None):
    """A presigned URL path+query made at `when`, valid for `expires` s."""
    region = region or t.region
    amzdate = when.strftime("%Y%m%dT%H%M%SZ")
    day = when.strftime("%Y%m%d")
    scope = f"{day}/{region}/s3/aws4_request"
    q = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"{t.ak}/{scope}",
         "X-Amz-Date": amzdate, "X-Amz-Expires": str(expires), "X-Amz-SignedHeaders": "host"}
    canon = "\n".join([method, uri_encode(path, slash=False), canonical_query(q),
                       f"host:{t.netloc}\n", "host", "UNSIGNED-PAYLOAD"])
    sts = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
                     hashlib.sha256(canon.encode()).hexdigest()])
    q["X-Amz-Signature"] = hmac.new(signing_key(t.sk, day, region), sts.encode(),
                                    hashlib.sha256).hexdigest()
    return uri_encode(path, slash=False) + "?" + canonical_query(q)


def streaming_body(t, seed_sig, scope, amzdate, data, chunk, tamper=None):
    """aws-chunked body with a signature per chunk (and the final empty
    chunk); tamper=i flips one byte of chunk i after signing it."""
    day = amzdate[:8]
    region = scope.split("/")[1]
    key = signing_key(t.sk, day, region)
    prev, out = seed_sig, []
    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
    for i, p in enumerate(pieces):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amzdate, scope, prev, EMPTY_SHA256,
                         hashlib.sha256(p).hexdigest()])
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        if tamper == i and p:
            p = bytes([p[0] ^ 1]) + p[1:]
        out.append(f"{len(p):x};chunk-signature={sig}\r\n".encode() + p + b"\r\n")
        prev = sig
    return b"".join(out)


def raw(t, method, path_query, headers, body=b""):
    """One request on a fresh connection: (status, S3 error code or None, body)."""
    c = t.conn()
    try:
        c.request(method, path_query, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
    finally:
        c.close()
    code = None
    if r.status >= 300 and b"<Code>" in data:
        code = data.split(b"<Code>", 1)[1].split(b"</Code>", 1)[0].decode()
    return r.status, code, data


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
