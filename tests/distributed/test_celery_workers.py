"""The API process with two Celery worker processes: every project renders once, and a killed worker's project moves."""

import time

import psutil
import pytest
from scale_helpers import create_slow_upscale, create_upscale, small_jpeg

from deployments import broker, postgres_database, start_distributed
from service_checks import need_services
from support import upload, wait_for_status

pytestmark = pytest.mark.distributed

TEST_ENV = {"DARKROOM_LEASE_S": "4"}
PROJECT_COUNT = 20
LOG_WAIT_S = 60.0


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory, s3_server):
    need_services("PostgreSQL", "Redis")
    with postgres_database() as database_url, broker("redis") as redis_broker:
        running = start_distributed(tmp_path_factory.mktemp("two-workers"), database_url, s3_server, redis_broker,
                                    workers=2, env=TEST_ENV)
        yield running
        running.stop()


def started_renders(logs: str, project_id: str) -> int:
    return logs.count(f"project {project_id} queued -> rendering")


def wait_for_log_count(deployment, text: str, count: int) -> int:
    deadline = time.monotonic() + LOG_WAIT_S
    while True:
        found = sum(deployment.worker_log(index).count(text) for index in range(len(deployment.workers)))
        if found >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_each_project_renders_exactly_once(two_workers):
    from darkroom.queue.celery_app import CeleryDispatcher
    from darkroom.settings import Settings

    with two_workers.client() as api:
        file_path = upload(api, small_jpeg(), "jpg")
        project_ids = [create_upscale(api, file_path) for _ in range(PROJECT_COUNT)]

        # Publish every id a second time, as a broker redelivery or a redispatch would.
        env = two_workers.env
        dispatcher = CeleryDispatcher(Settings(queue="celery", broker_url=env["DARKROOM_BROKER_URL"],
                                               queue_prefix=env["DARKROOM_QUEUE_PREFIX"]))
        for project_id in project_ids:
            dispatcher.publish(project_id, "cpu")

        for project_id in project_ids:
            assert wait_for_status(api, project_id)["status"] == "complete"

    ignored = wait_for_log_count(two_workers, "is not queued any more", PROJECT_COUNT)
    assert ignored == PROJECT_COUNT
    logs = [two_workers.worker_log(index) for index in range(2)]
    for project_id in project_ids:
        assert started_renders("".join(logs), project_id) == 1
        assert two_workers.project_row(project_id)["attempts"] == 1
    renders_per_worker = [sum(started_renders(log, project_id) for project_id in project_ids) for log in logs]
    assert all(count > 0 for count in renders_per_worker), renders_per_worker


def test_killed_worker_project_completes_on_other(two_workers):
    with two_workers.client() as api:
        project_id = create_slow_upscale(api)
        wait_for_status(api, project_id, statuses=("rendering",))

        # worker_id is host:pid:slot, the pid being the Celery pool process that renders.
        pool_pid = int(two_workers.project_row(project_id)["worker_id"].split(":")[1])
        holder = next(
            index for index, worker in enumerate(two_workers.workers)
            if pool_pid in {child.pid for child in psutil.Process(worker.pid).children(recursive=True)}
        )
        two_workers.kill_worker(holder)

        project = wait_for_status(api, project_id, timeout_s=180)
    assert project["status"] == "complete", project
    assert two_workers.project_row(project_id)["attempts"] == 2
    survivor = two_workers.worker_log(1 - holder)
    assert f"project {project_id} rendering -> complete" in survivor
    assert f"project {project_id} rendering -> complete" not in two_workers.worker_log(holder)
