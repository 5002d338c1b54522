"""Database tables. Every status change of a project goes through `darkroom.projects`, never through here."""

from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Cached sum of the ledger, kept in the same transaction as each ledger row so a
    # conditional UPDATE can charge without going below zero.
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    # SHA-256 of the key: keys are long random strings, so a fast hash is enough and the plain key is never stored.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LedgerEntry(Base):
    """One credit movement: negative amounts are charges, positive ones grants and refunds."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    project_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Project(Base):
    """An image project, and also a face detection task (kind 'face_detection'), which shares the lifecycle."""

    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(32), default="image")
    tool: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str] = mapped_column(String(16), default="cpu")
    image_count: Mapped[int] = mapped_column(Integer, default=1)
    credits_charged: Mapped[int] = mapped_column(Integer, default=0)
    # The create request as accepted, and the storage keys of the project's own copies of its inputs.
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    input_keys: Mapped[dict] = mapped_column(JSON, default=dict)
    output_keys: Mapped[list] = mapped_column(JSON, default=list)
    # Extra results of a render that are not images to download (face detection: the face paths).
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Dispatch through a broker. dispatched_at is when the project's id was last published: set as
    # it enters `queued`, and NULL for rows older than the column. redispatch_count is how often the
    # redispatch sweep has published it again since then, which spaces out its next try.
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    redispatch_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("ix_projects_claim", "status", "queue", "created_at"),
        Index("ix_projects_account_created", "account_id", "created_at"),
        Index("ix_projects_lease", "status", "lease_expires_at"),
        Index("ix_projects_dispatch", "status", "dispatched_at"),
    )


class Asset(Base):
    """A file that an account may name as an input: an upload, or a face cropped by face detection."""

    __tablename__ = "assets"

    path: Mapped[str] = mapped_column(String(512), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    source: Mapped[str] = mapped_column(String(32), default="upload")
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
