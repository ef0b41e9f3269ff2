"""Bad usage names the command that refused it, and that command's --help (exit status 2)."""

from __future__ import annotations

import pytest

from iochannels.cli import main


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (("fds", "1", "--bogus"), "fds"),
        (("graph", "--bogus"), "graph"),
        (("tour", "--bogus"), "tour"),
        (("bench", "--bogus"), "bench"),
        (("shell", "--bogus"), "shell"),
        (("trace", "--bogus"), "trace"),
        (("sim", "list", "--bogus"), "sim list"),
        (("sim", "run", "pipe", "--bogus"), "sim run"),
        (("demo", "pipe", "--bogus"), "demo"),
    ],
)
def test_an_unknown_option_names_its_command(
    argv: tuple[str, ...], command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(list(argv))
    assert stop.value.code == 2
    out, err = capsys.readouterr()
    command = f"iochannels {command}"
    assert out == ""
    assert err == (f"{command}: error: unrecognized arguments: --bogus "
                   f"(see '{command} --help')\n")


def test_an_unknown_option_cannot_act_on_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["graph", "--\x1b[2J"])
    err = capsys.readouterr().err
    assert "\x1b" not in err and err.startswith("iochannels graph: error:")


def test_what_trace_runs_is_not_an_option_of_trace(capsys: pytest.CaptureFixture[str]) -> None:
    """After `--`, `--bogus` belongs to the traced program (argparse.REMAINDER)."""
    from iochannels.cli import build_parser

    args = build_parser("trace").parse_args(["trace", "--", "echo", "--bogus"])
    assert args.command[-2:] == ["echo", "--bogus"]
