"""CSV imports shared by households and meters: rows checked first, errors reported by line
number, and nothing stored unless every row is good."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


class ImportError_(Exception):
    """The file cannot be imported; `problems` lists each bad row by line number."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # line number in the file, the header being line 1
    values: dict[str, str]


def read_rows(text: str, required: Iterable[str], optional: Iterable[str] = ()) -> list[Row]:
    """Rows of a CSV file with a header; unknown or missing columns are an error."""
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    required, optional = list(required), set(optional)
    problems = []
    missing = [name for name in required if name not in header]
    if missing:
        problems.append(f"line 1: missing column(s): {', '.join(missing)}")
    unknown = [name for name in header if name not in required and name not in optional]
    if unknown:
        problems.append(f"line 1: unknown column(s): {', '.join(unknown)}")
    if problems:
        raise ImportError_(problems)
    rows = []
    for raw in reader:
        if None in raw:
            problems.append(f"line {reader.line_num}: more fields than columns")
            continue
        values = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(values.values()):
            continue
        rows.append(Row(reader.line_num, values))
    if problems:
        raise ImportError_(problems)
    return rows


def check_rows(rows: list[Row], check: Callable[[Row], Any]) -> list[Any]:
    """Apply `check` to each row; collect every error message with its line number."""
    problems, out = [], []
    for row in rows:
        try:
            out.append(check(row))
        except ValueError as error:
            problems.append(f"line {row.line}: {error}")
    if problems:
        raise ImportError_(problems)
    return out


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "oui", "y", "o"):
        return True
    if value in ("", "0", "false", "no", "non", "n"):
        return False
    raise ValueError(f"not a yes/no value: {text!r}")


def parse_int(text: str, name: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {text!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def no_repeats(rows: list[Row], keys: list[str | None], name: str) -> None:
    """Refuse a file where the same key (reference, serial…) stands on two lines."""
    seen: dict[str, int] = {}
    problems = []
    for row, key in zip(rows, keys, strict=True):
        if key is None:
            continue
        if key in seen:
            problems.append(f"line {row.line}: {name} {key} already on line {seen[key]}")
        else:
            seen[key] = row.line
    if problems:
        raise ImportError_(problems)
