"""`timebank` commands: audit."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    """Add this module's commands to the `timebank` parser."""
    del commands


def _unused(args: argparse.Namespace) -> int:
    del args
    return 0
