"""Bad usage names the command that refused it, and that command's --help (exit status 2)."""

from __future__ import annotations

from pathlib import Path

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


FOUND_BY_THE_COMMAND = [  # usage errors found after argparse: they said only `iochannels:`
    (("fds", "-5"), "fds"),
    (("fds",), "fds"),
    (("fds", "-d", "5-3", "1"), "fds"),
    (("fds", "--watch", "0", "1"), "fds"),
    (("fds", "1", "--json", "--format", "text"), "fds"),  # explicit text: was exit 0, JSON
    (("graph", "1", "--json", "--format", "text"), "graph"),
    (("trace", "--json", "--format", "text", "--", "true"), "trace"),
    (("sim", "run", "pipe", "--json", "--format", "text"), "sim run"),
    (("sim", "run", "tcp-clients", "--param", "clients=-1"), "sim run"),
    (("tour", "--section", "9"), "tour"),
    (("bench", "--load", "{empty}"), "bench"),
    (("bench", "--plot", "/nonexistent/x.svg"), "bench"),
    (("shell", "-c"), "shell"),
]


@pytest.mark.parametrize(("argv", "command"), FOUND_BY_THE_COMMAND,
                         ids=[" ".join(a) for a, _ in FOUND_BY_THE_COMMAND])
def test_a_usage_error_found_by_the_command_names_it_as_argparse_does(
    argv: tuple[str, ...], command: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The README: bad usage exits 2 and "the message names the command and its --help",
    the line argparse's own refusals print (the witness: `--bogus` to the same command)."""
    (tmp_path / "empty.json").write_text("{}")
    assert main([a.format(empty=tmp_path / "empty.json") for a in argv]) == 2
    out, err = capsys.readouterr()
    with pytest.raises(SystemExit):
        main([*command.split(), "--bogus"])
    witness = capsys.readouterr().err
    prefix = f"iochannels {command}: error: "
    suffix = f" (see 'iochannels {command} --help')\n"
    assert witness.startswith(prefix) and witness.endswith(suffix)
    assert out == ""
    assert err.startswith(prefix) and err.endswith(suffix) and err.count("\n") == 1, err
