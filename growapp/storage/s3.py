"""Objects in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, Backblaze B2) through
boto3: what deployments with more than one app server use (``GROWAPP_STORAGE=s3``).

Credentials come from boto3's standard chain (``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, an instance role …), never from settings here.
Uploads stream in parts of ``part_size`` bytes with at most two parts in memory; an object
becomes visible only when its upload completes (S3 semantics), so readers never see half of
one. Downloads return boto3's streaming body, read by the caller in chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from .base import check_key

PART_SIZE = 8 * 1024 * 1024  # S3's minimum part is 5 MiB (except the last)
MISSING = {"404", "NoSuchKey", "NotFound"}


class _Counting:
    """A read-only wrapper that counts bytes. Deliberately not seekable, so boto3 reads the
    source part by part instead of measuring and re-reading it. ``read(n)`` returns ``n``
    bytes unless the source is exhausted: boto3 takes a short read for the end of the
    stream, and sockets, request bodies and raw files may legitimately return less."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            data = self._stream.read()
        else:
            parts, want = [], size
            while want > 0:
                part = self._stream.read(want)
                if not part:
                    break
                parts.append(part)
                want -= len(part)
            data = b"".join(parts)
        self.count += len(data)
        return data


class S3Storage:
    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, part_size: int = PART_SIZE, client=None) -> None:
        if not bucket:
            raise ValueError("S3 storage needs a bucket (GROWAPP_S3_BUCKET)")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            check_key(self.prefix)
        self.client = client or boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            config=BotoConfig(retries={"max_attempts": 5, "mode": "standard"},
                              connect_timeout=5, read_timeout=60))
        self.transfer = TransferConfig(
            multipart_threshold=part_size, multipart_chunksize=part_size, max_concurrency=2,
            preferred_transfer_client="classic")
        # Not a constructor argument of boto3's TransferConfig: parts held in memory while
        # a non-seekable stream is uploaded (default 10).
        self.transfer.max_in_memory_upload_chunks = 2

    def object_key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def save(self, key: str, stream: BinaryIO, *, content_type: str) -> int:
        counted = _Counting(stream)
        self.client.upload_fileobj(counted, self.bucket, self.object_key(key),
                                   ExtraArgs={"ContentType": content_type},
                                   Config=self.transfer)
        return counted.count

    def open(self, key: str) -> BinaryIO:
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            _raise_missing(exc, key)
            raise
        return reply["Body"]

    def size(self, key: str) -> int:
        return self._head(key)["ContentLength"]

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def list(self, prefix: str = "") -> Iterator[tuple[str, datetime]]:
        strip = len(self.prefix) + 1 if self.prefix else 0
        full = f"{self.prefix}/{prefix}" if self.prefix else prefix
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=full)
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][strip:], item["LastModified"]

    def _head(self, key: str) -> dict:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            _raise_missing(exc, key)
            raise


def _raise_missing(exc: ClientError, key: str) -> None:
    if str(exc.response.get("Error", {}).get("Code", "")) in MISSING:
        raise FileNotFoundError(f"no stored object {key!r}") from exc
