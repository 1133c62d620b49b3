"""Flower as `fragrance flower` (and so `make run`) starts it: its command line, and its
/metrics behind the same login as its pages (Flower's own handler skips the check)."""

from __future__ import annotations

import asyncio
import logging
from base64 import b64encode
from types import SimpleNamespace

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port
from tornado.web import Application

from cli.stack import CELERY_APP, FLOWER_INSPECT_TIMEOUT_MS, flower_argv, metrics_behind_login

pytestmark = pytest.mark.unit
LOGIN = "operator:pw"


def test_flower_listens_on_loopback_and_waits_for_busy_workers_answers() -> None:
    argv = flower_argv(5599)
    assert argv[:4] == ["celery", "-A", CELERY_APP, "flower"]
    assert "--port=5599" in argv and "--address=127.0.0.1" in argv
    timeouts = [arg for arg in argv if arg.startswith("--inspect_timeout=")]
    assert timeouts == [f"--inspect_timeout={FLOWER_INSPECT_TIMEOUT_MS}"]
    assert FLOWER_INSPECT_TIMEOUT_MS >= 3000  # Flower's default, 1000 ms, dropped answers
    assert not any(LOGIN in arg or "basic_auth" in arg for arg in argv)  # `ps` shows argv


async def status_of(path: str, login: str | None) -> int:
    """The status Flower's /metrics handler answers, in a bare tornado app with basic auth."""
    from flower.views.monitor import Metrics

    app = Application([(r"/metrics", Metrics)])
    app.options = SimpleNamespace(basic_auth=[LOGIN], auth="", url_prefix="")  # type: ignore[attr-defined]
    app.purge_offline_worker_metrics = lambda: None  # type: ignore[attr-defined]
    sock, port = bind_unused_port()
    server = HTTPServer(app)
    server.add_sockets([sock])
    headers = {"Authorization": "Basic " + b64encode(login.encode()).decode()} if login else {}
    try:
        response = await AsyncHTTPClient().fetch(f"http://127.0.0.1:{port}{path}",
                                                 headers=headers, raise_error=False,
                                                 follow_redirects=False)
        return int(response.code)
    except HTTPClientError as error:
        return int(error.code)
    finally:
        server.stop()


def test_flowers_metrics_need_the_login() -> None:
    metrics_behind_login()
    metrics_behind_login()  # once is enough; again changes nothing
    assert asyncio.run(status_of("/metrics", None)) == 401
    assert asyncio.run(status_of("/metrics", "operator:wrong")) == 401
    assert asyncio.run(status_of("/metrics", LOGIN)) == 200


def _no_answer(method: str, created: float) -> logging.LogRecord:
    record = logging.LogRecord("flower.inspector", logging.WARNING, __file__, 1,
                               "Inspect method %s failed", (method,), None)
    record.created = created
    return record


def test_unanswered_inspections_at_flower_start_are_one_info_line() -> None:
    import time

    from cli.stack import NoWorkerUpYet

    workers_up = [True]  # the workers beat a moment after Flower's broadcast went out
    quiet = NoWorkerUpYet(lambda: workers_up[0], startup_s=10)
    now = time.time()
    at_start = [_no_answer(m, now + 5) for m in ("registered", "stats", "conf")]
    kept = [record for record in at_start if quiet.filter(record)]
    assert [(r.levelname, r.getMessage()[:25]) for r in kept] == [
        ("INFO", "no worker answered Flower")]
    later = _no_answer("stats", now + 60)  # workers up and silent: worth its warning
    assert quiet.filter(later) and later.levelname == "WARNING"
    workers_up[0] = False
    assert not quiet.filter(_no_answer("stats", now + 90))  # none up: said once already
