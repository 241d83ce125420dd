"""`quiz serve` without a browser: the per-tab command, the proxy's learner header, bad decks."""

from __future__ import annotations

import shlex
import socket
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from quiz import cli as quiz_cli
from quiz.cli import Options
from quiz.commands.serve import child_command, export, header_learner, is_loopback
from tests.conftest import TINY


@pytest.mark.parametrize("name", ["alice", "a.b-c_d", "jo@example.edu", "s001", "x" * 64])
def test_header_learner_accepts_user_names(name: str) -> None:
    assert header_learner(name) == name
    assert header_learner(f"  {name} ") == name


@pytest.mark.parametrize(
    "value", [None, "", " ", "a b", "$(reboot)", "a;b", "../etc", "-rf", "x" * 65, "é"]
)
def test_header_learner_refuses_anything_else(value: str | None) -> None:
    assert header_learner(value) is None


def test_the_tab_command_is_shell_safe_and_carries_no_database_url() -> None:
    command = child_command("o'brien; rm -rf ~", ("tiny", "a b"))
    assert shlex.split(command) == [
        sys.executable,
        "-P",  # the current directory stays off sys.path: only the installed quiz runs
        "-m",
        "quiz.commands.serve",
        "--learner",
        "o'brien; rm -rf ~",
        "--",
        "tiny",
        "a b",
    ]


def test_database_and_settings_reach_the_tabs_through_the_environment() -> None:
    environ: dict[str, str] = {"QUIZ_CONFIG": "/etc/quiz.toml"}
    export(Options("postgresql+psycopg://u:secret@db/quiz", "/srv/quiz", None, "x"), environ)
    assert environ == {
        "QUIZ_DB": "postgresql+psycopg://u:secret@db/quiz",
        "QUIZ_HOME": "/srv/quiz",
        "QUIZ_CONFIG": "/etc/quiz.toml",
    }


def test_serve_refuses_an_unknown_deck_before_listening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(quiz_cli.LAZY_COMMANDS, "serve", "quiz.commands.serve:serve")
    for var in ("QUIZ_DB", "QUIZ_CONFIG", "QUIZ_LEARNER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path))
    runner = CliRunner()
    assert runner.invoke(quiz_cli.cli, ["import", str(TINY)]).exit_code == 0
    result = runner.invoke(quiz_cli.cli, ["serve", "--port", "1", "nosuchdeck"])
    assert result.exit_code == 1
    assert "no deck with id nosuchdeck" in result.output


def _serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    for var in ("QUIZ_DB", "QUIZ_CONFIG", "QUIZ_LEARNER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path))
    return CliRunner().invoke(quiz_cli.cli, ["serve", "--port", "1", *args])


def test_serving_other_machines_needs_the_address_their_browsers_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _serve(tmp_path, monkeypatch, "--host", "0.0.0.0")
    assert result.exit_code == 1
    assert "--host 0.0.0.0 is reachable from other machines" in result.output
    assert "--public-url" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--public-url", "quiz.example.edu"), "is not an http(s) address"),
        (("--allow-origin", "ftp://x.edu"), "is not an http(s) address"),
        (("--max-size", "huge"), "--max-size 'huge': write columns x rows"),
    ],
)
def test_bad_serve_options_get_one_line_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    result = _serve(tmp_path, monkeypatch, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"])
def test_loopback_addresses_are_known(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "quiz.example.edu"])
def test_other_addresses_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_a_port_in_use_gets_one_line_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for var in ("QUIZ_DB", "QUIZ_CONFIG", "QUIZ_LEARNER"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("QUIZ_HOME", str(tmp_path))
        result = CliRunner().invoke(quiz_cli.cli, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "choose another --port" in result.output
    assert "Traceback" not in result.output
