"""`iochannels sim`: being built."""

from __future__ import annotations

import argparse

from iochannels.errors import IoChannelsError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("sim", help="(being built)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    raise IoChannelsError("'sim' is not built yet")
