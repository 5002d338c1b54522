"""Fixtures that run Darkroom in both configurations: embedded, and PostgreSQL + S3 + Celery on Redis."""

import logging

import pytest

from deployments import broker, moto_s3, postgres_database, start_distributed, start_embedded
from service_checks import need_services

# Short leases so that a killed worker's project is requeued within seconds; workers renew them
# every DARKROOM_PROGRESS_INTERVAL_S (0.25 s by default).
TEST_ENV = {"DARKROOM_LEASE_S": "4", "DARKROOM_MAX_UPLOAD_BYTES": str(2 * 1024 * 1024)}
CONFIGURATIONS = ["embedded", pytest.param("distributed", marks=pytest.mark.distributed)]


@pytest.fixture(scope="session")
def s3_server():
    # moto's server logs every request through werkzeug; the tests read their own assertions, not that.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with moto_s3() as server:
        yield server


@pytest.fixture(scope="module", params=CONFIGURATIONS)
def deployment(request, tmp_path_factory):
    """The API and one render worker, in each configuration in turn, shared by a module's tests."""
    data_dir = tmp_path_factory.mktemp(request.param)
    if request.param == "embedded":
        running = start_embedded(data_dir, env=TEST_ENV)
        yield running
        running.stop()
        return

    need_services("PostgreSQL", "Redis")
    s3 = request.getfixturevalue("s3_server")
    with postgres_database() as database_url, broker("redis") as redis_broker:
        running = start_distributed(data_dir, database_url, s3, redis_broker, workers=1, env=TEST_ENV)
        yield running
        running.stop()


@pytest.fixture
def api(deployment):
    with deployment.client() as client:
        yield client
