"""Celery on both brokers: what a message carries, its queue, RabbitMQ, and messages that the broker lost."""

import base64
import json
import time

import pytest
import redis
from scale_helpers import create_upscale, small_jpeg

from deployments import broker, postgres_database, start_distributed, start_embedded
from service_checks import need_services
from support import free_port, upload, wait_for_status


def dispatcher_for(deployment):
    from darkroom.queue.celery_app import CeleryDispatcher
    from darkroom.settings import Settings

    env = deployment.env
    return CeleryDispatcher(Settings(queue="celery", broker_url=env["DARKROOM_BROKER_URL"],
                                     queue_prefix=env["DARKROOM_QUEUE_PREFIX"]))


def wait_for_render_processes(deployment, count: int, timeout_s: float = 60.0) -> list:
    deadline = time.monotonic() + timeout_s
    while True:
        found = deployment.render_processes()
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def decode_redis_message(raw: bytes) -> tuple[str, list, dict]:
    """Return the task name, args and kwargs of a Celery message as kombu stores it in a Redis list."""
    message = json.loads(raw)
    body = message["body"]
    if message["properties"].get("body_encoding") == "base64":
        body = base64.b64decode(body)
    args, kwargs, _embed = json.loads(body)
    return message["headers"]["task"], args, kwargs


@pytest.mark.distributed
def test_lost_message_is_published_again(tmp_path, s3_server):
    need_services("PostgreSQL", "Redis")
    with postgres_database() as database_url, broker("redis") as redis_broker:
        # No worker yet, so the messages stay in the broker where the test can read and drop them.
        deployment = start_distributed(tmp_path, database_url, s3_server, redis_broker, workers=0,
                                       env={"DARKROOM_REDISPATCH_AFTER_S": "1"})
        try:
            client = redis.Redis.from_url(redis_broker.url)
            cpu_queue, gpu_queue = f"{redis_broker.queue_prefix}.cpu", f"{redis_broker.queue_prefix}.gpu"
            with deployment.client() as api:
                project_id = create_upscale(api, upload(api, small_jpeg(), "jpg"))

                messages = [decode_redis_message(raw) for raw in client.lrange(cpu_queue, 0, -1)]
                assert messages, "creating the project should publish its id"
                # Only the id: the worker reads everything else from the database row.
                assert all(message == ("darkroom.render", [project_id], {}) for message in messages), messages
                assert client.llen(gpu_queue) == 0

                # A project of the gpu queue goes to the gpu queue only. This id names no project.
                dispatcher_for(deployment).publish("unknown-project", "gpu")
                assert [decode_redis_message(raw) for raw in client.lrange(gpu_queue, 0, -1)] == [
                    ("darkroom.render", ["unknown-project"], {})
                ]

                client.delete(cpu_queue)  # the broker loses the project's message
                deployment.start_worker()
                project = wait_for_status(api, project_id)

            assert project["status"] == "complete", project
            row = deployment.project_row(project_id)
            assert row["redispatch_count"] >= 1
            assert row["attempts"] == 1
            assert "project unknown-project is not queued any more" in deployment.worker_log(0)
        finally:
            deployment.stop()


@pytest.mark.distributed
def test_rabbitmq_broker_renders_each_project_once(tmp_path, s3_server):
    need_services("PostgreSQL", "RabbitMQ")
    with postgres_database() as database_url, broker("rabbitmq") as rabbitmq_broker:
        deployment = start_distributed(tmp_path, database_url, s3_server, rabbitmq_broker, workers=0)
        try:
            deployment.start_worker(concurrency=2)
            # Each pool process owns a render slot, whose render process starts with it.
            render_processes = wait_for_render_processes(deployment, 2)
            assert len({process.ppid() for process in render_processes}) == 2

            with deployment.client() as api:
                file_path = upload(api, small_jpeg(), "jpg")
                project_ids = [create_upscale(api, file_path) for _ in range(3)]
                dispatcher = dispatcher_for(deployment)
                for project_id in project_ids:
                    dispatcher.publish(project_id, "cpu")
                for project_id in project_ids:
                    assert wait_for_status(api, project_id)["status"] == "complete"
            for project_id in project_ids:
                assert deployment.project_row(project_id)["attempts"] == 1
                assert deployment.worker_log(0).count(f"project {project_id} queued -> rendering") == 1
        finally:
            deployment.stop()


def test_create_succeeds_while_broker_is_down(tmp_path):
    # Nothing listens on this port: every publish fails.
    env = {"DARKROOM_QUEUE": "celery", "DARKROOM_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"}
    deployment = start_embedded(tmp_path, env=env, workers=0)
    try:
        with deployment.client() as api:
            project_id = create_upscale(api, upload(api, small_jpeg(), "jpg"))
            project = api.get(f"/v1/image-projects/{project_id}").json()
        assert project["status"] == "queued"
        assert project["credits_charged"] == 25
        log = deployment.server.log()
        assert f"publishing project {project_id} to queue cpu failed; the redispatch sweep will retry" in log
    finally:
        deployment.stop()
