"""`darkroom worker` and `darkroom serve` with distributed settings: what they reject, and the messages they print."""

import os
import subprocess
import sys

import pytest

from deployments import moto_s3


def run_darkroom(*args: str, env: dict, tmp_path) -> subprocess.CompletedProcess:
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("DARKROOM_")}
    full_env = {**inherited, "DARKROOM_DATA_DIR": str(tmp_path), **env}
    return subprocess.run([sys.executable, "-m", "darkroom", *args], env=full_env, capture_output=True, check=False,
                          text=True, timeout=120)


def test_celery_queue_needs_broker_url(tmp_path):
    result = run_darkroom("worker", env={"DARKROOM_QUEUE": "celery"}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "DARKROOM_QUEUE=celery needs DARKROOM_BROKER_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_s3_storage_limits_url_expiry_to_seven_days(tmp_path):
    env = {"DARKROOM_STORAGE_URL": "s3://bucket/prefix", "DARKROOM_DOWNLOAD_URL_TTL_S": "700000"}
    result = run_darkroom("worker", env=env, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "DARKROOM_DOWNLOAD_URL_TTL_S must be between 1 and 604800 seconds" in result.stderr


def test_worker_rejects_unknown_queue(tmp_path):
    result = run_darkroom("worker", "--queues", "cpu,tpu", env={}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "unknown queue 'tpu'" in result.stderr


@pytest.mark.parametrize("command", [["serve", "--no-workers", "--port", "1"], ["worker"]])
def test_missing_bucket_stops_the_command(tmp_path, command):
    with moto_s3() as s3:
        env = {
            "DARKROOM_STORAGE_URL": "s3://no-such-bucket/prefix",
            "DARKROOM_S3_ENDPOINT_URL": s3.endpoint_url,
            "DARKROOM_S3_REGION": "us-east-1",
            "DARKROOM_S3_ACCESS_KEY_ID": "test",
            "DARKROOM_S3_SECRET_ACCESS_KEY": "test",
        }
        result = run_darkroom(*command, env=env, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "S3 bucket 'no-such-bucket'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unsupported_storage_url_stops_the_command(tmp_path):
    result = run_darkroom("worker", env={"DARKROOM_STORAGE_URL": "ftp://files/x"}, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "unsupported storage URL 'ftp://files/x': use file:///path or s3://bucket/prefix" in result.stderr
    assert "Traceback" not in result.stderr
