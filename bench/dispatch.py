"""Dispatch benchmark: how fast an idle worker starts a project, and how throughput grows with worker processes.

    python bench/dispatch.py [--samples 20] [--projects 200] [--workers 1,2,4] [--modes embedded,celery]

Two configurations, each started from scratch on 127.0.0.1:
- embedded: SQLite and `darkroom worker` processes whose render slots poll the database;
- celery: PostgreSQL, Redis as the Celery broker, and Celery `darkroom worker` processes.
Both keep files in a local folder, so the numbers measure dispatch and rendering, not object storage.
PostgreSQL and Redis must run on 127.0.0.1 (5432, 6379) for the celery configuration.

Latency is `started_at - created_at` of projects created one at a time while one worker waits idle:
the time from the API's insert to a worker's claim, including the commit and, with Celery, the
publish and delivery. Throughput is projects per second from the first create to the last completion
of `--projects` small upscales (96x120 pixels) created by 8 parallel clients, after every worker has
rendered once to start its render process. The API, the workers and the databases share the machine's
cores, so the numbers show how dispatch scales there, not what separate machines would do.
"""

import argparse
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import bindparam, create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "distributed"))

from scale_helpers import create_upscale, small_jpeg  # noqa: E402

from deployments import broker, postgres_database, require_services, start_distributed, start_embedded  # noqa: E402
from support import upload, wait_for_status  # noqa: E402

# Worker processes each render one project at a time, as `--concurrency 1`.
BENCH_ENV = {"DARKROOM_WORKERS": "1"}
COMPLETION_TIMEOUT_S = 1800.0
CREATE_THREADS = 8


def start(mode: str, stack: ExitStack, workers: int):
    data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"darkroom-bench-{mode}-")))
    if mode == "embedded":
        deployment = start_embedded(data_dir, env=BENCH_ENV, workers=0)
        stack.callback(deployment.stop)
        for _ in range(workers):
            deployment.start_worker()
        return deployment
    require_services("PostgreSQL", "Redis")
    database_url = stack.enter_context(postgres_database())
    redis_broker = stack.enter_context(broker("redis"))
    deployment = start_distributed(data_dir, database_url, None, redis_broker, workers=workers, env=BENCH_ENV)
    stack.callback(deployment.stop)
    return deployment


def timestamps(deployment, project_ids: list[str]) -> list[tuple[datetime, datetime, datetime]]:
    """Return (created_at, started_at, completed_at) of each project, read from the database."""
    statement = text("SELECT created_at, started_at, completed_at FROM projects WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    engine = create_engine(deployment.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(statement, {"ids": project_ids}).all()
    finally:
        engine.dispose()
    return [tuple(_as_utc(value) for value in row) for row in rows]


def _as_utc(value) -> datetime:
    # SQLite returns the stored text; PostgreSQL returns aware datetimes.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def measure_latency(mode: str, samples: int) -> tuple[list[float], list[float]]:
    """Return the sorted create-to-claim and claim-to-completion times, in seconds, of `samples` projects."""
    with ExitStack() as stack:
        deployment = start(mode, stack, workers=1)
        with deployment.client() as api:
            file_path = upload(api, small_jpeg(), "jpg")
            wait_for_status(api, create_upscale(api, file_path))  # starts the render process
            project_ids = []
            for _ in range(samples):
                project_id = create_upscale(api, file_path)
                wait_for_status(api, project_id, timeout_s=COMPLETION_TIMEOUT_S)
                project_ids.append(project_id)
        rows = timestamps(deployment, project_ids)
    waits = sorted((started - created).total_seconds() for created, started, _ in rows)
    renders = sorted((completed - started).total_seconds() for _, started, completed in rows)
    return waits, renders


def measure_throughput(mode: str, workers: int, projects: int) -> tuple[float, float]:
    """Return (projects created per second, projects completed per second)."""
    with ExitStack() as stack:
        deployment = start(mode, stack, workers=workers)
        with deployment.client() as api:
            file_path = upload(api, small_jpeg(), "jpg")
            warm_up(deployment, api, file_path, workers)
            # Parallel creates, so that the API's create rate limits the workers as little as it can.
            with ThreadPoolExecutor(CREATE_THREADS) as pool:
                project_ids = list(pool.map(lambda _: create_upscale(api, file_path), range(projects)))
            for project_id in project_ids:
                wait_for_status(api, project_id, timeout_s=COMPLETION_TIMEOUT_S)
        rows = timestamps(deployment, project_ids)
    first_created = min(created for created, _, _ in rows)
    last_created = max(created for created, _, _ in rows)
    last_completed = max(completed for _, _, completed in rows)
    return (projects / (last_created - first_created).total_seconds(),
            projects / (last_completed - first_created).total_seconds())


def warm_up(deployment, api, file_path: str, workers: int) -> None:
    """Render small projects until every worker has started its render process."""
    for _ in range(10):
        for project_id in [create_upscale(api, file_path) for _ in range(2 * workers)]:
            wait_for_status(api, project_id, timeout_s=COMPLETION_TIMEOUT_S)
        started = sum("render process" in deployment.worker_log(index) for index in range(workers))
        if started == workers:
            return
    print(f"  warning: only some of the {workers} workers rendered during the warm-up", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=20, help="projects timed for the idle-worker latency")
    parser.add_argument("--projects", type=int, default=200, help="projects per throughput run")
    parser.add_argument("--workers", default="1,2,4",
                        help="worker process counts for the throughput runs; empty to skip them")
    parser.add_argument("--modes", default="embedded,celery", help="configurations to measure")
    args = parser.parse_args()
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    worker_counts = [int(count) for count in args.workers.split(",") if count.strip()]

    print("time from create to rendering, one idle worker")
    for mode in modes:
        waits, renders = measure_latency(mode, args.samples)
        print(f"  {mode:9} median {statistics.median(waits) * 1000:7.1f} ms   max {waits[-1] * 1000:7.1f} ms   "
              f"(then claim to completion: median {statistics.median(renders) * 1000:.1f} ms; "
              f"{len(waits)} projects)")

    if worker_counts:
        print(f"throughput, {args.projects} small projects")
    for mode in modes:
        for workers in worker_counts:
            created, completed = measure_throughput(mode, workers, args.projects)
            print(f"  {mode:9} {workers} worker processes: {completed:6.1f} projects/s rendered "
                  f"(created at {created:.1f}/s)")


if __name__ == "__main__":
    main()
