"""S3Storage against moto's S3 server on 127.0.0.1: objects, ranged reads, copies, deletes and presigned URLs."""

import logging
import secrets
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from darkroom.storage import InvalidKey, open_storage
from darkroom.storage import s3 as s3_module
from darkroom.storage.s3 import S3Options, S3Storage
from deployments import S3_REGION, moto_s3


@pytest.fixture(scope="module")
def s3_server():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with moto_s3() as server:
        yield server


@pytest.fixture
def storage(s3_server) -> S3Storage:
    options = S3Options(endpoint_url=s3_server.endpoint_url, region=S3_REGION,
                        access_key_id="test", secret_access_key="test")
    return open_storage(f"s3://{s3_server.bucket}/tests-{secrets.token_hex(4)}", s3_options=options)


def test_open_storage_reads_bucket_and_prefix(storage, s3_server):
    assert isinstance(storage, S3Storage)
    assert storage.bucket == s3_server.bucket
    assert storage.prefix.startswith("tests-")
    assert storage.prefix.endswith("/")


def test_put_get_size_and_ranged_head(storage, tmp_path):
    storage.put_bytes("a/one.bin", b"0123456789")
    source = tmp_path / "two.bin"
    source.write_bytes(b"abc")
    storage.put_file("a/two.bin", source)

    assert storage.get_bytes("a/one.bin") == b"0123456789"
    assert storage.read_head("a/one.bin", 4) == b"0123"
    assert storage.read_head("a/one.bin", 100) == b"0123456789"
    assert storage.size("a/two.bin") == 3
    assert storage.size("a/missing.bin") is None
    target = tmp_path / "copy.bin"
    storage.download_to("a/one.bin", target)
    assert target.read_bytes() == b"0123456789"


def test_missing_object_raises_file_not_found(storage):
    with pytest.raises(FileNotFoundError):
        storage.get_bytes("nothing/here.png")
    with pytest.raises(FileNotFoundError):
        storage.read_head("nothing/here.png", 10)


def test_invalid_keys_are_rejected(storage):
    for key in ("../escape.png", "/absolute.png", "a//b.png", "a\\b.png", ""):
        with pytest.raises(InvalidKey):
            storage.put_bytes(key, b"x")


def test_copy_makes_an_independent_object(storage):
    storage.put_bytes("uploads/source.png", b"pixels")
    storage.copy("uploads/source.png", "projects/p1/inputs/0.png")
    storage.delete_prefix("uploads/source.png")

    assert storage.size("uploads/source.png") is None
    assert storage.get_bytes("projects/p1/inputs/0.png") == b"pixels"


def test_delete_prefix_removes_a_folder_in_batches(storage, s3_server, monkeypatch):
    monkeypatch.setattr(s3_module, "DELETE_BATCH_SIZE", 3)
    for index in range(7):
        storage.put_bytes(f"projects/p2/outputs/p2-{index}.png", b"x")
    storage.put_bytes("projects/p2-other/outputs/keep.png", b"x")

    assert storage.delete_prefix("projects/p2/") == 7
    assert s3_server.keys(f"{storage.prefix}projects/p2/") == []
    # A prefix is a folder: projects/p2 never matches projects/p2-other.
    assert storage.size("projects/p2-other/outputs/keep.png") == 1
    assert storage.delete_prefix("projects/p2") == 0


def test_presigned_upload_then_download(storage):
    upload = storage.upload_url("api-assets/photo.png", "http://api.example", 600)
    assert httpx.put(upload.url, content=b"\x89PNG fake").status_code == 200
    assert storage.size("api-assets/photo.png") == 9

    download = storage.download_url("api-assets/photo.png", "http://api.example", 60)
    response = httpx.get(download.url, follow_redirects=False)
    assert response.status_code == 200
    assert response.content == b"\x89PNG fake"
    assert urlsplit(download.url).path.endswith("/api-assets/photo.png")


def test_presigned_url_expiry_matches_its_signature(storage):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    signed = storage.download_url("projects/p3/outputs/p3-0.png", "", 3600)

    query = parse_qs(urlsplit(signed.url).query)
    assert query["X-Amz-Expires"] == ["3600"]
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    real_expiry = signed_at + timedelta(seconds=3600)
    assert before + timedelta(seconds=3600) <= signed.expires_at <= real_expiry


def test_public_endpoint_signs_urls_for_clients(s3_server):
    options = S3Options(endpoint_url=s3_server.endpoint_url, public_endpoint_url="https://files.example.com",
                        region=S3_REGION, access_key_id="test", secret_access_key="test", addressing_style="path")
    storage = S3Storage(s3_server.bucket, "public", options)

    url = urlsplit(storage.download_url("projects/p4/outputs/p4-0.png", "", 60).url)
    assert url.netloc == "files.example.com"
    assert url.path == f"/{s3_server.bucket}/public/projects/p4/outputs/p4-0.png"


def test_check_bucket_names_a_missing_bucket(s3_server):
    options = S3Options(endpoint_url=s3_server.endpoint_url, region=S3_REGION,
                        access_key_id="test", secret_access_key="test")
    storage = S3Storage("no-such-bucket", "", options)
    with pytest.raises(s3_module.StorageError, match="no-such-bucket"):
        storage.check_bucket()
