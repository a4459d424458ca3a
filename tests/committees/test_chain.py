"""The decision log's hash chain: a pinned encoding, and every edit, move or deletion caught."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from committees.chain import GENESIS, Entry, canonical_json, entry_hash, next_entry, verify

EVENTS: list[tuple[str, str, dict[str, Any]]] = [
    ("2026-03-01T09:00:00+01:00", "proposal_filed", {"proposal": 7, "title": "Tranche sociale"}),
    ("2026-03-02T10:30:00+01:00", "reached_agenda", {"proposal": 7, "co_signatures": 12}),
    ("2026-03-09T08:00:00+01:00", "vote_opened", {"proposal": 7, "members": {"users": 30}}),
    ("2026-03-10T18:12:05+01:00", "vote_cast", {"proposal": 7, "college": "users"}),
    ("2026-03-23T08:00:00+01:00", "vote_closed", {"proposal": 7, "result": "vetoed"}),
]


def chain(events: list[tuple[str, str, dict[str, Any]]] = EVENTS) -> list[Entry]:
    entries: list[Entry] = []
    for at, kind, payload in events:
        entries.append(next_entry(entries[-1] if entries else None, at, kind, payload))
    return entries


def test_genesis_and_links() -> None:
    entries = chain()
    assert GENESIS == "0" * 64
    assert entries[0].prev_hash == GENESIS and entries[0].seq == 1
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash and after.seq == before.seq + 1
    assert verify(entries) is None
    assert verify([]) is None


def test_the_encoding_is_pinned() -> None:
    """Anyone can recompute a hash with this exact text: sorted keys, no spaces, raw UTF-8."""
    text = (
        '{"at":"2026-03-01T09:00:00+01:00","kind":"proposal_filed",'
        '"payload":{"proposal":7,"title":"Tranche sociale – été"},'
        '"prev":"' + GENESIS + '","seq":1}'
    )
    expected = hashlib.sha256(text.encode("utf-8")).hexdigest()
    payload = {"title": "Tranche sociale – été", "proposal": 7}
    assert entry_hash(GENESIS, 1, "2026-03-01T09:00:00+01:00", "proposal_filed", payload) == (
        expected
    )


def test_canonical_json_ignores_key_order_and_keeps_utf8() -> None:
    assert canonical_json({"b": 1, "a": {"d": [1, "é"], "c": None}}) == (
        '{"a":{"c":null,"d":[1,"é"]},"b":1}'.encode()
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"amount": 0.1}, "entry.payload.amount: floats are not hashed"),
        ({"n": [1, float("nan")]}, r"entry.payload.n\[1\]: floats"),
        ({1: "x"}, "keys must be strings"),
        ({"when": object()}, "object is not JSON"),
    ],
)
def test_payloads_that_would_not_hash_the_same_everywhere_are_refused(
    payload: dict[Any, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        entry_hash(GENESIS, 1, "2026-03-01T09:00:00Z", "x", payload)


@pytest.mark.parametrize(
    "bad",
    [
        {"seq": "1"},
        {"seq": True},
        {"at": None},
        {"prev_hash": 0},
        {"payload": ["a"]},
    ],
)
def test_fields_of_the_wrong_type_are_refused(bad: dict[str, Any]) -> None:
    args: dict[str, Any] = {
        "prev_hash": GENESIS,
        "seq": 1,
        "at": "2026-03-01T09:00:00Z",
        "kind": "x",
        "payload": {},
    }
    with pytest.raises(TypeError):
        entry_hash(**{**args, **bad})


TAMPERS: dict[str, Any] = {
    "seq": 99,
    "at": "2026-03-01T09:00:01+01:00",
    "kind": "vote_changed",
    "payload": {"proposal": 8},
    "prev_hash": "f" * 64,
    "hash": "0" * 64,
}


@pytest.mark.parametrize("index", range(len(EVENTS)))
@pytest.mark.parametrize("field", TAMPERS)
def test_tampering_with_any_field_is_caught_at_that_entry(field: str, index: int) -> None:
    entries = chain()
    entries[index] = dataclasses.replace(entries[index], **{field: TAMPERS[field]})
    assert verify(entries) == index


def test_rehashing_an_edited_entry_is_caught_at_the_next_one() -> None:
    """Whoever edits an entry and recomputes its hash breaks the link of the one after."""
    entries = chain()
    edited = dataclasses.replace(entries[2], payload={"proposal": 7, "members": {"users": 3}})
    entries[2] = dataclasses.replace(
        edited,
        hash=entry_hash(edited.prev_hash, edited.seq, edited.at, edited.kind, edited.payload),
    )
    assert verify(entries) == 3


def test_a_payload_read_back_with_other_key_order_still_verifies() -> None:
    entries = chain()
    entries[2] = dataclasses.replace(entries[2], payload={"members": {"users": 30}, "proposal": 7})
    assert verify(entries) is None


def test_reordering_is_caught() -> None:
    entries = chain()
    entries[1], entries[2] = entries[2], entries[1]
    assert verify(entries) == 1


@pytest.mark.parametrize("index", range(len(EVENTS) - 1))
def test_deleting_an_entry_is_caught(index: int) -> None:
    entries = chain()
    del entries[index]
    assert verify(entries) == index


def test_deleting_the_last_entries_is_caught_by_the_published_head() -> None:
    entries = chain()
    head = entries[-1].hash
    assert verify(entries, head=head) is None
    assert verify(entries[:-1]) is None  # a shorter chain holds on its own...
    assert verify(entries[:-1], head=head) == len(entries) - 1  # ...but not against the head
    assert verify([], head=head) == 0


def test_a_slice_verifies_from_a_checkpoint() -> None:
    entries = chain()
    assert verify(entries[2:], prev_hash=entries[1].hash, first_seq=3) is None
    assert verify(entries[2:]) == 0  # without the checkpoint it does not start at GENESIS
    assert verify(entries[3:], prev_hash=entries[1].hash, first_seq=3) == 0


def test_an_entry_of_the_wrong_type_is_a_mismatch_not_a_crash() -> None:
    entries = chain()
    entries[1] = dataclasses.replace(entries[1], payload={"amount": 1.5})
    assert verify(entries) == 1


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
EVENT = st.tuples(
    st.datetimes().map(lambda d: d.isoformat()),
    st.text(min_size=1, max_size=12),
    st.dictionaries(st.text(max_size=8), JSON, max_size=4),
)


@given(st.lists(EVENT, min_size=1, max_size=8), st.data())
def test_any_single_change_is_caught_where_it_happens(events: list, data: st.DataObject) -> None:
    entries = chain(events)
    assert verify(entries) is None
    index = data.draw(st.integers(0, len(entries) - 1))
    field = data.draw(st.sampled_from(["seq", "at", "kind", "payload", "prev_hash", "hash"]))
    new = {
        "seq": st.integers(),
        "at": st.text(),
        "kind": st.text(),
        "payload": st.dictionaries(st.text(max_size=8), JSON, max_size=4),
        "prev_hash": st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
        "hash": st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    }[field]
    value: Any = data.draw(new.filter(lambda v: v != getattr(entries[index], field)))
    entries[index] = dataclasses.replace(entries[index], **{field: value})
    assert verify(entries) == index


@given(st.lists(EVENT, min_size=2, max_size=8), st.data())
def test_any_deletion_or_swap_is_caught(events: list, data: st.DataObject) -> None:
    entries = chain(events)
    head = entries[-1].hash
    i = data.draw(st.integers(0, len(entries) - 1))
    j = data.draw(st.integers(0, len(entries) - 1).filter(lambda j: j != i))
    swapped = list(entries)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    assert verify(swapped) == min(i, j)
    shorter = entries[:i] + entries[i + 1 :]
    assert verify(shorter, head=head) is not None
