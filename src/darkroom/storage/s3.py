"""S3-compatible object storage (AWS S3, MinIO, Ceph, R2...), with presigned URLs that clients use directly.

Keys live under the prefix of the storage URL: `s3://bucket/prefix` stores `projects/<id>/...` as
`prefix/projects/<id>/...`. Clients upload and download straight to and from the bucket, so the
server learns of an upload only when a project names it (`size` and `read_head` read it then).
"""

import mimetypes
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from darkroom.storage.base import SignedUrl, Storage, StorageError, check_key

# DeleteObjects takes at most this many keys per request.
DELETE_BATCH_SIZE = 1000
NOT_FOUND_CODES = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class S3Options:
    """How to reach the S3 API; None fields fall back to boto3's own configuration (environment, ~/.aws)."""

    endpoint_url: str | None = None
    public_endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    addressing_style: str = "auto"


class S3Storage(Storage):
    def __init__(self, bucket: str, prefix: str, options: S3Options):
        if not bucket:
            raise ValueError("the S3 storage URL has no bucket: use s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.options = options
        self.client = self._client(options.endpoint_url)
        # Presigned URLs carry the host they were signed for, so they are signed for the endpoint that clients reach.
        public = options.public_endpoint_url
        self.signer = self._client(public) if public and public != options.endpoint_url else self.client

    @classmethod
    def from_url(cls, url: str, options: S3Options) -> "S3Storage":
        parsed = urlparse(url)
        return cls(parsed.netloc, parsed.path, options)

    def _client(self, endpoint_url: str | None):
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": self.options.addressing_style},
            retries={"max_attempts": 3, "mode": "standard"},
        )
        return boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=self.options.region,
            aws_access_key_id=self.options.access_key_id,
            aws_secret_access_key=self.options.secret_access_key,
            config=config,
        )

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def check_bucket(self) -> None:
        """Raise StorageError naming the bucket and endpoint when the bucket cannot be reached."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as error:
            endpoint = self.options.endpoint_url or "AWS"
            raise StorageError(f"S3 bucket {self.bucket!r} at {endpoint} is not usable: {error}") from error

    def put_file(self, key: str, source: Path) -> None:
        with _translated(key):
            self.client.upload_file(str(source), self.bucket, self.object_key(key), ExtraArgs=_content_type(key))

    def put_bytes(self, key: str, data: bytes) -> None:
        with _translated(key):
            self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=data, **_content_type(key))

    def get_bytes(self, key: str) -> bytes:
        with _translated(key):
            return self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))["Body"].read()

    def read_head(self, key: str, max_bytes: int) -> bytes:
        with _translated(key):
            response = self.client.get_object(
                Bucket=self.bucket, Key=self.object_key(key), Range=f"bytes=0-{max_bytes - 1}"
            )
            return response["Body"].read()

    def download_to(self, key: str, target: Path) -> None:
        with _translated(key):
            self.client.download_file(self.bucket, self.object_key(key), str(target))

    def open_stream(self, key: str) -> BinaryIO:
        with _translated(key):
            return self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))["Body"]

    def copy(self, source_key: str, target_key: str) -> None:
        # Managed copy: a single CopyObject up to its 5 GB limit, multipart beyond.
        with _translated(source_key):
            self.client.copy(
                {"Bucket": self.bucket, "Key": self.object_key(source_key)}, self.bucket, self.object_key(target_key)
            )

    def size(self, key: str) -> int | None:
        try:
            response = self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if _error_code(error) in NOT_FOUND_CODES:
                return None
            raise StorageError(f"reading the size of {key!r} failed: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"reading the size of {key!r} failed: {error}") from error
        return int(response["ContentLength"])

    def delete_prefix(self, prefix: str) -> int:
        """Delete the object `prefix` and every object under `prefix/`, as removing a folder would."""
        base = self.object_key(prefix.rstrip("/"))
        keys = [base] if self.size(prefix.rstrip("/")) is not None else []
        with _translated(prefix):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=f"{base}/")
            keys += [item["Key"] for page in pages for item in page.get("Contents", [])]
            for start in range(0, len(keys), DELETE_BATCH_SIZE):
                batch = [{"Key": key} for key in keys[start : start + DELETE_BATCH_SIZE]]
                response = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
                if response.get("Errors"):
                    first = response["Errors"][0]
                    raise StorageError(f"deleting {first.get('Key')!r} failed: {first.get('Message')}")
        return len(keys)

    def download_url(self, key: str, base_url: str, expires_in_s: int) -> SignedUrl:
        # `base_url` is the API's address; S3 URLs point at the bucket instead.
        return self._presign("get_object", key, expires_in_s)

    def upload_url(self, key: str, base_url: str, expires_in_s: int) -> SignedUrl:
        return self._presign("put_object", key, expires_in_s)

    def _presign(self, operation: str, key: str, expires_in_s: int) -> SignedUrl:
        # The signature is dated when it is made, so the expiry counts from a moment taken just before:
        # the reported expiry is never later than the real one.
        signed_at = int(time.time())
        url = self.signer.generate_presigned_url(
            operation, Params={"Bucket": self.bucket, "Key": self.object_key(key)}, ExpiresIn=expires_in_s
        )
        return SignedUrl(url=url, expires_at=datetime.fromtimestamp(signed_at + expires_in_s, timezone.utc))


@contextmanager
def _translated(key: str) -> Iterator[None]:
    """Turn boto3 failures into StorageError naming the key; a missing object becomes FileNotFoundError."""
    try:
        yield
    except ClientError as error:
        if _error_code(error) in NOT_FOUND_CODES:
            raise FileNotFoundError(f"no stored object {key!r}") from error
        raise StorageError(f"S3 request for {key!r} failed: {error}") from error
    except BotoCoreError as error:
        raise StorageError(f"S3 request for {key!r} failed: {error}") from error


def _content_type(key: str) -> dict:
    # S3 serves downloads with the Content-Type stored with the object, so rendered PNGs display in a
    # browser as they do from local storage, instead of arriving as binary/octet-stream.
    media_type = mimetypes.guess_type(key)[0]
    return {"ContentType": media_type} if media_type else {}


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
