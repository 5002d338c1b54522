import pytest

from support import start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One server with two render slots, shared by tests that need no special settings."""
    running = start_server(tmp_path_factory.mktemp("server"), workers=2)
    yield running
    running.stop()


@pytest.fixture
def api(server):
    with server.client() as client:
        yield client


@pytest.fixture
def fresh_server(tmp_path):
    """A server of its own for one test, for tests that stop it or change its settings."""
    started = []

    def start(**kwargs):
        running = start_server(tmp_path / f"server-{len(started)}", **kwargs)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
