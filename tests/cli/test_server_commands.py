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


def test_accounts_create_needs_existing_database(tmp_path):
    result = run("accounts", "create", "--name", "x", data_dir=tmp_path / "nowhere", check=False)
    assert result.returncode == 2
    assert "no Darkroom database" in result.stderr
    assert not (tmp_path / "nowhere" / "darkroom.db").exists()


def test_accounts_create_rejects_duplicate_and_empty_names(tmp_path):
    run("migrate", data_dir=tmp_path)
    run("accounts", "create", "--name", "alice", data_dir=tmp_path)
    duplicate = run("accounts", "create", "--name", "alice", data_dir=tmp_path, check=False)
    empty = run("accounts", "create", "--name", "  ", data_dir=tmp_path, check=False)
    assert duplicate.returncode == 2
    assert "exists already" in duplicate.stderr
    assert empty.returncode == 2
    assert "must not be empty" in empty.stderr


def test_accounts_list_and_new_key(tmp_path):
    server = start_server(tmp_path)
    try:
        listed = run("accounts", "list", data_dir=tmp_path)
        assert "default" in listed.stdout
        assert "10000" in listed.stdout

        issued = run("accounts", "new-key", "--name", "default", data_dir=tmp_path)
        key = re.search(r"API key for default: (dk_\S+)", issued.stdout).group(1)
        with server.client(api_key=key) as api:
            assert api.get("/v1/account").json()["name"] == "default"
        with server.client() as api:
            assert api.get("/v1/account").status_code == 200, "the first key keeps working"

        unknown = run("accounts", "new-key", "--name", "nobody", data_dir=tmp_path, check=False)
        assert unknown.returncode == 2
        assert "no account named" in unknown.stderr
    finally:
        server.stop()


def test_sigterm_stops_worker_process_cleanly(tmp_path):
    import psutil

    server = start_server(tmp_path)
    workers = [child for child in psutil.Process(server.process.pid).children() if "worker" in child.cmdline()]
    assert len(workers) == 1
    server.stop()
    assert server.process.returncode == 0
    assert not workers[0].is_running()
    assert "is gone; the worker stops" not in server.log()
