"""`iochannels sim check`: the differential harness from the command line."""

import json

import pytest

from iochannels.cli import main


def test_check_agrees_on_the_simulator_and_linux(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "check", "-n", "20", "-s", "7", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["agree"] is True and report["differences"] == []
    assert report["scripts"] == 20 and report["steps"] > 20  # every script compared steps


def test_check_refuses_zero_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["sim", "check", "-n", "0"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a positive integer" in err
