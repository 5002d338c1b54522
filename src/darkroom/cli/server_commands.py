"""Server-side commands: serve, worker and migrate."""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import typer

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Seconds the worker process gets to hand its projects back before it is killed.
WORKER_STOP_TIMEOUT_S = 15
# A worker started by `serve` stops when that server process is gone, even if it was killed.
PARENT_PID_ENV = "DARKROOM_PARENT_PID"
PARENT_CHECK_INTERVAL_S = 1.0


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT)


def load_settings(data_dir: Path | None = None, **overrides):
    """Read settings from the environment; command-line options override them."""
    from pydantic import ValidationError

    from darkroom.settings import Settings

    values = {key: value for key, value in overrides.items() if value is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        return Settings(**values)
    except ValidationError as error:
        for problem in error.errors():
            where = f"DARKROOM_{'_'.join(str(part) for part in problem['loc']).upper()}: " if problem["loc"] else ""
            typer.echo(f"error: invalid setting {where}{problem['msg'].removeprefix('Value error, ')}", err=True)
        raise typer.Exit(2) from None


def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="TCP port to listen on"),
    data_dir: Path = typer.Option(None, help="folder for the database, files and secret key [env: DARKROOM_DATA_DIR]"),
    workers: int = typer.Option(None, help="render slots of the embedded worker pool [env: DARKROOM_WORKERS]"),
    no_workers: bool = typer.Option(False, "--no-workers", help="run the API alone; render on `darkroom worker`"),
    log_level: str = typer.Option("info", help="log level: debug, info, warning or error"),
) -> None:
    """Run the API server, and a render worker process beside it unless --no-workers is given.

    The worker process is the embedded pool, or with DARKROOM_QUEUE=celery a Celery worker.
    """
    import uvicorn

    from darkroom.runtime import Runtime
    from darkroom.server.app import create_app

    configure_logging(log_level)
    settings = load_settings(data_dir, workers=0 if no_workers else workers)
    runtime = Runtime(settings)
    _prepare_database(runtime)
    _check_storage(runtime)

    # With DARKROOM_QUEUE=celery the worker process is a Celery worker on this machine.
    pool = _start_worker_process(settings) if settings.workers > 0 else None
    url = f"http://{host}:{port}"
    typer.echo(f"Darkroom is listening on {url}  (data: {settings.data_dir.resolve()})")
    # uvicorn stops on SIGTERM and then raises the signal again. With this handler that ends in
    # SystemExit, so the worker process below is stopped here rather than left to notice it is orphaned.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.run(create_app(runtime=runtime), host=host, port=port, log_level=log_level.lower())
    finally:
        if pool is not None:
            _stop_worker_process(pool)
        runtime.close()


def worker(
    queues: str = typer.Option("cpu,gpu", help="comma-separated queues to take projects from: cpu, gpu or both"),
    concurrency: int = typer.Option(
        None, help="render slots (with Celery: pool processes), each with its own render process [env: DARKROOM_WORKERS]"
    ),
    data_dir: Path = typer.Option(None, help="folder for the database, files and secret key [env: DARKROOM_DATA_DIR]"),
    log_level: str = typer.Option("info", help="log level: debug, info, warning or error"),
) -> None:
    """Run render workers that take queued projects until stopped (SIGTERM or Ctrl-C).

    With DARKROOM_QUEUE=celery this is a Celery worker that receives project ids from the broker;
    otherwise its slots poll the database.
    """
    from darkroom.runtime import Runtime

    configure_logging(log_level)
    settings = load_settings(data_dir, workers=concurrency)
    queue_names = _parse_queues(queues)
    runtime = Runtime(settings)
    _check_storage(runtime)
    if settings.queue == "celery":
        # The pool processes build their own runtime after the fork; this one only checked the storage.
        runtime.close()
        _run_celery_worker(settings, queue_names, log_level)
    else:
        _run_embedded_worker(runtime, queue_names)


def _parse_queues(queues: str) -> tuple[str, ...]:
    from darkroom.renderers.registry import CPU_QUEUE, GPU_QUEUE

    names = tuple(name.strip() for name in queues.split(",") if name.strip())
    for name in names:
        if name not in (CPU_QUEUE, GPU_QUEUE):
            raise typer.BadParameter(f"unknown queue {name!r}: use {CPU_QUEUE}, {GPU_QUEUE} or both", param_hint="--queues")
    if not names:
        raise typer.BadParameter("name at least one queue: cpu, gpu or both", param_hint="--queues")
    return names


def _run_embedded_worker(runtime, queue_names: tuple[str, ...]) -> None:
    from darkroom.queue.embedded import EmbeddedPool

    pool = EmbeddedPool(runtime, slots=max(runtime.settings.workers, 1), queues=queue_names)

    stopping = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stopping.set())
    pool.start()
    while not stopping.wait(PARENT_CHECK_INTERVAL_S):
        if _parent_is_gone():
            break
    pool.stop()
    runtime.close()


def _run_celery_worker(settings, queue_names: tuple[str, ...], log_level: str) -> None:
    from darkroom.queue.celery_app import run_worker

    threading.Thread(target=_stop_when_parent_is_gone, name="darkroom-parent-watch", daemon=True).start()
    # Celery stops on SIGTERM itself: it finishes the renders in progress, then exits.
    exit_code = run_worker(settings, queue_names, max(settings.workers, 1), log_level)
    raise typer.Exit(exit_code)


def _parent_is_gone() -> bool:
    parent_pid = int(os.environ.get(PARENT_PID_ENV, "0"))
    if parent_pid and os.getppid() != parent_pid:
        logging.getLogger(__name__).warning("the server process %d is gone; the worker stops", parent_pid)
        return True
    return False


def _stop_when_parent_is_gone() -> None:
    while not _parent_is_gone():
        time.sleep(PARENT_CHECK_INTERVAL_S)
    os.kill(os.getpid(), signal.SIGTERM)


def _check_storage(runtime) -> None:
    """Open the storage now, and exit with the reason when its URL is wrong or its bucket cannot be reached.

    Otherwise the command would start and then fail on every project.
    """
    from darkroom.storage import StorageError

    try:
        storage = runtime.storage
        check_bucket = getattr(storage, "check_bucket", None)
        if check_bucket is not None:
            check_bucket()
    except (StorageError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def migrate(data_dir: Path = typer.Option(None, help="folder of the default SQLite database")) -> None:
    """Apply database migrations and exit."""
    from darkroom.runtime import Runtime
    from darkroom.store import upgrade

    configure_logging()
    runtime = Runtime(load_settings(data_dir))
    upgrade(runtime.db)
    typer.echo("database is up to date")


def _prepare_database(runtime, *, create_default: bool = True) -> None:
    from darkroom.projects import accounts
    from darkroom.store import upgrade

    upgrade(runtime.db)
    if not create_default:
        return
    created = accounts.ensure_default_account(runtime.db, runtime.settings.default_account_credits)
    if created is not None:
        typer.echo(f"Created account '{created.name}' with {created.credits} credits.")
        typer.echo(f"API key (shown once, keep it): {created.api_key}")


def _exit_on_sigterm(signal_number, frame) -> None:
    raise SystemExit(0)


def _start_worker_process(settings) -> subprocess.Popen:
    """Start `darkroom worker` (the embedded pool, or a Celery worker) in its own process, apart from the API's."""
    env = dict(os.environ)
    env["DARKROOM_DATA_DIR"] = str(settings.data_dir.resolve())
    env["DARKROOM_WORKERS"] = str(settings.workers)
    env[PARENT_PID_ENV] = str(os.getpid())
    command = [sys.executable, "-m", "darkroom", "worker", "--concurrency", str(settings.workers)]
    return subprocess.Popen(command, env=env)


def _stop_worker_process(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=WORKER_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(worker)
    app.command()(migrate)
