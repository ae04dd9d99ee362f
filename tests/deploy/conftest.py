"""Deployment fixtures: real ``hotline serve`` / ``hotline scheduler`` processes over the ``live`` fixture's
database (helpers in ``process_support``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from process_support import Process, Server, shared_env, wait_for


@pytest.fixture
def start_server(live, tmp_path) -> Iterator[Callable[..., Server]]:  # noqa: ANN001
    """start_server(workers=1, **env) -> a running ``hotline serve`` over the live database."""
    started: list[Server] = []

    def _start(workers: int = 1, **extra: str) -> Server:
        server = Server(shared_env(live.runtime, tmp_path / f"host{len(started) + 1}", **extra), workers=workers)
        started.append(server)
        wait_for(server.ready, what=f"server on {server.url}")
        return server

    yield _start
    for server in started:
        server.stop()


@pytest.fixture
def start_scheduler(live, tmp_path) -> Iterator[Callable[..., Process]]:  # noqa: ANN001
    started: list[Process] = []

    def _start(**extra: str) -> Process:
        env = shared_env(live.runtime, tmp_path / f"scheduler{len(started) + 1}", HOTLINE_SCHEDULER_JOBS="deadlines",
                         HOTLINE_SCHEDULER_STANDBY_SECONDS="1", **extra)
        process = Process(["scheduler"], env)
        started.append(process)
        return process

    yield _start
    for process in started:
        process.stop()
