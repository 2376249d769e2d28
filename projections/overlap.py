"""Commit page N while page N+1 is worked out: the one loop both long rebuilds use (the
views in projections/pipeline.py, the audit chain in projections/audit_chain.py).

The database writes one page while Python prepares the next, so a rebuild costs about the
larger of the two instead of their sum.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

Commit = Callable[[], None]


def commit_behind(name: str, pages: Iterable[tuple[Commit, int]]) -> int:
    """Run each page's commit on a thread of its own while `pages` prepares the next one.

    `pages` yields (the page's commit, how many events it read). A commit starts only once
    the one before it is in, and a failed one is raised before the next is submitted; the
    code after each `yield` in `pages` runs after its commit was submitted. Returns how many
    events were read."""
    processed = 0
    in_flight: Future[None] | None = None
    with ThreadPoolExecutor(1, thread_name_prefix=f"commit-{name}") as committer:
        for commit, read in pages:
            if in_flight is not None:
                in_flight.result()  # the page before is in; raises if it failed
            in_flight = committer.submit(commit)
            processed += read
        if in_flight is not None:
            in_flight.result()
    return processed
