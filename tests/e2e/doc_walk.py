"""Walk a markdown document's command blocks the way a newcomer would: in one shell, in order,
in a fresh directory with a fresh database, against a server on 127.0.0.1.

- ```sh blocks run as written; a failing command fails the walk.
- ```console blocks are transcripts: each `$ ` command runs, and its output must match the one
  shown. In the shown output `...` stands for anything; keys, ids, dates and times stand for
  whatever the ledger answered, and are then read as that value in later commands (so that
  `RIVERSIDE=tbk_76fb...` takes the key the ledger issued in this walk).
- A block just below `<!-- not run by the docs test: WHY -->` is not run, nor one in another
  language (text, json, ini, ...); every block names its language, so none is skipped unseen.

What a reader does by hand is done here in their place: a server start (`make serve`,
`timebank serve`) runs in the background on a free port (127.0.0.1:8000 in the text reads as
that port), and waits until the server is ready; `NAME=tbk_...` with an example key takes the
key of that role the walk last saw (admin, broker or auditor, by the name); commands that run
the test suite itself (`make test`, pytest, the benchmark) are left out.
"""

from __future__ import annotations

import queue
import re
import subprocess
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^```(\w*)\s*$")
NOT_RUN = re.compile(r"<!-- not run by the docs test: (.+?) -->")
SERVE = re.compile(r"^(\s*)(?:make serve|(?:\.venv/bin/)?timebank serve)\b(.*)$", re.M)
SUITE = re.compile(
    r"^(\s*)(make (?:test|bench)|\.venv/bin/pytest|\.venv/bin/python -m (?:bench|tests))\b.*$", re.M
)
EXAMPLE_KEY = re.compile(r"^(\s*(?:export\s+)?(\w+)=)(tbk_[A-Za-z0-9_-]+)", re.M)
VOLATILE = re.compile(
    r"tbk_[A-Za-z0-9]+_[A-Za-z0-9_-]+"  # access keys
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # exchange ids
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"  # times
    r"|\d{4}-\d\d-\d\d"  # dates
    r"|(?<=\"id\":\")[0-9a-f]{16}(?=\")"  # key ids
)
KEY_SEEN = (
    (re.compile(r"Admin key \(shown once; keep it safe\): (tbk_\S+)"), "admin"),
    (re.compile(r"broker of [\w-]+: (tbk_\S+)"), "broker"),
    (re.compile(r"auditor of every organisation, read only: (tbk_\S+)"), "auditor"),
    (re.compile(r'"key":"(tbk_[^"]+)","role":"(\w+)"'), None),
)
COMMAND_SECONDS = 60


@dataclass
class Block:
    line: int
    kind: str
    text: str
    not_run: str | None


def blocks(markdown: str) -> list[Block]:
    found, lines, index = [], markdown.splitlines(), 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        before = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        skip = NOT_RUN.search(before)
        text = "\n".join(lines[index + 1 : end]) + "\n"
        found.append(Block(index + 1, opening.group(1), text, skip.group(1) if skip else None))
        index = end + 1
    return found


def transcript(text: str) -> list[tuple[str, str]]:
    """(command, the output shown for it) for each `$ ` command of a console block."""
    steps: list[tuple[str, str]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if not lines[index].startswith("$ "):
            index += 1
            continue
        command = lines[index][2:]
        index += 1
        while not complete(command) and index < len(lines):
            command += "\n" + lines[index]
            index += 1
        shown = []
        while index < len(lines) and not lines[index].startswith("$ "):
            shown.append(lines[index])
            index += 1
        steps.append((command, "\n".join(shown).strip()))
    return steps


def commands(text: str) -> list[str]:
    """The shell commands of a block, one by one (a loop or a continued line is one)."""
    found: list[str] = []
    pending = ""
    for line in text.splitlines():
        pending = f"{pending}\n{line}" if pending else line
        if pending.strip() and complete(pending):
            found.append(pending)
            pending = ""
    found = [*found, pending] if pending.strip() else found
    return [c for c in found if any(not line.lstrip().startswith("#") for line in c.splitlines())]


def complete(command: str) -> bool:
    checked = subprocess.run(["bash", "-n"], input=command, capture_output=True, text=True)
    whole = checked.returncode == 0 and not checked.stderr
    return whole and not command.rstrip().endswith("\\")


def pattern_of(shown: str) -> tuple[re.Pattern[str], list[str]]:
    """A regular expression for the output shown, and the volatile values it stands for."""
    parts, tokens, at = [], [], 0
    for found in VOLATILE.finditer(shown):
        parts.append(_literal(shown[at : found.start()]))
        parts.append(f"({VOLATILE.pattern})")
        tokens.append(found.group(0))
        at = found.end()
    parts.append(_literal(shown[at:]))
    return re.compile("".join(parts), re.S), tokens


def _literal(text: str) -> str:
    pieces = re.split(r"\s*(?:\.\.\.|…)\s*", text)
    return ".*?".join(re.escape(piece) for piece in pieces)


class Shell:
    """One bash process for the whole walk: variables and the directory carry over."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=workdir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def run(self, script: str) -> tuple[int, str]:
        """Run in this shell; its exit status (the first failing command's, if any) and its
        output, standard error included."""
        marker = f"__done_{uuid.uuid4().hex}__"
        (self.workdir / ".failed").write_text("")
        assert self.process.stdin is not None
        self.process.stdin.write(f"{{\n:\n{script}\n}} </dev/null\nprintf '\\n{marker} %s\\n' $?\n")
        self.process.stdin.flush()
        output = []
        while True:
            line = self.lines.get(timeout=COMMAND_SECONDS)
            if line.startswith(marker):
                failed = (self.workdir / ".failed").read_text().strip()
                status = int(line.split()[1]) or (1 if failed else 0)
                text = "".join(output)
                return status, (text[:-1] if text.endswith("\n") else text) + (
                    f"\n[failed: {failed}]" if failed else ""
                )
            output.append(line)

    def close(self) -> None:
        if self.process.poll() is None:
            self.run("__stop_server")
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=30)


PRELUDE = r"""
set -E -o pipefail
trap 'echo "$BASH_COMMAND (exit $?)" >> "$DOCS_WORKDIR/.failed"' ERR
__stop_server() {
  if [ -s "$DOCS_WORKDIR/.server.pid" ]; then
    kill "$(cat "$DOCS_WORKDIR/.server.pid")" 2>/dev/null || true
    while kill -0 "$(cat "$DOCS_WORKDIR/.server.pid")" 2>/dev/null; do sleep 0.1; done
    : > "$DOCS_WORKDIR/.server.pid"
  fi
}
__serve() {
  __stop_server
  .venv/bin/timebank serve "$@" --port "$DOCS_PORT" \
    > "$DOCS_WORKDIR/.server.out" 2> "$DOCS_WORKDIR/.server.err" &
  echo $! > "$DOCS_WORKDIR/.server.pid"
  for _ in $(seq 300); do
    curl -fs -o /dev/null "http://127.0.0.1:$DOCS_PORT/readyz" && break
    kill -0 "$(cat "$DOCS_WORKDIR/.server.pid")" 2>/dev/null || break
    sleep 0.1
  done
  cat "$DOCS_WORKDIR/.server.out"
  grep -q 'Projection workers' "$DOCS_WORKDIR/.server.out"
}
__wait_for_checkpoint() {  # the projection workers sign one within a second of new events
  for _ in $(seq 150); do
    curl -fs -o /dev/null -H "Authorization: Bearer $1" \
      "http://127.0.0.1:$DOCS_PORT/v1/audit/checkpoints/latest" && return 0
    sleep 0.1
  done
}
"""


@dataclass
class Walk:
    """One document, walked in its own directory."""

    shell: Shell
    port: int
    keys: dict[str, str] = field(default_factory=dict)
    seen: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def start(self) -> None:
        status, output = self.shell.run(PRELUDE)
        assert status == 0, output

    def block(self, block: Block) -> None:
        if "checkpoint" in block.text and "admin" in self.keys:
            self.shell.run(f"__wait_for_checkpoint {self.keys['admin']}")
        if block.kind == "sh":
            for command in commands(block.text):
                self._run(self.prepared(command), block.line, shown=None)
        elif block.kind == "console":
            for command, shown in transcript(block.text):
                self._run(self.prepared(command), block.line, shown=self.located(shown))

    def prepared(self, text: str) -> str:
        text = self.located(text)
        text = SUITE.sub(lambda m: f"{m.group(1)}: the suite runs itself", text)
        text = SERVE.sub(lambda m: f"{m.group(1)}__serve{m.group(2)}", text)
        text = EXAMPLE_KEY.sub(self._example_key, text)
        for example in sorted(self.seen, key=len, reverse=True):
            text = text.replace(example, self.seen[example])
        return text

    def located(self, text: str) -> str:
        return text.replace("127.0.0.1:8000", f"127.0.0.1:{self.port}").replace(
            "--port 8000", f"--port {self.port}"
        )

    def _example_key(self, found: re.Match[str]) -> str:
        name = found.group(2).upper()
        role = next((r for r in ("ADMIN", "AUDITOR", "BROKER") if r in name), None)
        key = self.keys.get(role.lower()) if role else None
        return found.group(1) + (key or found.group(3))

    def _run(self, command: str, line: int, shown: str | None) -> None:
        status, output = self.shell.run(command)
        self.log.append(f"$ {command}\n{output}")
        assert status == 0, f"line {line}: exit {status}\n$ {command}\n{output}"
        self._learn_keys(output)
        if shown is not None:
            self._compare(shown, output, command, line)

    def _learn_keys(self, output: str) -> None:
        for pattern, role in KEY_SEEN:
            for found in pattern.finditer(output):
                self.keys[role or found.group(2)] = found.group(1)

    def _compare(self, shown: str, output: str, command: str, line: int) -> None:
        if "__serve" in command:  # two processes print at start-up, in either order
            shown_lines, output_lines = sorted(shown.splitlines()), sorted(output.splitlines())
            pairs = list(zip(shown_lines, output_lines, strict=False))
            assert len(shown_lines) == len(output_lines), f"line {line}:\n{shown}\n!=\n{output}"
        else:
            pairs = [(shown, output)]
        for expected, actual in pairs:
            pattern, tokens = pattern_of(expected)
            found = pattern.fullmatch(actual.strip())
            assert found, f"line {line}: the doc shows\n{expected}\nbut the ledger said\n{actual}"
            values = [v for v in found.groups() if v is not None]
            self.seen.update(zip(tokens, values, strict=False))
