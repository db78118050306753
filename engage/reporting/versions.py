"""Differences between a report's data and its earlier published versions that give a small group away.

Each version's counts are suppressed on their own, but every published version stays public. Six paper
surveys imported after version 1 made the total go from 360 to 366, and each role's count moved by the few
people among the six: subtracting version 1 from version 2 published a table of six people. So before a new
version goes out, every count shown in both is compared, and so is every count that the difference of a
table's rows and its total gives away. A change smaller than the minimum (and not zero) is a problem.

Pure: report data dicts in, plain results out (no database).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _

# Keys whose integer values count people or comments. Ids, positions, minimums, versions and
# method figures (how many comments were coded) are not counts of a group.
COUNT_KEYS = frozenset({
    "n", "respondents", "participants", "total", "comments", "sessions", "session_comments",
    "group_n", "rest_n", "positive", "neutral", "negative",
})
_SKIP = frozenset({"method", "schema", "generated_on", "public_min", "identity_min", "min", "quotes", "appendix"})
_IDENTITY = ("key", "id", "slug", "label", "value", "name", "title", "prompt")
_NAMES = ("label", "name", "title", "prompt")

CountPath = tuple  # a count's place in the data: keys, and list items by identity


@dataclass(frozen=True)
class Change:
    """A count that moved by fewer than the minimum between an earlier version and now."""

    label: str
    difference: int
    before: int | None = None  # None (and after None) when the count is hidden in one of the versions and its
    after: int | None = None   # change was worked out from its table's total and other rows

    @property
    def derived(self) -> bool:
        return self.before is None


def _key_words() -> dict[str, str]:
    """What each count is, for the message (a group's own count, "n", needs no word: its group is named)."""
    return {"respondents": _("people"), "participants": _("participants"), "total": _("total"),
            "comments": _("comments"), "sessions": _("sessions"), "session_comments": _("comments from sessions"),
            "group_n": _("group size"), "rest_n": _("everyone else"), "positive": _("positive"),
            "neutral": _("neutral"), "negative": _("negative")}


def _identity(item: Mapping, index: int) -> str:
    for key in _IDENTITY:
        if item.get(key) not in (None, ""):
            return f"{key}={item[key]}"
    # No id: the item's own words name it (a difference is its group and feature), else its position.
    words = sorted(f"{k}={v}" for k, v in item.items() if isinstance(v, str) and v)
    return "; ".join(words) if words else f"#{index}"


def _walk(node, path: CountPath, names: tuple[str, ...]) -> Iterator[tuple[CountPath, tuple[str, ...], str, object]]:
    """Yield (path, names of the enclosing things, key, value) for every scalar under ``node``."""
    if isinstance(node, Mapping):
        own = next((str(node[k]) for k in _NAMES if isinstance(node.get(k), str) and node[k]), None)
        if own is None and isinstance(node.get("group"), str):  # a difference: its group and what it is about
            own = " · ".join(str(node[k]) for k in ("group", "feature") if isinstance(node.get(k), str))
        here = names + ((own,) if own else ())
        for key, value in node.items():
            if key in _SKIP:
                continue
            if isinstance(value, (Mapping, list)):
                yield from _walk(value, (*path, key), here)
            else:
                yield (*path, key), here, key, value
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, Mapping):
                yield from _walk(item, (*path, _identity(item, index)), names)


def counts(data: Mapping) -> tuple[dict[CountPath, int | None], dict[CountPath, str]]:
    """Every count in a report's data by a stable path (list items by their id or label, not position),
    None where it is hidden, and a readable label for each."""
    found: dict[CountPath, int | None] = {}
    labels: dict[CountPath, str] = {}
    words = _key_words()
    for path, names, key, value in _walk(data, (), ()):
        if key not in COUNT_KEYS or isinstance(value, bool) or not (value is None or isinstance(value, int)):
            continue
        found[path] = value
        labels[path] = " › ".join(part for part in (*names, words.get(key, "")) if part) or key
    return found, labels


def _tables(data, path: CountPath = ()) -> Iterator[tuple[CountPath, list[CountPath]]]:
    """(total's path, rows' count paths) for every table whose rows add up to its total."""
    if isinstance(data, Mapping):
        rows = data.get("rows")
        if (isinstance(data.get("total"), int) and not data.get("note") and isinstance(rows, list) and rows
                and all(isinstance(r, Mapping) for r in rows)):
            key = next((k for k in ("n", "participants") if all(k in r for r in rows)), None)
            if key:
                yield (*path, "total"), [(*path, "rows", _identity(r, i), key) for i, r in enumerate(rows)]
        for key, value in data.items():
            if key not in _SKIP and isinstance(value, (Mapping, list)):
                yield from _tables(value, (*path, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            if isinstance(item, Mapping):
                yield from _tables(item, (*path, _identity(item, index)))


def small_changes(before: Mapping, after: Mapping, minimum: int) -> list[Change]:
    """Counts that anyone holding both versions can subtract to learn about fewer than ``minimum`` people.

    A count shown in both versions that moved by 1 to ``minimum - 1`` (either way) is one. So is a table row
    hidden in either version whose change follows from the table's total and its other rows. A row that is
    new in ``after`` was zero before, as the earlier version's readers saw.
    """
    old, old_labels = counts(before)
    new, labels = counts(after)
    found: list[Change] = []
    for path, value in new.items():
        was = old.get(path)
        if value is not None and was is not None and 0 < abs(value - was) < minimum:
            found.append(Change(labels[path], value - was, was, value))
    old_tables = dict(_tables(before))
    for total, rows in _tables(after):
        if total not in old_tables or old[total] is None or new[total] is None:
            continue
        earlier_rows = set(old_tables[total])
        known, unknown = 0, []
        for row in rows:
            was = old.get(row) if row in earlier_rows else 0
            if was is None or new.get(row) is None:
                unknown.append(row)
            else:
                known += new[row] - was
        for row in earlier_rows - set(rows):  # a row gone from the table: zero now
            if old.get(row) is None:
                unknown.append(row)
            else:
                known -= old[row]
        if len(unknown) == 1:
            change = (new[total] - old[total]) - known
            if 0 < abs(change) < minimum:
                row = unknown[0]
                label = labels.get(row) or old_labels.get(row, "?")
                found.append(Change(label, change))
    return found
