#!/usr/bin/python3
"""s3_lock.py PHASE - Object Lock through the S3 listener with Debian's boto3
(test_s3_lock.sh runs the phases; environment: S3_URL, S3_CA, KEYS (dir of
PRINCIPAL.keys), B (bucket with a COMPLIANCE default), H (a lock bucket
without default), N (a bucket without Object Lock), STATE (a file for ids
between phases), GRANT (phase bypass)).
Each check prints "ok: ..." or raises."""
import datetime
import json
import os
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

E = os.environ
NOW = datetime.datetime.now(datetime.timezone.utc)


def client(who, grant=None, v4presign=True):
    kv = dict(l.strip().split("=", 1) for l in open("%s/%s.keys" % (E["KEYS"], who)) if "=" in l)
    c = boto3.client("s3", endpoint_url=E["S3_URL"], verify=E["S3_CA"], region_name="us-east-1",
                     aws_access_key_id=kv["AWS_ACCESS_KEY_ID"],
                     aws_secret_access_key=kv["AWS_SECRET_ACCESS_KEY"],
                     config=botocore.config.Config(retries={"max_attempts": 1},
                                                   signature_version="s3v4" if v4presign else None,
                                                   s3={"addressing_style": "path"}))
    if grant:
        def add(request, **kw):
            request.headers["X-Vaultgate-Grant"] = grant
        c.meta.events.register("before-sign.s3.*", add)
    return c


def refused(what, code, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, "%s: want %s, got %s (%s)" % (what, code, got, e)
        print("ok: %s refused (%s)" % (what, code))
        return
    raise AssertionError("%s: was allowed" % what)


def state():
    return json.load(open(E["STATE"])) if os.path.exists(E["STATE"]) else {}


def save(d):
    json.dump(d, open(E["STATE"], "w"))


def phase_setup():
    own = client("own")
    own.create_bucket(Bucket=E["B"], ObjectLockEnabledForBucket=True)
    own.create_bucket(Bucket=E["H"], ObjectLockEnabledForBucket=True)
    own.create_bucket(Bucket=E["N"])
    own.put_object_lock_configuration(Bucket=E["B"], ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
    c = own.get_object_lock_configuration(Bucket=E["B"])["ObjectLockConfiguration"]
    assert c["Rule"]["DefaultRetention"] == {"Mode": "COMPLIANCE", "Days": 1}, c
    print("ok: lock buckets; COMPLIANCE default of 1 day set and read back")
    refused("lock configuration of a bucket created without Object Lock", "InvalidBucketState",
            own.put_object_lock_configuration, Bucket=E["N"], ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    refused("retention headers on a bucket without Object Lock", "InvalidRequest",
            own.put_object, Bucket=E["N"], Key="x", Body=b"x", ObjectLockMode="GOVERNANCE",
            ObjectLockRetainUntilDate=NOW + datetime.timedelta(days=1))
    v = own.get_bucket_versioning(Bucket=E["B"])
    assert v["Status"] == "Enabled", v
    refused("suspending versioning", "InvalidBucketState", own.put_bucket_versioning,
            Bucket=E["B"], VersioningConfiguration={"Status": "Suspended"})
    print("ok: versioning is Enabled and stays so")


def phase_objects():
    ag, own, ctb = client("ag"), client("own"), client("ctb")
    st = state()
    # COMPLIANCE by the bucket's default
    r = ag.put_object(Bucket=E["B"], Key="c.txt", Body=b"compliance")
    st["c"] = r["VersionId"]
    h = own.head_object(Bucket=E["B"], Key="c.txt")
    assert h["ObjectLockMode"] == "COMPLIANCE", h
    ret = own.get_object_retention(Bucket=E["B"], Key="c.txt")["Retention"]
    assert ret["Mode"] == "COMPLIANCE", ret
    until = ret["RetainUntilDate"]
    assert until > NOW + datetime.timedelta(hours=23), until
    print("ok: an agent's upload got the bucket's COMPLIANCE default (until %s)" % until)
    refused("deleting a COMPLIANCE version (Owner)", "AccessDenied", own.delete_object,
            Bucket=E["B"], Key="c.txt", VersionId=st["c"])
    refused("deleting a COMPLIANCE version with the governance bypass", "AccessDenied",
            own.delete_object, Bucket=E["B"], Key="c.txt", VersionId=st["c"],
            BypassGovernanceRetention=True)
    refused("shortening COMPLIANCE retention", "AccessDenied", own.put_object_retention,
            Bucket=E["B"], Key="c.txt", VersionId=st["c"],
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": NOW + datetime.timedelta(hours=2)})
    refused("COMPLIANCE to GOVERNANCE", "AccessDenied", own.put_object_retention,
            Bucket=E["B"], Key="c.txt", VersionId=st["c"],
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": NOW + datetime.timedelta(days=3)})
    own.put_object_retention(Bucket=E["B"], Key="c.txt", VersionId=st["c"],
                             Retention={"Mode": "COMPLIANCE",
                                        "RetainUntilDate": NOW + datetime.timedelta(days=2)})
    print("ok: COMPLIANCE can be extended (2 days)")
    # GOVERNANCE set by the uploader
    r = ag.put_object(Bucket=E["H"], Key="g.txt", Body=b"governance", ObjectLockMode="GOVERNANCE",
                      ObjectLockRetainUntilDate=NOW + datetime.timedelta(days=1))
    st["g"] = r["VersionId"]
    refused("deleting a GOVERNANCE version without the bypass", "AccessDenied",
            own.delete_object, Bucket=E["H"], Key="g.txt", VersionId=st["g"])
    refused("the GOVERNANCE bypass by a Contributor", "AccessDenied", ctb.delete_object,
            Bucket=E["H"], Key="g.txt", VersionId=st["g"], BypassGovernanceRetention=True)
    refused("the GOVERNANCE bypass by an Owner without a grant", "AccessDenied",
            own.delete_object, Bucket=E["H"], Key="g.txt", VersionId=st["g"],
            BypassGovernanceRetention=True)
    refused("removing GOVERNANCE retention without a grant", "AccessDenied",
            own.put_object_retention, Bucket=E["H"], Key="g.txt", VersionId=st["g"],
            Retention={}, BypassGovernanceRetention=True)
    # legal hold
    r = ag.put_object(Bucket=E["H"], Key="h.txt", Body=b"hold")
    st["h"] = r["VersionId"]
    own.put_object_legal_hold(Bucket=E["H"], Key="h.txt", VersionId=st["h"],
                              LegalHold={"Status": "ON"})
    assert own.get_object_legal_hold(Bucket=E["H"], Key="h.txt")["LegalHold"]["Status"] == "ON"
    refused("deleting a version under legal hold", "AccessDenied", own.delete_object,
            Bucket=E["H"], Key="h.txt", VersionId=st["h"])
    refused("an agent releasing a legal hold", "AccessDenied", ag.put_object_legal_hold,
            Bucket=E["H"], Key="h.txt", VersionId=st["h"], LegalHold={"Status": "OFF"})
    save(st)
    print("ok: legal hold ON blocks the delete")


def phase_release():
    own = client("own")
    st = state()
    own.put_object_legal_hold(Bucket=E["H"], Key="h.txt", VersionId=st["h"],
                              LegalHold={"Status": "OFF"})
    r = own.delete_object(Bucket=E["H"], Key="h.txt", VersionId=st["h"])
    d = r["ResponseMetadata"]["HTTPHeaders"].get("x-vaultgate-delete", "")
    assert d.startswith("soft-deleted until"), r
    print("ok: released, the delete is soft (%s)" % d)


def phase_bypass():
    own = client("own", grant=E["GRANT"])
    st = state()
    r = own.delete_object(Bucket=E["H"], Key="g.txt", VersionId=st["g"],
                          BypassGovernanceRetention=True)
    d = r["ResponseMetadata"]["HTTPHeaders"].get("x-vaultgate-delete", "")
    assert d.startswith("soft-deleted until"), r
    print("ok: an Owner with an approved grant bypassed GOVERNANCE (%s)" % d)
    refused("the same grant used twice", "AccessDenied", client("own", grant=E["GRANT"]).delete_object,
            Bucket=E["B"], Key="c.txt", VersionId=st["c"], BypassGovernanceRetention=True)


def phase_presign():
    """A presigned GET works without any header credential; tampered, expired
    or for another key it is refused by vaultd."""
    import ssl
    import urllib.error
    import urllib.request
    ag = client("ag")
    ctx = ssl.create_default_context(cafile=E["S3_CA"])
    ag.put_object(Bucket=E["H"], Key="p.txt", Body=b"presigned body")
    url = ag.generate_presigned_url("get_object", Params={"Bucket": E["H"], "Key": "p.txt"},
                                    ExpiresIn=300)
    try:
        got = urllib.request.urlopen(url, context=ctx).read()
    except urllib.error.HTTPError as e:
        raise AssertionError("presigned GET: %d %s" % (e.code, e.read().decode()))
    assert got == b"presigned body", got
    print("ok: a presigned GET is served")

    def code(u):
        try:
            urllib.request.urlopen(u, context=ctx)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        return 200, ""
    st, body = code(url.replace("p.txt", "q.txt"))
    assert st == 403 and "SignatureDoesNotMatch" in body, (st, body)
    sig = url.split("X-Amz-Signature=")[1][:64]
    bad = url.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
    st, body = code(bad)
    assert st == 403 and "SignatureDoesNotMatch" in body, (st, body)
    url1 = ag.generate_presigned_url("get_object", Params={"Bucket": E["H"], "Key": "p.txt"},
                                      ExpiresIn=1)
    import time
    time.sleep(3)
    st, body = code(url1)
    assert st == 403 and "expired" in body, (st, body)
    v2 = client("ag", v4presign=False).generate_presigned_url(
        "get_object", Params={"Bucket": E["H"], "Key": "p.txt"}, ExpiresIn=300)
    st, body = code(v2)
    assert st == 400 and "AWS4-HMAC-SHA256" in body, (st, body)
    print("ok: presigned URLs for another key, tampered, expired or SigV2 are refused")


def phase_multi():
    """DeleteObjects (markers, per-key refusals) and DeleteBucket."""
    ag, own = client("ag"), client("own")
    for k in ("m/a", "m/b"):
        ag.put_object(Bucket=E["N"], Key=k, Body=b"x")
    r = ag.delete_objects(Bucket=E["N"], Delete={"Objects": [{"Key": "m/a"}, {"Key": "m/b"}]})
    assert [e["Code"] for e in r.get("Errors", [])] == ["AccessDenied", "AccessDenied"], r
    assert "Deleted" not in r, r
    print("ok: DeleteObjects by an agent: AccessDenied per key")
    r = own.delete_objects(Bucket=E["N"], Delete={"Objects": [{"Key": "m/a"}, {"Key": "m/b"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["m/a", "m/b"], r
    assert all(d["DeleteMarker"] for d in r["Deleted"]), r
    assert own.list_objects_v2(Bucket=E["N"], Prefix="m/")["KeyCount"] == 0
    print("ok: DeleteObjects by an Owner writes delete markers")
    refused("deleting a bucket with versions", "BucketNotEmpty", own.delete_bucket, Bucket=E["N"])
    own.create_bucket(Bucket=E["N"] + "-e")
    refused("an agent deleting a bucket", "AccessDenied", ag.delete_bucket, Bucket=E["N"] + "-e")
    own.delete_bucket(Bucket=E["N"] + "-e")
    refused("HEAD of a deleted bucket", "404", own.head_bucket, Bucket=E["N"] + "-e")
    print("ok: DeleteBucket: empty only, not by agents; gone after")


def streaming_put(who, bucket, key, data, tamper=False, chunk=65536):
    """A PUT with STREAMING-AWS4-HMAC-SHA256-PAYLOAD, signed here from the
    documented algorithm; tamper flips one byte of the second chunk after
    signing it."""
    import hashlib
    import hmac
    import http.client
    import ssl
    import urllib.parse
    kv = dict(l.strip().split("=", 1) for l in open("%s/%s.keys" % (E["KEYS"], who)) if "=" in l)
    akid, secret = kv["AWS_ACCESS_KEY_ID"], kv["AWS_SECRET_ACCESS_KEY"]
    u = urllib.parse.urlparse(E["S3_URL"])
    host = u.netloc
    now = datetime.datetime.now(datetime.timezone.utc)
    amz, d8 = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = "%s/us-east-1/s3/aws4_request" % d8
    chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
    enc_len = sum(len("%x;chunk-signature=" % len(c)) + 64 + 2 + len(c) + 2 for c in chunks)
    path = "/%s/%s" % (bucket, urllib.parse.quote(key, safe="/~"))
    hdrs = {"host": host, "content-encoding": "aws-chunked", "content-length": str(enc_len),
            "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "x-amz-date": amz,
            "x-amz-decoded-content-length": str(len(data))}
    sh = ";".join(sorted(hdrs))
    canon = "\n".join(["PUT", path, ""] + ["%s:%s" % (k, hdrs[k]) for k in sorted(hdrs)] +
                      ["", sh, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"])

    def hm(k, m):
        return hmac.new(k, m.encode(), hashlib.sha256).digest()
    key = hm(hm(hm(hm(("AWS4" + secret).encode(), d8), "us-east-1"), "s3"), "aws4_request")
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canon.encode()).hexdigest()])
    prev = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    body = b""
    empty = hashlib.sha256(b"").hexdigest()
    for i, c in enumerate(chunks):
        s2 = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz, scope, prev, empty,
                        hashlib.sha256(c).hexdigest()])
        sig = hmac.new(key, s2.encode(), hashlib.sha256).hexdigest()
        if tamper and i == 1:
            c = bytes([c[0] ^ 1]) + c[1:]
        body += ("%x;chunk-signature=%s\r\n" % (len(c), sig)).encode() + c + b"\r\n"
        prev = sig
    assert len(body) == enc_len
    auth = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        akid, scope, sh, hmac.new(key, sts.encode(), hashlib.sha256).hexdigest())
    conn = http.client.HTTPSConnection(u.hostname, u.port,
                                       context=ssl.create_default_context(cafile=E["S3_CA"]))
    h = dict(hdrs)
    del h["host"]
    h["Authorization"] = auth
    conn.request("PUT", path, body=body, headers=h)
    r = conn.getresponse()
    return r.status, r.read().decode()


def phase_stream():
    own = client("own")
    data = os.urandom(150000)
    st, body = streaming_put("ag", E["H"], "s/ok.bin", data)
    assert st == 200, (st, body)
    got = own.get_object(Bucket=E["H"], Key="s/ok.bin")["Body"].read()
    assert got == data
    print("ok: a streaming upload (3 signed chunks) is stored byte-exact")
    st, body = streaming_put("ag", E["H"], "s/bad.bin", data, tamper=True)
    assert st == 403 and "SignatureDoesNotMatch" in body, (st, body)
    refused("the tampered upload is not stored", "404", own.head_object, Bucket=E["H"],
            Key="s/bad.bin")
    print("ok: a tampered streaming chunk is refused by vaultd; nothing is stored")


def phase_copy():
    ag, own = client("ag"), client("own")
    ag.put_object(Bucket=E["H"], Key="cp/src", Body=b"copy me", Metadata={"k": "v"})
    r = ag.copy_object(Bucket=E["H"], Key="cp/dst", CopySource={"Bucket": E["H"], "Key": "cp/src"})
    assert r["CopyObjectResult"]["ETag"].strip('"') == __import__("hashlib").md5(b"copy me").hexdigest(), r
    o = own.get_object(Bucket=E["H"], Key="cp/dst")
    assert o["Body"].read() == b"copy me" and o["Metadata"] == {"k": "v"}, o
    refused("copying from a missing key", "NoSuchKey", ag.copy_object, Bucket=E["H"], Key="cp/x",
            CopySource={"Bucket": E["H"], "Key": "cp/none"})
    print("ok: CopyObject copies bytes and metadata inside the vault")


{"copy": phase_copy, "stream": phase_stream, "multi": phase_multi, "presign": phase_presign, "setup": phase_setup, "objects": phase_objects, "release": phase_release,
 "bypass": phase_bypass}[sys.argv[1]]()
