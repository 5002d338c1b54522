import pytest

from darkroom.client import Client
from support import start_server


@pytest.fixture
def sdk(server):
    """The Darkroom SDK client of the shared server's default account."""
    with Client(token=server.api_key, base_url=server.url) as client:
        yield client


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory):
    """A server without render workers, where every project stays queued until canceled."""
    running = start_server(tmp_path_factory.mktemp("idle-server"), workers=0)
    yield running
    running.stop()


@pytest.fixture
def idle_sdk(idle_server):
    with Client(token=idle_server.api_key, base_url=idle_server.url) as client:
        yield client
