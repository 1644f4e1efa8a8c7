"""A real S3-protocol server for tests: moto in server mode, in its own process on a free
127.0.0.1 port (its own process so that the objects it holds do not count against the
memory measured in this one, and so other processes, such as gunicorn, can reach it)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

from .servers import free_port, stop, wait_for_http

# Fake credentials for the local moto server: boto3's standard chain reads them.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1"}
REGION = "us-east-1"


@contextlib.contextmanager
def moto_server(log_path: str | os.PathLike = os.devnull) -> Iterator[str]:
    """Start ``moto_server`` on a free port; yields its endpoint URL."""
    port = free_port()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from moto.server import main; main()",
             "-H", "127.0.0.1", "-p", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **CREDENTIALS})
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{endpoint}/moto-api/", timeout=30, proc=proc)
        yield endpoint
    finally:
        stop(proc)


def s3_client(endpoint: str):
    import boto3

    return boto3.session.Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION).client("s3", endpoint_url=endpoint)


def new_bucket(endpoint: str) -> str:
    name = f"growapp-test-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=name)
    return name
