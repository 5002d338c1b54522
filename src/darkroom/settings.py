"""Operator settings, read from `DARKROOM_*` environment variables.

The API process and the workers read the same settings, so they live here rather than in `server/`.
"""

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated

MiB = 1024 * 1024
# Maximum expiry that S3 accepts for a presigned URL signed with Signature Version 4.
S3_MAX_PRESIGN_S = 7 * 24 * 3600


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DARKROOM_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="folder for the SQLite database, stored files and the secret key")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in data_dir")
    storage_url: str | None = Field(None, description="file:///path or s3://bucket/prefix; default: data_dir/storage")
    public_url: str | None = Field(
        None, description="base URL that clients reach this server at, used in signed URLs; default: the request's"
    )
    secret_key: str | None = Field(None, description="HMAC key for signed URLs; default: generated into data_dir")

    # S3-compatible object storage, used when storage_url is s3://bucket/prefix. Unset credentials and
    # region fall back to boto3's usual sources (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, ~/.aws).
    s3_endpoint_url: str | None = Field(None, description="S3 API endpoint, such as http://minio:9000; default: AWS")
    s3_public_endpoint_url: str | None = Field(
        None, description="endpoint that clients reach, used only to presign URLs; default: s3_endpoint_url"
    )
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        "auto", description="bucket in the URL path or in the host name; MinIO and most self-hosted servers need path"
    )

    # Embedded worker pool and queue.
    queue: Literal["embedded", "celery"] = Field(
        "embedded", description="embedded: workers poll the database; celery: project ids go through a broker"
    )
    workers: int = Field(1, ge=0, description="render slots of the embedded pool (0: API only)")
    broker_url: str | None = Field(None, description="Celery broker: redis://host:6379/0 or amqp://user:password@host/vhost")
    queue_prefix: str = Field(
        "darkroom", pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="broker queues are named <prefix>.cpu and <prefix>.gpu; installations sharing a broker need their own",
    )
    redispatch_after_s: float = Field(
        60.0, gt=0,
        description="a project queued this long is published to the broker again (then after twice as long, and so "
        "on), in case the broker lost its message",
    )
    poll_interval_s: float = Field(0.1, gt=0, description="how often an idle embedded slot looks for work")
    lease_s: float = Field(30.0, gt=0, description="a render lease; a worker renews it several times per lease")
    max_attempts: int = Field(3, ge=1, description="render starts before a project whose worker died ends in error")
    progress_interval_s: float = Field(0.25, gt=0, description="how often a worker writes progress and checks cancel")

    # Limits on input.
    max_upload_bytes: int = 50 * MiB
    max_request_bytes: int = 1 * MiB
    max_input_side: int = Field(4096, description="largest width or height of an input image, in pixels")
    max_decoded_pixels: int = Field(
        8192 * 8192, description="images that declare more pixels are rejected before decoding (decompression bombs)"
    )
    upload_url_ttl_s: int = 3600
    download_url_ttl_s: int = 24 * 3600
    idempotency_ttl_s: int = 24 * 3600

    # URL inputs.
    url_fetch_timeout_s: float = 20.0
    url_fetch_max_bytes: int = 50 * MiB
    url_allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="hosts that URL inputs may reach even on private addresses"
    )

    # Model files for model-backed tools. ai-image-generator returns 403 without its model; the upscaler and
    # the background remover use their built-in renderers instead.
    upscaler_model: Path | None = Field(
        None, description="super-resolution weights (.pth or .safetensors) that spandrel loads, for the "
        "upscaler's balanced and creative modes; unset: the built-in Lanczos renderer"
    )
    background_model: Path | None = Field(
        None, description="ONNX salient-object model (U2-Net or ISNet layout) run through rembg; unset: the "
        "built-in GrabCut renderer"
    )
    image_model: Path | None = Field(
        None, description="folder of a diffusers text-to-image pipeline (save_pretrained layout); unset: "
        "ai-image-generator returns 403"
    )
    image_steps: int | None = Field(
        None, ge=1, le=500, description="denoising steps per generated image; unset: the pipeline's default"
    )
    image_guidance_scale: float | None = Field(
        None, ge=0, le=50, description="classifier-free guidance scale; unset: the pipeline's default"
    )
    landmark_model: Path | None = None

    default_account_credits: int = 10_000

    @model_validator(mode="after")
    def _check_distributed(self) -> "Settings":
        if self.queue == "celery" and not self.broker_url:
            raise ValueError("DARKROOM_QUEUE=celery needs DARKROOM_BROKER_URL (redis://... or amqp://...)")
        if (self.storage_url or "").startswith("s3://"):
            for name in ("upload_url_ttl_s", "download_url_ttl_s"):
                if not 1 <= getattr(self, name) <= S3_MAX_PRESIGN_S:
                    raise ValueError(
                        f"DARKROOM_{name.upper()} must be between 1 and {S3_MAX_PRESIGN_S} seconds with S3 storage "
                        f"(S3 presigned URLs last at most 7 days), got {getattr(self, name)}"
                    )
        return self

    @field_validator("url_allow_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [host.strip().lower() for host in value.split(",") if host.strip()]
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'darkroom.db').resolve()}"

    def resolved_storage_url(self) -> str:
        if self.storage_url:
            return self.storage_url
        return (self.data_dir / "storage").resolve().as_uri()

    def resolved_secret_key(self) -> bytes:
        """Return the signing key, creating one in the data folder on first use."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()
