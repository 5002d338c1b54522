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


@pytest.fixture(scope="module")
def generator_server(tmp_path_factory):
    """A server whose image generator is enabled with a tiny random text-to-image pipeline."""
    tiny_models = pytest.importorskip("tiny_models", reason="tests/tiny_models.py builds the tiny pipeline")
    pipeline = tiny_models.write_text_to_image_pipeline(tmp_path_factory.mktemp("tiny-pipeline"))
    running = start_server(tmp_path_factory.mktemp("generator-server"), workers=1,
                           env={"DARKROOM_IMAGE_MODEL": str(pipeline), "DARKROOM_IMAGE_STEPS": "2"})
    yield running
    running.stop()


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
