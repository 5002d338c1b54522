"""Whole Darkroom deployments for tests and benchmarks: embedded, or PostgreSQL + S3 (moto) + Celery workers.

Every distributed deployment gets its own PostgreSQL database (random name, dropped afterwards), its
own key prefix in a shared moto S3 server, and its own broker queue names, so parallel runs never collide.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from sqlalchemy import create_engine, text

from support import Server, free_port, start_server

POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
RABBITMQ = ("127.0.0.1", 5672)
SERVICES = {"PostgreSQL": POSTGRES, "Redis": REDIS, "RabbitMQ": RABBITMQ}
POSTGRES_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
# Redis keeps 16 numbered databases; tests use 1 to 15 at random, and their own queue names besides.
REDIS_TEST_DATABASES = range(1, 16)
S3_REGION = "us-east-1"
S3_BUCKET = "darkroom-test"
WORKER_READY_TIMEOUT_S = 90.0
# What `darkroom worker` logs once it takes projects: the Celery worker, or the embedded pool.
WORKER_READY_LINES = ("ready on queues", "embedded pool started")


class ServiceUnavailable(Exception):
    pass


def require_services(*names: str) -> None:
    """Raise ServiceUnavailable naming the first of `names` that does not accept TCP connections."""
    for name in names:
        host, port = SERVICES[name]
        try:
            with socket.create_connection((host, port), timeout=2.0):
                pass
        except OSError as error:
            raise ServiceUnavailable(f"{name} is not reachable at {host}:{port} ({error})") from None


@contextmanager
def postgres_database() -> Iterator[str]:
    """Create a PostgreSQL database with a random name; yield its SQLAlchemy URL; drop it afterwards."""
    import psycopg

    name = f"darkroom_test_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=S3_REGION,
                            aws_access_key_id="test", aws_secret_access_key="test")

    def keys(self, prefix: str) -> list[str]:
        response = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for item in response.get("Contents", [])]


@contextmanager
def moto_s3() -> Iterator[S3Server]:
    """Run moto's S3 server on a free 127.0.0.1 port with one empty bucket."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3 = S3Server(f"http://{host}:{port}", S3_BUCKET)
    s3.client().create_bucket(Bucket=s3.bucket)
    try:
        yield s3
    finally:
        server.stop()


@dataclass(frozen=True)
class Broker:
    url: str
    queue_prefix: str


@contextmanager
def broker(kind: str) -> Iterator[Broker]:
    """Yield a Redis or RabbitMQ broker with queue names of its own; delete its queues afterwards."""
    prefix = f"darkroom-test-{secrets.token_hex(6)}"
    if kind == "redis":
        database = secrets.choice(REDIS_TEST_DATABASES)
        url = f"redis://{REDIS[0]}:{REDIS[1]}/{database}"
    else:
        url = RABBITMQ_URL
    try:
        yield Broker(url, prefix)
    finally:
        _delete_broker_queues(url, prefix)


def _delete_broker_queues(url: str, prefix: str) -> None:
    from kombu import Connection

    with Connection(url, connect_timeout=5) as connection:
        channel = connection.default_channel
        for queue in ("cpu", "gpu"):
            name = f"{prefix}.{queue}"
            channel.queue_delete(name)
            channel.exchange_delete(name)
    if url.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(url)
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)


@dataclass
class Deployment:
    """A running API with its workers, and the ways a test looks behind it: rows, stored files, processes."""

    mode: str  # "embedded" or "distributed"
    server: Server
    database_url: str
    data_dir: Path
    env: dict
    s3: S3Server | None = None
    storage_prefix: str = ""
    workers: list[subprocess.Popen] = field(default_factory=list)
    worker_logs: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def client(self) -> httpx.Client:
        return self.server.client()

    def project_row(self, project_id: str) -> dict:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                row = connection.execute(text("SELECT * FROM projects WHERE id = :id"), {"id": project_id})
                return dict(row.mappings().one())
        finally:
            engine.dispose()

    def stored_keys(self, project_id: str) -> list[str]:
        """Return the storage keys under the project's folder."""
        if self.s3 is not None:
            prefix = f"{self.storage_prefix}/projects/{project_id}/"
            return [key.removeprefix(f"{self.storage_prefix}/") for key in self.s3.keys(prefix)]
        folder = self.data_dir / "storage" / "projects" / project_id
        root = self.data_dir / "storage"
        return sorted(str(path.relative_to(root)) for path in folder.rglob("*") if path.is_file())

    def render_processes(self) -> list[psutil.Process]:
        """Return the render processes below the API and worker processes."""
        roots = [psutil.Process(self.server.process.pid)]
        roots += [psutil.Process(worker.pid) for worker in self.workers if worker.poll() is None]
        found = []
        for root in roots:
            for child in root.children(recursive=True):
                try:
                    if "spawn_main" in " ".join(child.cmdline()):
                        found.append(child)
                except psutil.NoSuchProcess:
                    continue
        return found

    def start_worker(self, queues: str = "cpu,gpu", concurrency: int = 1) -> subprocess.Popen:
        index = len(self.workers)
        log_path = self.data_dir / f"worker-{index}.log"
        command = [sys.executable, "-m", "darkroom", "worker", "--queues", queues, "--concurrency", str(concurrency)]
        with log_path.open("w") as log:
            process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.workers.append(process)
        self.worker_logs.append(log_path)
        _wait_for_line(process, log_path, WORKER_READY_LINES, WORKER_READY_TIMEOUT_S)
        return process

    def kill_worker(self, index: int) -> None:
        """Kill a worker with everything it started, as when its machine dies."""
        os.killpg(self.workers[index].pid, signal.SIGKILL)
        self.workers[index].wait()

    def worker_log(self, index: int) -> str:
        return self.worker_logs[index].read_text(errors="replace")

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        self.server.stop()


def start_embedded(data_dir: Path, *, env: dict | None = None, workers: int = 1) -> Deployment:
    """Start `darkroom serve` with SQLite, local files and its embedded pool (`workers` 0: the API alone)."""
    extra_args = ["--no-workers"] if workers == 0 else []
    server = start_server(data_dir, workers=workers, env=env, extra_args=extra_args)
    database_url = f"sqlite:///{(data_dir / 'darkroom.db').resolve()}"
    return Deployment("embedded", server, database_url, data_dir, server.env)


def distributed_env(database_url: str, s3: S3Server | None, storage_prefix: str, broker_: Broker) -> dict:
    env = {
        "DARKROOM_DATABASE_URL": database_url,
        "DARKROOM_QUEUE": "celery",
        "DARKROOM_BROKER_URL": broker_.url,
        "DARKROOM_QUEUE_PREFIX": broker_.queue_prefix,
    }
    if s3 is not None:
        env.update({
            "DARKROOM_STORAGE_URL": f"s3://{s3.bucket}/{storage_prefix}",
            "DARKROOM_S3_ENDPOINT_URL": s3.endpoint_url,
            "DARKROOM_S3_REGION": S3_REGION,
            "DARKROOM_S3_ACCESS_KEY_ID": "test",
            "DARKROOM_S3_SECRET_ACCESS_KEY": "test",
        })
    return env


def start_distributed(data_dir: Path, database_url: str, s3: S3Server | None, broker_: Broker, *,
                      workers: int = 1, env: dict | None = None) -> Deployment:
    """Start `darkroom serve --no-workers` and `workers` Celery `darkroom worker` processes.

    Without `s3`, files stay in the data folder, which the API and its workers on this machine share.
    """
    storage_prefix = f"run-{secrets.token_hex(6)}"
    full_env = {**distributed_env(database_url, s3, storage_prefix, broker_), **(env or {})}
    server = start_server(data_dir, workers=0, env=full_env, extra_args=["--no-workers"])
    deployment = Deployment("distributed", server, database_url, data_dir, server.env, s3, storage_prefix)
    try:
        for _ in range(workers):
            deployment.start_worker()
    except BaseException:
        deployment.stop()
        raise
    return deployment


def _wait_for_line(process: subprocess.Popen, log_path: Path, lines: tuple[str, ...], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        log = log_path.read_text(errors="replace")
        if any(line in log for line in lines):
            return
        if process.poll() is not None:
            raise RuntimeError(f"worker exited with {process.returncode}:\n{log}")
        time.sleep(0.1)
    raise RuntimeError(f"worker did not log any of {lines} within {timeout_s} s:\n{log_path.read_text()}")
