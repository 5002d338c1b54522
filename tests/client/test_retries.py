"""Retries of the SDK against a scripted server: which failures are retried, how often, and how long it waits."""

import asyncio
import logging
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from scripted_server import Reply, ScriptedServer, json_reply

from darkroom.client import ApiConnectionError, ApiError, AsyncClient, Client, RetryPolicy
from darkroom.client._transport import parse_retry_after

PROJECT_PATH = "/v1/image-projects/p1"
CREATE_PATH = "/v1/ai-image-upscaler"
FAST_RETRIES = RetryPolicy(max_retries=3, backoff_s=0.01, max_backoff_s=0.02)
UPSCALE = {"assets": {"image_file_path": "api-assets/a.png"}, "scale_factor": 2}


def project_body(project_id: str = "p1", status: str = "complete") -> dict:
    return {
        "id": project_id,
        "name": None,
        "status": status,
        "type": "IMAGE_UPSCALER",
        "image_count": 1,
        "created_at": "2026-01-01T00:00:00.000Z",
        "enabled": True,
        "credits_charged": 50,
        "total_frame_cost": 50,
        "downloads": [],
        "error": None,
    }


def created_body() -> dict:
    return {"id": "p1", "credits_charged": 50, "frame_cost": 50}


@pytest.fixture
def scripted():
    with ScriptedServer() as server:
        yield server


@pytest.fixture
def client(scripted):
    with Client(token="dk_test", base_url=scripted.url, retry_policy=FAST_RETRIES) as sdk:
        yield sdk


def retry_delays(caplog) -> list[float]:
    """Return the delays that the SDK logged before each retry, in seconds."""
    return [
        float(re.search(r" in ([0-9.]+) s", record.getMessage()).group(1))
        for record in caplog.records
        if record.name == "darkroom.client" and "retrying" in record.getMessage()
    ]


def test_get_waits_as_retry_after_says(scripted, client, caplog):
    scripted.then("GET", PROJECT_PATH, json_reply({"message": "slow down"}, 429, {"Retry-After": "1"}))
    scripted.always("GET", PROJECT_PATH, json_reply(project_body()))
    caplog.set_level(logging.WARNING, logger="darkroom.client")

    project = client.v1.image_projects.get("p1")

    assert project.status == "complete"
    assert scripted.count("GET", PROJECT_PATH) == 2
    assert retry_delays(caplog) == [1.0]


def test_get_retries_503_until_success(scripted, client):
    scripted.then(
        "GET", PROJECT_PATH, json_reply({"message": "busy"}, 503), json_reply({"message": "busy"}, 503)
    )
    scripted.always("GET", PROJECT_PATH, json_reply(project_body()))

    assert client.v1.image_projects.get("p1").id == "p1"
    assert scripted.count("GET", PROJECT_PATH) == 3


def test_get_retries_closed_connection(scripted, client):
    scripted.then("GET", PROJECT_PATH, Reply(action="close"))
    scripted.always("GET", PROJECT_PATH, json_reply(project_body()))

    assert client.v1.image_projects.get("p1").id == "p1"
    assert scripted.count("GET", PROJECT_PATH) == 2


def test_delete_retries_500(scripted, client):
    scripted.then("DELETE", PROJECT_PATH, json_reply({"message": "oops"}, 500))
    scripted.always("DELETE", PROJECT_PATH, Reply(204, body=b""))

    client.v1.image_projects.delete("p1")

    assert scripted.count("DELETE", PROJECT_PATH) == 2


def test_retries_stop_after_max_retries(scripted, client):
    scripted.always("GET", PROJECT_PATH, json_reply({"message": "still busy"}, 503))

    with pytest.raises(ApiError) as raised:
        client.v1.image_projects.get("p1")

    assert raised.value.status_code == 503
    assert raised.value.message == "still busy"
    assert scripted.count("GET", PROJECT_PATH) == FAST_RETRIES.max_retries + 1


def test_unkeyed_post_503_not_retried(scripted, client):
    scripted.always("POST", CREATE_PATH, json_reply({"message": "busy"}, 503))

    with pytest.raises(ApiError) as raised:
        client.v1.ai_image_upscaler.create(**UPSCALE)

    assert raised.value.status_code == 503
    assert scripted.count("POST", CREATE_PATH) == 1


def test_unkeyed_post_disconnect_not_retried(scripted, client):
    scripted.always("POST", CREATE_PATH, Reply(action="close"))

    with pytest.raises(ApiConnectionError) as raised:
        client.v1.ai_image_upscaler.create(**UPSCALE)

    assert raised.value.attempts == 1
    assert scripted.count("POST", CREATE_PATH) == 1


def test_keyed_post_retried_same_key(scripted, client):
    scripted.then(
        "POST",
        CREATE_PATH,
        json_reply({"message": "busy"}, 503),
        Reply(action="close"),
        json_reply({"message": "slow down"}, 429, {"Retry-After": "0"}),
    )
    scripted.always("POST", CREATE_PATH, json_reply(created_body()))

    created = client.v1.ai_image_upscaler.create(**UPSCALE, idempotency_key="key-1")

    assert created.id == "p1"
    posts = [request for request in scripted.received if request.path == CREATE_PATH]
    assert len(posts) == 4
    assert {request.headers.get("Idempotency-Key") for request in posts} == {"key-1"}


def test_generate_retries_with_one_key(scripted, client, tmp_path):
    scripted.then("POST", CREATE_PATH, json_reply({"message": "busy"}, 502))
    scripted.always("POST", CREATE_PATH, json_reply(created_body()))
    scripted.always("GET", PROJECT_PATH, json_reply(project_body()))

    result = client.v1.ai_image_upscaler.generate(**UPSCALE, download_directory=tmp_path)

    assert result.status == "complete"
    keys = [
        request.headers.get("Idempotency-Key") for request in scripted.received if request.path == CREATE_PATH
    ]
    assert len(keys) == 2
    assert keys[0] is not None
    assert keys[0] == keys[1]


def test_client_errors_are_not_retried(scripted, client):
    scripted.always("GET", PROJECT_PATH, json_reply({"message": "project 'p1' not found"}, 404))

    with pytest.raises(ApiError):
        client.v1.image_projects.get("p1")

    assert scripted.count("GET", PROJECT_PATH) == 1


def test_refused_connection_is_retried_then_raised():
    with ScriptedServer() as stopped:
        url = stopped.url
    with (
        Client(token="dk_test", base_url=url, retry_policy=FAST_RETRIES) as sdk,
        pytest.raises(ApiConnectionError) as raised,
    ):
        sdk.v1.ai_image_upscaler.create(**UPSCALE)

    # A refused connection sent nothing, so even a POST without a key is retried.
    assert raised.value.attempts == FAST_RETRIES.max_retries + 1
    assert "ConnectError" in str(raised.value)
    assert url in str(raised.value)


def test_api_error_carries_response(scripted, client):
    scripted.always("POST", CREATE_PATH, json_reply({"message": "scale_factor must be 2 or 4, got 3"}, 422))

    with pytest.raises(ApiError) as raised:
        client.v1.ai_image_upscaler.create(assets={"image_file_path": "api-assets/a.png"}, scale_factor=3)

    error = raised.value
    assert error.status_code == 422
    assert error.message == "scale_factor must be 2 or 4, got 3"
    assert error.body == {"message": "scale_factor must be 2 or 4, got 3"}
    assert isinstance(error.response, httpx.Response)
    assert (
        str(error) == f"POST {scripted.url}{CREATE_PATH} failed with 422: scale_factor must be 2 or 4, got 3"
    )


def test_api_error_of_non_json_body(scripted, client):
    scripted.always("GET", PROJECT_PATH, Reply(400, {"Content-Type": "text/plain"}, b"bad gateway config"))

    with pytest.raises(ApiError) as raised:
        client.v1.image_projects.get("p1")

    assert raised.value.body is None
    assert raised.value.message == "bad gateway config"


def test_api_redirect_is_not_followed(scripted, client):
    scripted.always("GET", PROJECT_PATH, Reply(307, {"Location": "/elsewhere"}, b""))

    with pytest.raises(ApiError) as raised:
        client.v1.image_projects.get("p1")

    assert raised.value.status_code == 307
    assert "/elsewhere" in raised.value.message
    assert scripted.count("GET", "/elsewhere") == 0


def test_async_client_retries_like_sync(scripted):
    scripted.then("GET", PROJECT_PATH, json_reply({"message": "busy"}, 503), Reply(action="close"))
    scripted.always("GET", PROJECT_PATH, json_reply(project_body()))
    scripted.always("POST", CREATE_PATH, json_reply({"message": "busy"}, 503))

    async def run():
        async with AsyncClient(token="dk_test", base_url=scripted.url, retry_policy=FAST_RETRIES) as sdk:
            project = await sdk.v1.image_projects.get("p1")
            with pytest.raises(ApiError):
                await sdk.v1.ai_image_upscaler.create(**UPSCALE)
            return project

    assert asyncio.run(run()).id == "p1"
    assert scripted.count("GET", PROJECT_PATH) == 3
    assert scripted.count("POST", CREATE_PATH) == 1


def test_retry_after_forms():
    in_ten_seconds = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)

    assert parse_retry_after("7") == 7.0
    assert 8.0 <= parse_retry_after(in_ten_seconds) <= 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_retry_after_is_capped():
    policy = RetryPolicy(max_retry_after_s=5.0)
    response = httpx.Response(429, headers={"Retry-After": "3600"})

    assert policy.delay_s(0, response) == 5.0


def test_backoff_grows_and_is_capped():
    policy = RetryPolicy(backoff_s=1.0, max_backoff_s=4.0)

    assert 0.5 <= policy.delay_s(0) <= 1.0
    assert 1.0 <= policy.delay_s(1) <= 2.0
    assert 2.0 <= policy.delay_s(5) <= 4.0


def test_negative_max_retries_is_rejected():
    with pytest.raises(ValueError, match="max_retries must be 0 or more, got -1"):
        RetryPolicy(max_retries=-1)
