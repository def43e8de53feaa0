"""Fixtures for the emulator's own tests: one real server for the session, on a free port and a temp state dir."""

from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from emulator.testing import RunningEmulator
from emulator.testing import running_emulator


@pytest.fixture(scope="session")
def emu() -> Iterator[RunningEmulator]:
    """The shared emulator (tests create uniquely named resources and only look at calls after their own seq)."""
    with running_emulator() as running:
        yield running


@pytest.fixture(scope="session")
def aws(emu: RunningEmulator) -> Callable[..., Any]:
    """aws(service, region="us-east-1") -> a boto3 client on the shared emulator."""

    def _client(service: str, region: str = "us-east-1") -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=emu.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return _client
