"""What a failed job tells the user and what it logs: a bad file or input is one plain line
(no class name, no traceback on the terminal); an unexpected error says so and logs the
traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from guiapp.core.errors import ModelLoadError
from guiapp.workers import TaskRunner


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.shutdown()


def fail_with(exc: BaseException):
    def job(progress, cancel, on_partial):
        raise exc

    return job


def run_and_fail(qtbot, runner: TaskRunner, exc: BaseException) -> str:
    with qtbot.waitSignal(runner.failed, timeout=30_000) as failed:
        runner.submit(fail_with(exc), "load x.pkl")
    qtbot.waitUntil(lambda: not runner.is_busy(), timeout=10_000)
    return failed.args[1]


def test_a_bad_model_file_is_one_plain_line(qtbot, runner, caplog):
    caplog.set_level(logging.DEBUG, logger="guiapp")
    message = run_and_fail(qtbot, runner, ModelLoadError("x.pkl: not a model file"))
    assert message == "x.pkl: not a model file"
    shown = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert [r.levelno for r in shown] == [logging.WARNING]
    assert shown[0].exc_info is None and "x.pkl: not a model file" in shown[0].getMessage()
    assert any(r.exc_info for r in caplog.records if r.levelno == logging.DEBUG)  # details


def test_an_unexpected_error_says_so_and_logs_the_traceback(qtbot, runner, caplog):
    message = run_and_fail(qtbot, runner, KeyError("w_avg"))
    assert message == "'w_avg' (an unexpected error; the log has the details)"
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
