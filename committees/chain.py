"""Hash chain of the decision log: each entry's hash covers the previous one's (pure, no I/O)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# The "previous hash" of the first entry. Anyone can recompute the chain from the public log
# with these rules alone (issue 4: a public, tamper-evident log whose head goes into minutes).
GENESIS = "0" * 64


def canonical_json(value: Any, where: str = "entry") -> bytes:
    """The one encoding that is hashed: sorted keys, no spaces, UTF-8 (not \\u escapes).

    Floats are refused: their text differs between languages and databases (a JSON column may
    rewrite 0.10 as 0.1), so a payload carries decimals and fractions as strings.
    """
    _check_json(value, where)
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def entry_hash(prev_hash: str, seq: int, at: str, kind: str, payload: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of {"at", "kind", "payload", "prev", "seq"}.

    `at` is the entry's ISO 8601 time as stored, hashed as that exact string: the verifier
    must never re-render a datetime, whose text could differ.
    """
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise TypeError(f"seq must be an integer: {seq!r}")
    for name, text in (("prev_hash", prev_hash), ("at", at), ("kind", kind)):
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a string: {text!r}")
    if not isinstance(payload, Mapping):
        raise TypeError(f"payload must be a mapping: {payload!r}")
    body = {"prev": prev_hash, "seq": seq, "at": at, "kind": kind, "payload": dict(payload)}
    return hashlib.sha256(canonical_json(body)).hexdigest()


class LogEntry(Protocol):
    """What `verify` reads from an entry; a stored row with these attributes will do."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    kind: str
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str


def next_entry(
    prev: LogEntry | None, at: str, kind: str, payload: Mapping[str, Any], first_seq: int = 1
) -> Entry:
    """The entry that follows `prev` (or starts the chain from GENESIS when `prev` is None)."""
    prev_hash, seq = (GENESIS, first_seq) if prev is None else (prev.hash, prev.seq + 1)
    return Entry(seq, at, kind, payload, prev_hash, entry_hash(prev_hash, seq, at, kind, payload))


def verify(
    entries: Sequence[LogEntry],
    *,
    prev_hash: str = GENESIS,
    first_seq: int = 1,
    head: str | None = None,
) -> int | None:
    """Index of the first entry that does not match, or None when the whole chain holds.

    Entry i matches when its seq is first_seq + i, its prev_hash is the hash of entry i - 1
    (`prev_hash`, GENESIS by default, for the first) and its hash recomputes. An edited entry
    fails its own hash; a deleted or moved entry breaks the link (and the seq) of the entry
    now in its place. Deleting the *last* entries leaves a shorter chain that still holds:
    pass the published `head` to catch it, and len(entries) is returned when the chain holds
    but does not end on that head. `prev_hash` and `first_seq` verify a slice of the log from
    a checkpoint.
    """
    expected_prev, expected_seq = prev_hash, first_seq
    for index, e in enumerate(entries):
        if e.seq != expected_seq or e.prev_hash != expected_prev:
            return index
        try:
            recomputed = entry_hash(e.prev_hash, e.seq, e.at, e.kind, e.payload)
        except (TypeError, ValueError):
            return index  # a field of the wrong type cannot have been hashed by this chain
        if e.hash != recomputed:
            return index
        expected_prev, expected_seq = e.hash, e.seq + 1
    if head is not None and expected_prev != head:
        return len(entries)
    return None


def _check_json(value: Any, where: str) -> None:
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        raise TypeError(f"{where}: floats are not hashed, write {value!r} as a string")
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: keys must be strings, not {key!r}")
            _check_json(item, f"{where}.{key}")
        return
    raise TypeError(f"{where}: {type(value).__name__} is not JSON; encode it as a string")
