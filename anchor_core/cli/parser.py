"""The `anchor` command's parser class: a command may add its arguments on first use.

Some commands offer choices that live in a stage whose import is heavy (the reel vibes in
`reels.rank`, the switching strategies in `timeline.profile`, the export formats in `export.api`).
Such a command registers a function that adds its arguments; it runs when that command's parser
first parses, or formats its usage or help. So `anchor --help` and every other command never
import that stage, and the names keep living in one place.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

AddArguments = Callable[[argparse.ArgumentParser], None]


class CommandParser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._later: list[AddArguments] = []

    def add_arguments_later(self, add: AddArguments) -> None:
        """Call `add(self)` before this parser is first used (parse, usage, help)."""
        self._later.append(add)

    def _complete(self) -> None:
        while self._later:
            self._later.pop(0)(self)

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:  # also what a parent's subparsers call
        self._complete()
        return super().parse_known_args(*args, **kwargs)

    def format_usage(self) -> str:
        self._complete()
        return super().format_usage()

    def format_help(self) -> str:
        self._complete()
        return super().format_help()
