"""Credits: one ledger per account, no overdraft under parallel creates, Idempotency-Key charges once."""

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from support import OBAMA, upload

PRICE = 50  # 2x balanced


def new_account(server, credits: int) -> str:
    return server.new_account(credits, name="credits-test")


def ledger(server, api_key: str) -> tuple[int, int]:
    """Return (balance, sum of ledger entries) of the account that owns `api_key`."""
    import hashlib

    key_hash = hashlib.sha256(api_key.encode()).hexdigest()
    with sqlite3.connect(server.data_dir / "darkroom.db") as connection:
        account_id = connection.execute("SELECT account_id FROM api_keys WHERE key_hash = ?", (key_hash,)).fetchone()[0]
        balance = connection.execute("SELECT balance FROM accounts WHERE id = ?", (account_id,)).fetchone()[0]
        total = connection.execute("SELECT SUM(amount) FROM ledger_entries WHERE account_id = ?", (account_id,)).fetchone()[0]
    return balance, total


@pytest.fixture(scope="module")
def no_worker_server(tmp_path_factory):
    """Projects stay queued here, so no refund can blur what the charges did."""
    from support import start_server

    running = start_server(tmp_path_factory.mktemp("credits"), extra_args=("--no-workers",))
    yield running
    running.stop()


def test_parallel_creates_never_overdraw(no_worker_server):
    key = new_account(no_worker_server, 10 * PRICE)
    with no_worker_server.client(api_key=key) as api:
        file_path = upload(api, OBAMA)

    def create(_):
        with no_worker_server.client(api_key=key) as client:
            return client.post("/v1/ai-image-upscaler",
                               json={"assets": {"image_file_path": file_path}, "scale_factor": 2}).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(create, range(40)))

    assert statuses.count(200) == 10
    assert statuses.count(402) == 30
    assert ledger(no_worker_server, key) == (0, 0)
    with no_worker_server.client(api_key=key) as api:
        assert api.get("/v1/account").json()["credits"] == 0
        assert len(api.get("/v1/image-projects", params={"limit": 100}).json()["data"]) == 10


def test_idempotency_key_returns_same_project_and_charges_once(no_worker_server):
    key = new_account(no_worker_server, 1000)
    with no_worker_server.client(api_key=key) as api:
        file_path = upload(api, OBAMA)
        body = {"assets": {"image_file_path": file_path}, "scale_factor": 2}
        headers = {"Idempotency-Key": "order-17"}
        first = api.post("/v1/ai-image-upscaler", json=body, headers=headers)
        second = api.post("/v1/ai-image-upscaler", json=body, headers=headers)
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json()
        assert api.get("/v1/account").json()["credits"] == 1000 - PRICE
    assert ledger(no_worker_server, key) == (1000 - PRICE, 1000 - PRICE)


def test_idempotency_key_in_parallel_charges_once(no_worker_server):
    key = new_account(no_worker_server, 1000)
    with no_worker_server.client(api_key=key) as api:
        file_path = upload(api, OBAMA)
    body = {"assets": {"image_file_path": file_path}, "scale_factor": 2}

    def create(_):
        with no_worker_server.client(api_key=key) as client:
            return client.post("/v1/ai-image-upscaler", json=body, headers={"Idempotency-Key": "burst"}).json()["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(create, range(8)))
    assert len(ids) == 1
    assert ledger(no_worker_server, key) == (1000 - PRICE, 1000 - PRICE)


def test_idempotency_key_with_other_body_is_422(no_worker_server):
    key = new_account(no_worker_server, 1000)
    with no_worker_server.client(api_key=key) as api:
        file_path = upload(api, OBAMA)
        headers = {"Idempotency-Key": "order-18"}
        api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2},
                 headers=headers)
        response = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 4},
                            headers=headers)
        assert response.status_code == 422
        assert response.json()["field"] == "Idempotency-Key"
        assert "order-18" in response.json()["message"]
        assert api.get("/v1/account").json()["credits"] == 1000 - PRICE


def test_idempotency_keys_are_per_account(no_worker_server):
    first_key, second_key = new_account(no_worker_server, 1000), new_account(no_worker_server, 1000)
    ids = []
    for key in (first_key, second_key):
        with no_worker_server.client(api_key=key) as api:
            file_path = upload(api, OBAMA)
            ids.append(api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2},
                                headers={"Idempotency-Key": "shared-name"}).json()["id"])
    assert ids[0] != ids[1]


def test_overlong_idempotency_key_is_422(no_worker_server):
    with no_worker_server.client() as api:
        file_path = upload(api, OBAMA)
        response = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2},
                            headers={"Idempotency-Key": "k" * 300})
        assert response.status_code == 422
        assert response.json()["field"] == "Idempotency-Key"
