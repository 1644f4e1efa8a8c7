"""Where photos and generated files live: one seam, two backends.

``Storage`` is what services are handed (they never see a path or a bucket): keys are
relative, slash-separated names such as ``photos/3/<uuid>.jpg`` or ``labels/<uuid>.pdf``.
The local folder (``GROWAPP_UPLOAD_DIR``) is the default; deployments with more than one
app server use S3-compatible object storage (``GROWAPP_STORAGE=s3``).
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import CHUNK, Storage, check_key
from .local import LocalStorage


def storage_from_settings(settings: Mapping) -> Storage:
    backend = (settings.get("STORAGE_BACKEND") or "local").lower()
    if backend == "local":
        return LocalStorage(settings["UPLOAD_DIR"])
    if backend == "s3":
        from .s3 import S3Storage  # boto3 loads only when it is used

        return S3Storage(settings.get("S3_BUCKET") or "", prefix=settings.get("S3_PREFIX") or "",
                         endpoint_url=settings.get("S3_ENDPOINT_URL"),
                         region=settings.get("S3_REGION"))
    raise ValueError(f"unknown GROWAPP_STORAGE {backend!r} (use 'local' or 's3')")


__all__ = ["CHUNK", "LocalStorage", "Storage", "check_key", "storage_from_settings"]
