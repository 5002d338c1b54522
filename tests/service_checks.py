"""Skip, or with CI set fail, tests whose PostgreSQL, Redis or RabbitMQ on 127.0.0.1 is not reachable."""

import os

import pytest

from deployments import ServiceUnavailable, require_services


def need_services(*names: str) -> None:
    try:
        require_services(*names)
    except ServiceUnavailable as error:
        if os.environ.get("CI"):
            pytest.fail(f"{error}; with CI set, distributed tests must run", pytrace=False)
        pytest.skip(f"{error}; set CI=1 to turn this skip into a failure")
