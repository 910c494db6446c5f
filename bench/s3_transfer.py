"""s3_transfer.py - one timed large PUT and GET against one S3 endpoint:
PARTS_MIB 0 is one PutObject streamed from the file and one GetObject
streamed to a file; PARTS_MIB > 0 is boto3's transfer manager (multipart
with that part size, CONC in flight, as awscli does it). Endpoint and keys
from the environment (B_URL, B_AK, B_SK, B_CA); prints one line:
PUT_SECONDS GET_SECONDS OK|MISMATCH. Used by bench/s3.sh."""
import hashlib
import os
import sys
import time

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

src, bucket, parts_mib, conc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s3 = boto3.session.Session().client(
    "s3", endpoint_url=os.environ["B_URL"], region_name="us-east-1",
    aws_access_key_id=os.environ["B_AK"], aws_secret_access_key=os.environ["B_SK"],
    verify=os.environ["B_CA"],
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                  max_pool_connections=conc + 2, read_timeout=600))
tc = TransferConfig(multipart_threshold=8 << 20, multipart_chunksize=max(parts_mib, 5) << 20,
                    max_concurrency=conc, use_threads=True)
s3.create_bucket(Bucket=bucket)
dst = src + ".back"
t0 = time.monotonic()
if parts_mib:
    s3.upload_file(src, bucket, "big", Config=tc)
else:
    with open(src, "rb") as f:
        s3.put_object(Bucket=bucket, Key="big", Body=f)
t1 = time.monotonic()
if parts_mib:
    s3.download_file(bucket, "big", dst, Config=tc)
else:
    body = s3.get_object(Bucket=bucket, Key="big")["Body"]
    with open(dst, "wb") as f:
        for c in body.iter_chunks(1 << 20):
            f.write(c)
t2 = time.monotonic()


def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for c in iter(lambda: f.read(1 << 20), b""):
            h.update(c)
    return h.hexdigest()


ok = sha(src) == sha(dst)
os.unlink(dst)
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {'OK' if ok else 'MISMATCH'}")
