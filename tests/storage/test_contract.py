"""The storage contract, proved on both backends: the local folder and S3 (a moto server)."""

from __future__ import annotations

import hashlib
import io
import tracemalloc

import pytest

from growapp.storage import CHUNK, LocalStorage, storage_from_settings
from growapp.storage.s3 import S3Storage
from tests.helpers import s3
from tests.helpers.images import files_under

MB = 1024 * 1024


class Generated(io.RawIOBase):
    """``size`` deterministic bytes made as they are read (never held whole); hashes them."""

    def __init__(self, size: int, *, on_read=None, fail_at: int | None = None) -> None:
        self.size, self.pos, self.on_read, self.fail_at = size, 0, on_read, fail_at
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.size - self.pos
        n = min(n, self.size - self.pos, CHUNK)
        if self.fail_at is not None and self.pos + n > self.fail_at:
            raise OSError("connection reset by the client")
        block = (self.pos.to_bytes(8, "big") * (n // 8 + 1))[:n]
        self.pos += n
        self.sha.update(block)
        if self.on_read is not None:
            self.on_read(self.pos)
        return block


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    bucket = request.getfixturevalue("s3_bucket")
    return storage_from_settings({
        "STORAGE_BACKEND": "s3", "S3_BUCKET": bucket, "S3_PREFIX": "site-a/",
        "S3_ENDPOINT_URL": request.getfixturevalue("s3_endpoint"), "S3_REGION": s3.REGION})


def leftovers(storage) -> set[str]:
    """Everything in the backend, including temp files and unfinished multipart uploads."""
    if isinstance(storage, LocalStorage):
        return files_under(storage.root) if storage.root.exists() else set()
    listed = storage.client.list_objects_v2(Bucket=storage.bucket)
    uploads = storage.client.list_multipart_uploads(Bucket=storage.bucket)
    return ({o["Key"] for o in listed.get("Contents", [])}
            | {f"upload:{u['Key']}" for u in uploads.get("Uploads", [])})


def test_save_open_size_exists_delete(storage):
    key = "photos/3/a b.jpg"
    assert storage.exists(key) is False
    assert storage.save(key, io.BytesIO(b"\xff\xd8hello"), content_type="image/jpeg") == 7
    assert storage.exists(key) is True and storage.size(key) == 7
    with storage.open(key) as fh:
        assert fh.read() == b"\xff\xd8hello"
    assert storage.save(key, io.BytesIO(b"new"), content_type="image/jpeg") == 3  # replaces
    with storage.open(key) as fh:
        assert fh.read() == b"new"
    assert storage.save("empty.txt", io.BytesIO(b""), content_type="text/plain") == 0
    assert storage.size("empty.txt") == 0
    storage.delete(key)
    storage.delete(key)  # already gone: no error
    assert storage.exists(key) is False
    with pytest.raises(FileNotFoundError):
        storage.open(key)
    with pytest.raises(FileNotFoundError):
        storage.size(key)
    with pytest.raises(FileNotFoundError):
        storage.open("never/written.pdf")


@pytest.mark.parametrize("bad", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a",
                                 "a\\b", "a\x00b", "photos/"])
def test_bad_keys_are_refused(storage, bad):
    for call in (lambda: storage.save(bad, io.BytesIO(b"x"), content_type="text/plain"),
                 lambda: storage.open(bad), lambda: storage.size(bad),
                 lambda: storage.exists(bad), lambda: storage.delete(bad)):
        with pytest.raises(ValueError):
            call()
    assert leftovers(storage) == set()


@pytest.mark.parametrize("size", [100 * 1024, 12 * MB], ids=["small", "multipart"])
def test_no_half_object_is_ever_visible(storage, size):
    key = "labels/sheet.pdf"
    storage.save(key, io.BytesIO(b"old"), content_type="application/pdf")
    seen: list[bytes] = []

    def peek(_pos):  # while the new version is still being read in
        with storage.open(key) as fh:
            seen.append(fh.read())

    source = Generated(size, on_read=peek)
    assert storage.save(key, source, content_type="application/pdf") == size
    assert seen and set(seen) == {b"old"}
    assert storage.size(key) == size

    with pytest.raises(OSError, match="connection reset"):
        storage.save("labels/broken.pdf", Generated(size, fail_at=size // 2),
                     content_type="application/pdf")
    assert storage.exists("labels/broken.pdf") is False
    assert storage.size(key) == size
    assert {k.rsplit("/", 1)[-1] for k in leftovers(storage)} == {"sheet.pdf"}


def test_a_large_stream_round_trips_in_bounded_memory(storage):
    """40 MB in and out; the memory used does not grow with the object (measured here: the
    same ~23 MB peak for 20 MB and 40 MB through S3 with 5 MiB parts, under 1 MB locally)."""
    size, part = 40 * MB, 5 * MB
    if isinstance(storage, S3Storage):
        storage = S3Storage(storage.bucket, prefix=storage.prefix, part_size=part,
                            client=storage.client)
        storage.save("warm-up", io.BytesIO(b"x"), content_type="text/plain")  # loads models
    tracemalloc.start()
    try:
        source = Generated(size)
        assert storage.save("labels/big.pdf", source, content_type="application/pdf") == size
        _now, peak_save = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        back, total = hashlib.sha256(), 0
        with storage.open("labels/big.pdf") as fh:
            while block := fh.read(CHUNK):
                back.update(block)
                total += len(block)
        _now, peak_read = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == size and back.digest() == source.sha.digest()
    print(f"peak while saving {peak_save / MB:.1f} MB, while reading {peak_read / MB:.1f} MB")
    assert peak_read < 2 * MB
    if isinstance(storage, S3Storage):
        # Multipart: S3's ETag of a multipart object ends in -<number of parts>.
        head = storage.client.head_object(Bucket=storage.bucket,
                                          Key=storage.object_key("labels/big.pdf"))
        assert head["ETag"].strip('"').endswith("-8")
        assert head["ContentType"] == "application/pdf"
        assert peak_save < 6 * part < size  # a few parts in flight, never the whole object
    else:
        assert peak_save < 2 * MB


def test_the_prefix_keeps_sites_apart(s3_endpoint, s3_bucket):
    a = S3Storage(s3_bucket, prefix="site-a", endpoint_url=s3_endpoint, region=s3.REGION)
    b = S3Storage(s3_bucket, prefix="site-b", endpoint_url=s3_endpoint, region=s3.REGION)
    a.save("photos/1/x.jpg", io.BytesIO(b"a"), content_type="image/jpeg")
    assert b.exists("photos/1/x.jpg") is False
    keys = s3.s3_client(s3_endpoint).list_objects_v2(Bucket=s3_bucket)["Contents"]
    assert [k["Key"] for k in keys] == ["site-a/photos/1/x.jpg"]
    with pytest.raises(ValueError):
        S3Storage(s3_bucket, prefix="../up")
    with pytest.raises(ValueError, match="GROWAPP_S3_BUCKET"):
        S3Storage("")
