"""``$@`` and ``$*`` next to dash, with no positional parameters and with some (one with a
space, one empty). XCU 2.5.2: ``"$@"`` is one field per parameter and no field at all when
there are none; ``"$*"`` one field joined by the first character of IFS; unquoted, each
parameter is a field, then split.

Each line is run as ``-c LINE NAME ARG...`` by both shells; ``printf '[%s]' - WORDS`` shows
every field (the ``-`` tells zero fields from one empty field).
"""

from __future__ import annotations

import pytest
from shellkit import DASH
from test_sh_modes import OURS, run

pytestmark = [pytest.mark.witness("dash"),
              pytest.mark.skipif(DASH is None, reason="dash is not installed (apt install dash)")]

SHOW = "printf '[%s]' - {}; echo"

WORDS = [
    '"$@"', "$@", '"$*"', "$*", '"${@}"', "${*}", 'x"$@"y', '"x$@y"', 'x$@y',
    '"$@" "$@"', '"$@$@"', '"""$@"', '"$@"""', '""$@', "\"$@\"''", '"$x$@"', '$x"$@"',
    '"$@"$x', '"x${@}y${*}z"',
]
LINES = [
    *(SHOW.format(words) for words in WORDS),
    "IFS=:; " + SHOW.format('$@ "$*" $* "$@"'),
    "IFS=; " + SHOW.format('$@ "$*" $* "$@"'),
    'x="$@"; y=$*; ' + SHOW.format('"$x" "$y"'),
    'IFS=:; x="$@"; ' + SHOW.format('"$x"'),
    "echo text > a.txt; cat \"$@\" < a.txt; echo rc=$?",  # the finding: no '' for cat
    "cat <<E\n$@ \"$@\" $* \"$*\"\nE",
    'echo hi > "x$*"; ls; rm "x$*"',
    'echo $# "$#"',
]
ARGS = [[], ["a b"], ["a b", "", "c"], [""], ["*", "-"]]


@pytest.mark.parametrize("args", ARGS, ids=lambda a: repr(a))
def test_positional_parameters_expand_as_dash(tmp_path_factory: pytest.TempPathFactory,
                                              args: list[str]) -> None:
    assert DASH is not None
    script = "\n".join(LINES) + "\n"
    found = []
    results = []
    for argv in (OURS, [DASH]):
        work = tmp_path_factory.mktemp("pos")
        (work / "s.sh").write_text(script)
        results.append(run([*argv, "s.sh", *args], work))
    if results[0] != results[1]:
        ours, dash = (r[0].decode().splitlines() for r in results)
        found = [f"{line!r}: ours {o!r}, dash {d!r}"
                 for line, o, d in zip(LINES, ours, dash, strict=False) if o != d]
    assert results[0] == results[1], "\n".join(found) or results
