"""README.md's quick start and every doc's command blocks, run as written on a fresh database
(tests/e2e/doc_walk.py says how), so that the docs cannot drift from what happens."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, free_port
from tests.e2e.doc_walk import Shell, Walk, blocks

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
DOCS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]


def environment(workdir: Path, port: int) -> dict[str, str]:
    """A newcomer's shell: no TIMEBANK_* settings, the checkout's `.venv` not on the PATH."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        "DOCS_ROOT": str(ROOT),
        "DOCS_WORKDIR": str(workdir),
        "DOCS_PORT": str(port),
        # Checkpoints within a second rather than ten, so the auditors' steps need not wait.
        "TIMEBANK_CHECKPOINT_SECONDS": "1",
    }


def fresh_checkout(workdir: Path) -> None:
    """What the commands read from a clone; a fresh `var/` and so a fresh database."""
    for name in (".venv", "docs", "Makefile", "pyproject.toml"):
        (workdir / name).symlink_to(ROOT / name)


@pytest.mark.parametrize("doc", DOCS)
def test_the_commands_of_the_doc_run_as_written(doc: str, tmp_path: Path) -> None:
    fresh_checkout(tmp_path)
    port = free_port()
    shell = Shell(tmp_path, environment(tmp_path, port))
    walk = Walk(shell, port)
    try:
        walk.start()
        for block in blocks((ROOT / doc).read_text()):
            if block.not_run is None:
                walk.block(block)
    except AssertionError as failure:
        raise AssertionError(f"{doc}: {failure}") from None
    finally:
        shell.close()


@pytest.mark.parametrize("doc", DOCS)
def test_every_block_of_the_doc_says_what_it_holds(doc: str) -> None:
    """Only `sh` and `console` blocks are run, so a block with no language would be a
    command the test never sees: each names its language (text, json, ini, ...)."""
    unnamed = [block.line for block in blocks((ROOT / doc).read_text()) if not block.kind]
    assert unnamed == [], f"{doc}: blocks at lines {unnamed} name no language"
