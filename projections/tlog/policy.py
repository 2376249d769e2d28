"""C2SP tlog-policy: which log keys, which witnesses, and the quorum that makes a note trusted.

`log <vkey>`, `witness <name> <vkey> [<url>]`, `group <name> any|all|<k> <member>...` and one
`quorum <name>` (or `quorum none`). A group is satisfied when at least k of its members are
(a witness is when it cosigned); names are defined before they are used, once each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from projections.tlog.cosignature import cosigned_at, parse_cosigner_key
from projections.tlog.keys import VerifierKey, open_note, parse_verifier_key
from projections.tlog.note import ED25519, Note, NoteError, parse_note

NONE = "none"
_SPACE = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class Witness:
    name: str
    key: VerifierKey
    url: str | None = None


@dataclass(frozen=True)
class Group:
    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    logs: tuple[VerifierKey, ...]
    witnesses: tuple[Witness, ...]
    groups: tuple[Group, ...] = ()
    quorum: str = NONE
    _groups: dict[str, Group] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_groups", {g.name: g for g in self.groups})

    def text(self) -> str:
        lines = [f"log {key}" for key in self.logs]
        lines += [
            " ".join(filter(None, ["witness", w.name, str(w.key), w.url])) for w in self.witnesses
        ]
        lines += [f"group {g.name} {_threshold(g)} {' '.join(g.members)}" for g in self.groups]
        return "\n".join([*lines, f"quorum {self.quorum}"]) + "\n"

    def satisfied(self, cosigned: Iterable[str], name: str | None = None) -> bool:
        """Whether witnesses named `cosigned` meet the quorum (or group/witness `name`)."""
        done = set(cosigned)
        name = self.quorum if name is None else name
        if name == NONE:
            return True
        group = self._groups.get(name)
        if group is None:
            return name in done
        return sum(self.satisfied(done, member) for member in group.members) >= group.threshold

    def log_signed(self, message: str | Note) -> Note:
        """The note, if one of the policy's log keys signed it."""
        for key in self.logs:
            try:
                return open_note(message, key)
            except NoteError:
                continue
        raise NoteError("the note is not signed by any log key of the policy")

    def cosignatures(self, note: Note) -> dict[str, int]:
        """{witness name: time it cosigned} for every valid cosignature the note carries."""
        found: dict[str, int] = {}
        for witness in self.witnesses:
            for signature in note.signatures:
                timestamp = cosigned_at(witness.key, note.text, signature)
                if timestamp is not None:
                    found[witness.name] = max(timestamp, found.get(witness.name, 0))
        return found


def _threshold(group: Group) -> str:
    if group.threshold == len(group.members) and len(group.members) > 1:
        return "all"
    return "any" if group.threshold == 1 else str(group.threshold)


def parse_policy(text: str) -> Policy:
    """A policy file; raises `NoteError` naming the line that is wrong."""
    logs: list[VerifierKey] = []
    witnesses: dict[str, Witness] = {}
    groups: dict[str, Group] = {}
    quorum: list[str] = []
    for number, raw in enumerate(text.split("\n"), 1):
        words = _SPACE.split(raw.strip())
        if not words[0] or words[0].startswith("#"):
            continue
        try:
            _parse_line(words, logs, witnesses, groups, quorum)
        except (NoteError, ValueError, IndexError) as error:
            raise NoteError(f"policy line {number}: {error or 'malformed'}") from error
    if len(quorum) != 1:
        raise NoteError("a policy has exactly one quorum line")
    return Policy(tuple(logs), tuple(witnesses.values()), tuple(groups.values()), quorum[0])


def _parse_line(
    words: list[str],
    logs: list[VerifierKey],
    witnesses: dict[str, Witness],
    groups: dict[str, Group],
    quorum: list[str],
) -> None:
    keyword, rest = words[0], words[1:]
    defined = witnesses.keys() | groups.keys()
    if keyword == "log" and 1 <= len(rest) <= 2:
        key = parse_verifier_key(rest[0])
        if key.kind != ED25519 or any(k.public == key.public for k in logs):
            raise NoteError("a log key is a distinct Ed25519 note key")
        logs.append(key)
    elif keyword == "witness" and 2 <= len(rest) <= 3 and rest[0] not in defined | {NONE}:
        key = parse_cosigner_key(rest[1])
        if any(w.key.public == key.public for w in witnesses.values()):
            raise NoteError(f"witness {rest[0]} repeats another witness's key")
        witnesses[rest[0]] = Witness(rest[0], key, rest[2] if len(rest) == 3 else None)
    elif keyword == "group" and len(rest) >= 3 and rest[0] not in defined | {NONE}:
        groups[rest[0]] = _group(rest[0], rest[1], rest[2:], defined)
    elif keyword == "quorum" and len(rest) == 1 and rest[0] in defined | {NONE}:
        quorum.append(rest[0])
    else:
        raise NoteError(f"not a policy line: {' '.join(words)[:120]!r}")


def _group(name: str, threshold: str, members: list[str], defined: Iterable[str]) -> Group:
    known = set(defined)
    if len(set(members)) != len(members) or not set(members) <= known:
        raise NoteError(f"group {name}: members are defined earlier and listed once")
    count = {"all": len(members), "any": 1}.get(threshold)
    if count is None:
        if not threshold.isascii() or not threshold.isdigit() or threshold[0] == "0":
            raise NoteError(f"group {name}: the threshold is any, all or a number")
        count = int(threshold)
    if not 1 <= count <= len(members):
        raise NoteError(f"group {name}: the threshold is between 1 and {len(members)}")
    return Group(name, count, tuple(members))


def verify_witnessed(policy: Policy, message: str) -> tuple[Note, Mapping[str, int]]:
    """The note signed by a log key of the policy, and its cosignatures, meeting the quorum."""
    note = policy.log_signed(parse_note(message))
    cosigned = policy.cosignatures(note)
    if not policy.satisfied(cosigned):
        who = ", ".join(sorted(cosigned)) or "no witness"
        raise NoteError(f"the note's cosignatures ({who}) do not meet the policy's quorum")
    return note, cosigned
