"""GROWAPP_STORAGE and GROWAPP_S3_*: read from the environment, refused when unusable."""

import pytest

from growapp import create_app
from growapp.config import ConfigError, build_settings
from growapp.storage import LocalStorage
from growapp.storage.s3 import S3Storage
from tests.helpers.settings import AUDIT_KEY


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("GROWAPP_ENV", "production")
    monkeypatch.setenv("GROWAPP_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("GROWAPP_AUDIT_KEY", AUDIT_KEY)
    for name in ("GROWAPP_STORAGE", "GROWAPP_S3_BUCKET", "GROWAPP_S3_ENDPOINT_URL",
                 "GROWAPP_S3_REGION", "GROWAPP_S3_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_local_is_the_default(production):
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert app.config["STORAGE_BACKEND"] == "local"
    assert isinstance(app.extensions["growapp_storage"], LocalStorage)


def test_s3_settings_come_from_the_environment(production):
    production.setenv("GROWAPP_STORAGE", "S3")
    production.setenv("GROWAPP_S3_BUCKET", "grow-photos")
    production.setenv("GROWAPP_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    production.setenv("GROWAPP_S3_REGION", "eu-central-1")
    production.setenv("GROWAPP_S3_PREFIX", "/site-a/")
    production.setenv("AWS_ACCESS_KEY_ID", "k")
    production.setenv("AWS_SECRET_ACCESS_KEY", "s")
    app = create_app({"DATABASE_URL": "sqlite://"})
    store = app.extensions["growapp_storage"]
    assert isinstance(store, S3Storage)
    assert (store.bucket, store.prefix) == ("grow-photos", "site-a")
    assert store.client.meta.endpoint_url == "http://127.0.0.1:9000"
    assert store.client.meta.region_name == "eu-central-1"
    assert store.object_key("photos/1/a.jpg") == "site-a/photos/1/a.jpg"


def test_s3_without_a_bucket_refuses_to_start(production):
    production.setenv("GROWAPP_STORAGE", "s3")
    with pytest.raises(ConfigError, match="GROWAPP_S3_BUCKET"):
        create_app({"DATABASE_URL": "sqlite://"})
    production.setenv("GROWAPP_ENV", "development")
    with pytest.raises(ConfigError, match="GROWAPP_S3_BUCKET"):
        build_settings()


def test_an_unknown_backend_refuses_to_start(production):
    production.setenv("GROWAPP_STORAGE", "ftp")
    with pytest.raises(ConfigError, match="'local' or 's3'"):
        create_app({"DATABASE_URL": "sqlite://"})
