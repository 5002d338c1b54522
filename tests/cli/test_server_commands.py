"""`darkroom serve`, `accounts create` and `migrate` as an operator runs them."""

import re
import subprocess
import sys

import httpx

from support import start_server


def run(*args, data_dir, check=True):
    return subprocess.run([sys.executable, "-m", "darkroom", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=120, check=check)


def test_serve_prints_key_once(tmp_path):
    first = start_server(tmp_path)
    first.stop()
    log = first.log()
    assert re.search(r"listening on http://127\.0\.0\.1:\d+", log)
    assert "Created account 'default' with 10000 credits" in log
    assert first.api_key.startswith("dk_")

    second = start_server(tmp_path)
    try:
        assert "API key" not in second.log()
        with second.client(api_key=first.api_key) as api:
            assert api.get("/v1/account").json()["credits"] == 10000
    finally:
        second.stop()


def test_serve_uses_sqlite_wal_and_one_data_folder(tmp_path):
    server = start_server(tmp_path)
    server.stop()
    assert (tmp_path / "darkroom.db").is_file()
    assert _journal_mode(tmp_path / "darkroom.db") == "wal"
    assert (tmp_path / "storage").is_dir()
    assert (tmp_path / "secret.key").is_file()


def _journal_mode(path) -> str:
    import sqlite3

    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA journal_mode").fetchone()[0]


def test_accounts_create_prints_new_working_key(tmp_path):
    server = start_server(tmp_path)
    try:
        result = run("accounts", "create", "--name", "studio", "--credits", "250", data_dir=tmp_path)
        key = re.search(r"API key: (dk_\S+)", result.stdout).group(1)
        assert "250 credits" in result.stdout
        with server.client(api_key=key) as api:
            account = api.get("/v1/account").json()
        assert account["credits"] == 250
        assert account["name"] == "studio"
    finally:
        server.stop()


def test_accounts_create_rejects_negative_credits(tmp_path):
    result = run("accounts", "create", "--name", "x", "--credits", "-5", data_dir=tmp_path, check=False)
    assert result.returncode == 2
    assert "credits" in result.stderr


def test_migrate_on_empty_folder(tmp_path):
    result = run("migrate", data_dir=tmp_path)
    assert "up to date" in result.stdout
    assert (tmp_path / "darkroom.db").is_file()


def test_serve_without_workers_leaves_projects_queued(tmp_path):
    from support import OBAMA, upload

    server = start_server(tmp_path, extra_args=("--no-workers",))
    try:
        with server.client() as api:
            file_path = upload(api, OBAMA)
            created = api.post("/v1/ai-image-upscaler",
                               json={"assets": {"image_file_path": file_path}, "scale_factor": 2}).json()
            assert api.get(f"/v1/image-projects/{created['id']}").json()["status"] == "queued"
        assert httpx.get(f"{server.url}/health").status_code == 200
    finally:
        server.stop()
