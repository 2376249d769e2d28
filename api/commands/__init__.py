"""Command groups of the `timebank` console script, one module each."""

from __future__ import annotations

import os
import shutil
import sys


def timebank() -> str:
    """How to run `timebank` again from here, for messages that suggest a next command: as it
    was run (`.venv/bin/timebank`) when the bare name is not on the PATH."""
    invoked = sys.argv[0] if sys.argv else ""
    if os.path.basename(invoked) != "timebank" or shutil.which("timebank"):
        return "timebank"
    relative = os.path.relpath(invoked)
    return relative if not relative.startswith("..") else os.path.abspath(invoked)
