"""need_services: a missing PostgreSQL, Redis or RabbitMQ skips a test, or fails it when CI is set."""

import pytest

import deployments
from service_checks import need_services
from support import free_port


@pytest.fixture
def unreachable_postgres(monkeypatch):
    # A port that nothing listens on.
    monkeypatch.setitem(deployments.SERVICES, "PostgreSQL", ("127.0.0.1", free_port()))


def test_missing_service_fails_under_ci(unreachable_postgres, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL is not reachable"):
        need_services("PostgreSQL")


def test_missing_service_skips_without_ci(unreachable_postgres, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL is not reachable"):
        need_services("PostgreSQL")
