#!/usr/bin/python3
"""s3_multipart.py PHASE - multipart uploads through the S3 listener with
Debian's boto3 (test_s3_multipart.sh runs the phases; environment: S3_URL,
S3_CA, KEYS (dir of PRINCIPAL.keys), B (a bucket with a COMPLIANCE default,
given to agent ag)). Each check prints "ok: ..." or raises."""
import hashlib
import os
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

E = os.environ
MIB = 1 << 20


def client(who):
    kv = dict(l.strip().split("=", 1) for l in open("%s/%s.keys" % (E["KEYS"], who)) if "=" in l)
    return boto3.client("s3", endpoint_url=E["S3_URL"], verify=E["S3_CA"], region_name="us-east-1",
                        aws_access_key_id=kv["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=kv["AWS_SECRET_ACCESS_KEY"],
                        config=botocore.config.Config(retries={"max_attempts": 1},
                                                      signature_version="s3v4",
                                                      s3={"addressing_style": "path"}))


def refused(what, code, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, "%s: want %s, got %s (%s)" % (what, code, got, e)
        print("ok: %s refused (%s)" % (what, code))
        return
    raise AssertionError("%s: was allowed" % what)


def phase_setup():
    own = client("own")
    own.create_bucket(Bucket=E["B"], ObjectLockEnabledForBucket=True)
    own.put_object_lock_configuration(Bucket=E["B"], ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
    print("ok: a lock bucket with a COMPLIANCE default of 1 day")


def phase_upload():
    ag = client("ag")
    b = E["B"]
    parts = [os.urandom(5 * MIB) for _ in range(3)] + [os.urandom(123457)]
    up = ag.create_multipart_upload(Bucket=b, Key="mp/one", ContentType="text/x-vgt",
                                    Metadata={"who": "agent"})
    uid = up["UploadId"]
    assert up["Key"] == "mp/one" and up["Bucket"] == b, up
    etags = {}
    for n in (3, 1, 4, 2):  # out of order
        r = ag.upload_part(Bucket=b, Key="mp/one", UploadId=uid, PartNumber=n, Body=parts[n - 1])
        etags[n] = r["ETag"]
        assert r["ETag"].strip('"') == hashlib.md5(parts[n - 1]).hexdigest(), r["ETag"]
    # a part sent again replaces the first
    r = ag.upload_part(Bucket=b, Key="mp/one", UploadId=uid, PartNumber=2, Body=parts[1])
    assert r["ETag"] == etags[2]
    print("ok: an agent's 4 parts uploaded out of order (and one again)")
    lp = ag.list_parts(Bucket=b, Key="mp/one", UploadId=uid)
    got = [(p["PartNumber"], p["Size"], p["ETag"]) for p in lp["Parts"]]
    assert got == [(n, len(parts[n - 1]), etags[n]) for n in (1, 2, 3, 4)], got
    print("ok: ListParts: numbers, sizes, ETags")
    lu = ag.list_multipart_uploads(Bucket=b)
    assert [(u["Key"], u["UploadId"]) for u in lu.get("Uploads", [])] == [("mp/one", uid)], lu
    assert ag.list_objects_v2(Bucket=b).get("KeyCount", 0) == 0, "an open upload is listed"
    print("ok: ListMultipartUploads shows it; ListObjects does not")
    good = [{"PartNumber": n, "ETag": etags[n]} for n in (1, 2, 3, 4)]
    bad = [dict(p) for p in good]
    bad[1]["ETag"] = '"%s"' % ("0" * 32)
    refused("a wrong ETag in Complete", "InvalidPart", ag.complete_multipart_upload, Bucket=b,
            Key="mp/one", UploadId=uid, MultipartUpload={"Parts": bad})
    refused("a missing part in Complete", "InvalidPart", ag.complete_multipart_upload, Bucket=b,
            Key="mp/one", UploadId=uid,
            MultipartUpload={"Parts": good + [{"PartNumber": 9, "ETag": etags[1]}]})
    refused("parts out of order in Complete", "InvalidPartOrder", ag.complete_multipart_upload,
            Bucket=b, Key="mp/one", UploadId=uid,
            MultipartUpload={"Parts": [good[1], good[0], good[2], good[3]]})
    refused("the upload id for another key", "NoSuchUpload", ag.upload_part, Bucket=b,
            Key="mp/other", UploadId=uid, PartNumber=1, Body=b"x")
    c = ag.complete_multipart_upload(Bucket=b, Key="mp/one", UploadId=uid,
                                     MultipartUpload={"Parts": good})
    want = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-4"
    assert c["ETag"].strip('"') == want, (c["ETag"], want)
    vid = c["VersionId"]
    print("ok: completed: ETag %s, version %s" % (c["ETag"], vid))
    g = ag.get_object(Bucket=b, Key="mp/one")
    body = g["Body"].read()
    assert body == b"".join(parts), "the object's bytes differ"
    assert g["ETag"].strip('"') == want and g["VersionId"] == vid, g
    assert g["ContentType"] == "text/x-vgt" and g["Metadata"] == {"who": "agent"}, g
    assert g["ObjectLockMode"] == "COMPLIANCE", g
    print("ok: GetObject: byte-exact, ETag, metadata, the bucket's COMPLIANCE default applied")
    rg = ag.get_object(Bucket=b, Key="mp/one", Range="bytes=%d-%d" % (5 * MIB - 2, 5 * MIB + 1))
    assert rg["Body"].read() == parts[0][-2:] + parts[1][:2]
    print("ok: a range across a part boundary")
    assert not ag.list_multipart_uploads(Bucket=b).get("Uploads"), "the upload is still open"
    refused("ListParts of a completed upload", "NoSuchUpload", ag.list_parts, Bucket=b,
            Key="mp/one", UploadId=uid)
    lo = ag.list_objects_v2(Bucket=b)
    assert [(o["Key"], o["Size"]) for o in lo["Contents"]] == [("mp/one", len(body))], lo
    refused("deleting the locked version", "AccessDenied", client("own").delete_object, Bucket=b,
            Key="mp/one", VersionId=vid)
    print("ok: one version, listed; COMPLIANCE keeps it")


def phase_refusals():
    ag, own = client("ag"), client("own")
    b = E["B"]
    uid = ag.create_multipart_upload(Bucket=b, Key="mp/small")["UploadId"]
    e1 = ag.upload_part(Bucket=b, Key="mp/small", UploadId=uid, PartNumber=1, Body=b"a" * 1000)
    e2 = ag.upload_part(Bucket=b, Key="mp/small", UploadId=uid, PartNumber=2, Body=b"b" * 10)
    refused("a small part that is not the last", "EntityTooSmall", ag.complete_multipart_upload,
            Bucket=b, Key="mp/small", UploadId=uid, MultipartUpload={"Parts": [
                {"PartNumber": 1, "ETag": e1["ETag"]}, {"PartNumber": 2, "ETag": e2["ETag"]}]})
    refused("an Owner aborting an agent's upload", "AccessDenied", own.abort_multipart_upload,
            Bucket=b, Key="mp/small", UploadId=uid)
    refused("an Owner adding a part to an agent's upload", "AccessDenied", own.upload_part,
            Bucket=b, Key="mp/small", UploadId=uid, PartNumber=3, Body=b"c")
    ag.abort_multipart_upload(Bucket=b, Key="mp/small", UploadId=uid)
    print("ok: the agent aborts its own upload")
    refused("a part of an aborted upload", "NoSuchUpload", ag.upload_part, Bucket=b,
            Key="mp/small", UploadId=uid, PartNumber=3, Body=b"c")
    refused("ListParts of an aborted upload", "NoSuchUpload", ag.list_parts, Bucket=b,
            Key="mp/small", UploadId=uid)
    refused("Complete of an aborted upload", "NoSuchUpload", ag.complete_multipart_upload,
            Bucket=b, Key="mp/small", UploadId=uid, MultipartUpload={"Parts": [
                {"PartNumber": 1, "ETag": e1["ETag"]}]})
    refused("a bad upload id", "NoSuchUpload", ag.list_parts, Bucket=b, Key="mp/small",
            UploadId="nothex")
    try:
        ag.head_object(Bucket=b, Key="mp/small")
        raise AssertionError("an aborted upload left an object")
    except ClientError as e:
        assert e.response["Error"]["Code"] in ("404", "NoSuchKey"), e
    print("ok: an aborted upload leaves nothing")


def phase_partcopy():
    ag = client("ag")
    b = E["B"]
    big = os.urandom(6 * MIB)
    ag.put_object(Bucket=b, Key="pc/big", Body=big)
    v1 = ag.put_object(Bucket=b, Key="pc/small", Body=b"first")["VersionId"]
    ag.put_object(Bucket=b, Key="pc/small", Body=b"second")
    uid = ag.create_multipart_upload(Bucket=b, Key="pc/out")["UploadId"]
    e1 = ag.upload_part_copy(Bucket=b, Key="pc/out", UploadId=uid, PartNumber=1,
                             CopySource={"Bucket": b, "Key": "pc/big"},
                             CopySourceRange="bytes=0-%d" % (5 * MIB - 1))["CopyPartResult"]["ETag"]
    assert e1.strip('"') == hashlib.md5(big[:5 * MIB]).hexdigest(), e1
    e2 = ag.upload_part_copy(Bucket=b, Key="pc/out", UploadId=uid, PartNumber=2,
                             CopySource={"Bucket": b, "Key": "pc/small", "VersionId": v1}
                             )["CopyPartResult"]["ETag"]
    refused("a copy range past the source's end", "InvalidArgument", ag.upload_part_copy,
            Bucket=b, Key="pc/out", UploadId=uid, PartNumber=4,
            CopySource={"Bucket": b, "Key": "pc/small"}, CopySourceRange="bytes=0-99")
    refused("a copy from a missing key", "NoSuchKey", ag.upload_part_copy, Bucket=b,
            Key="pc/out", UploadId=uid, PartNumber=4, CopySource={"Bucket": b, "Key": "pc/none"})
    ag.complete_multipart_upload(Bucket=b, Key="pc/out", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    got = ag.get_object(Bucket=b, Key="pc/out")["Body"].read()
    assert got == big[:5 * MIB] + b"first", "the assembled bytes differ"
    print("ok: UploadPartCopy: a range, then an older version: byte-exact")


def phase_open():
    """An Owner's open upload for s3mp_replay.py: prints its id."""
    print(client("own").create_multipart_upload(Bucket=E["B"], Key="mp/replay")["UploadId"])


def streaming_part(who, bucket, key, uid, num, data, tamper=False, chunk=65536):
    """UploadPart with STREAMING-AWS4-HMAC-SHA256-PAYLOAD, signed here from
    the documented algorithm (as s3_lock.py's streaming_put, with the query);
    tamper flips one byte of the second chunk after signing it."""
    import datetime
    import hmac
    import http.client
    import ssl
    import urllib.parse
    kv = dict(l.strip().split("=", 1) for l in open("%s/%s.keys" % (E["KEYS"], who)) if "=" in l)
    akid, secret = kv["AWS_ACCESS_KEY_ID"], kv["AWS_SECRET_ACCESS_KEY"]
    u = urllib.parse.urlparse(E["S3_URL"])
    now = datetime.datetime.now(datetime.timezone.utc)
    amz, d8 = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = "%s/us-east-1/s3/aws4_request" % d8
    chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
    enc_len = sum(len("%x;chunk-signature=" % len(c)) + 64 + 2 + len(c) + 2 for c in chunks)
    path = "/%s/%s" % (bucket, urllib.parse.quote(key, safe="/~"))
    query = "partNumber=%d&uploadId=%s" % (num, uid)
    hdrs = {"host": u.netloc, "content-encoding": "aws-chunked", "content-length": str(enc_len),
            "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "x-amz-date": amz,
            "x-amz-decoded-content-length": str(len(data))}
    sh = ";".join(sorted(hdrs))
    canon = "\n".join(["PUT", path, query] + ["%s:%s" % (k, hdrs[k]) for k in sorted(hdrs)] +
                      ["", sh, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"])

    def hm(k, m):
        return hmac.new(k, m.encode(), hashlib.sha256).digest()
    key_ = hm(hm(hm(hm(("AWS4" + secret).encode(), d8), "us-east-1"), "s3"), "aws4_request")
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canon.encode()).hexdigest()])
    prev = seed = hmac.new(key_, sts.encode(), hashlib.sha256).hexdigest()
    body = b""
    empty = hashlib.sha256(b"").hexdigest()
    for i, c in enumerate(chunks):
        s2 = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz, scope, prev, empty,
                        hashlib.sha256(c).hexdigest()])
        sig = hmac.new(key_, s2.encode(), hashlib.sha256).hexdigest()
        if tamper and i == 1:
            c = bytes([c[0] ^ 1]) + c[1:]
        body += ("%x;chunk-signature=%s\r\n" % (len(c), sig)).encode() + c + b"\r\n"
        prev = sig
    h = dict(hdrs)
    del h["host"]
    h["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        akid, scope, sh, seed)
    conn = http.client.HTTPSConnection(u.hostname, u.port,
                                       context=ssl.create_default_context(cafile=E["S3_CA"]))
    conn.request("PUT", path + "?" + query, body=body, headers=h)
    r = conn.getresponse()
    out = (r.status, r.getheader("ETag"), r.read().decode(errors="replace"))
    conn.close()
    return out


def phase_stream():
    ag = client("ag")
    signed = boto3.client("s3", endpoint_url=E["S3_URL"], verify=E["S3_CA"],
                          region_name="us-east-1", aws_access_key_id=ag._request_signer._credentials.access_key,
                          aws_secret_access_key=ag._request_signer._credentials.secret_key,
                          config=botocore.config.Config(retries={"max_attempts": 1},
                                                        signature_version="s3v4",
                                                        s3={"addressing_style": "path",
                                                            "payload_signing_enabled": True}))
    b = E["B"]
    p1, p2 = os.urandom(5 * MIB), os.urandom(200000)
    uid = ag.create_multipart_upload(Bucket=b, Key="mp/stream")["UploadId"]
    st, et1, body = streaming_part("ag", b, "mp/stream", uid, 1, p1)
    assert st == 200 and et1.strip('"') == hashlib.md5(p1).hexdigest(), (st, et1, body)
    print("ok: a streaming (aws-chunked, every chunk signed) part")
    st, _, body = streaming_part("ag", b, "mp/stream", uid, 2, p2, tamper=True)
    assert st == 403 and "SignatureDoesNotMatch" in body, (st, body)
    lp = ag.list_parts(Bucket=b, Key="mp/stream", UploadId=uid).get("Parts", [])
    assert [p["PartNumber"] for p in lp] == [1], lp
    print("ok: a tampered streaming part is refused by vaultd and not kept")
    et2 = signed.upload_part(Bucket=b, Key="mp/stream", UploadId=uid, PartNumber=2, Body=p2)["ETag"]
    c = ag.complete_multipart_upload(Bucket=b, Key="mp/stream", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": et1}, {"PartNumber": 2, "ETag": et2}]})
    assert ag.get_object(Bucket=b, Key="mp/stream")["Body"].read() == p1 + p2
    print("ok: a signed-payload part; completed byte-exact (%s)" % c["ETag"])


globals()["phase_" + sys.argv[1]]()
