"""Theme x segment tables with small-cell and complementary suppression, and where groups differ."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from engage.analysis.sentiment import label_sentiment

__all__ = [
    "MISSING",
    "SENTIMENT_LABELS",
    "GroupDifference",
    "SegmentRow",
    "SegmentTable",
    "normalise_segment_value",
    "tabulate_intersection",
    "tabulate_segment",
    "where_groups_differ",
]

# Everyone whose value is missing, blank or "prefer not to say" is one row of its
# own, so every column of a table adds up to the published overall figure.
MISSING = "(not stated)"
_MISSING_SPELLINGS = frozenset(
    {"", "none", "null", "nan", "n/a", "na", "unknown", "prefer not to say", "prefer not to answer",
     "rather not say", "not stated", "(not stated)", "declined", "decline to answer", "no answer", "-"}
)
SENTIMENT_LABELS = ("positive", "neutral", "negative")
# The whole-number bounds audit solves two small linear programmes per hidden count; past this many
# hidden counts only the affine-hull audit runs (a few programmes, whatever the size), which is
# exact for the bounds themselves and misses only a range narrower than one.
_LP_AUDIT_MAX = 120
_SEP = " × "


@dataclass(frozen=True)
class SegmentRow:
    """One segment value: its size and theme counts; None marks a suppressed figure.

    ``shares[t]`` is ``themes[t] / n`` and is None whenever either is suppressed.
    ``sentiment`` counts comments per VADER label; ``mean_sentiment`` is published
    only with ``n``. Both are empty / None when sentiment was not given or is unavailable.
    """

    value: str
    n: int | None
    themes: Mapping[int, int | None]
    shares: Mapping[int, float | None]
    sentiment: Mapping[str, int | None]
    mean_sentiment: float | None


@dataclass(frozen=True)
class SegmentTable:
    """A theme x segment table ready to publish.

    Published margins, which the suppression protects against: ``total_n`` (everyone),
    ``theme_totals`` (each theme's size over everyone), ``sentiment_totals`` (comments
    per sentiment label over everyone), every row's ``n`` when shown,
    and, for an intersection, the one-way tables of both fields. A cell hidden here
    cannot be worked out exactly from those figures and the other shown cells.
    """

    field: str
    min_cell: int
    theme_ids: tuple[int, ...]
    rows: tuple[SegmentRow, ...]
    total_n: int
    theme_totals: Mapping[int, int]
    sentiment_totals: Mapping[str, int]

    def row(self, value: str) -> SegmentRow:
        """The row for ``value`` (use ``MISSING`` for the not-stated row)."""
        for row in self.rows:
            if row.value == value:
                return row
        raise KeyError(value)


@dataclass(frozen=True)
class GroupDifference:
    """A theme or sentiment label that is over- or under-represented in one group versus everyone else.

    ``feature`` is a theme id (int) or a sentiment label ("positive", "negative", ...).
    ``cohens_h`` is the effect size (0.2 small, 0.5 medium, 0.8 large), ``p_value`` a
    two-sided two-proportion z-test, and ``q_value`` its Benjamini-Hochberg adjustment
    over every comparison made for the field.
    """

    field: str
    value: str
    feature: int | str
    group_n: int
    group_share: float
    rest_n: int
    rest_share: float
    difference: float
    cohens_h: float
    z: float
    p_value: float
    q_value: float

    @property
    def direction(self) -> str:
        """"over" when the group mentions the feature more than everyone else, else "under"."""
        return "over" if self.difference > 0 else "under"


def normalise_segment_value(value: object) -> str:
    """Return the row label for a raw segment value: trimmed text, or ``MISSING``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    text = " ".join(str(value).split())
    return MISSING if text.lower() in _MISSING_SPELLINGS else text


def _theme_sets(memberships: Sequence[Iterable]) -> list[frozenset[int]]:
    """Accept per-document theme ids or (id, weight) pairs."""
    cache: dict[tuple, frozenset[int]] = {}
    out = []
    for themes in memberships:
        key = tuple(themes)
        found = cache.get(key)
        if found is None:
            found = frozenset(int(item[0]) if isinstance(item, tuple) else int(item) for item in key)
            cache[key] = found
        out.append(found)
    return out


def _normalise_all(values: Sequence[object]) -> list[str]:
    cache: dict[object, str] = {}
    out = []
    for value in values:
        try:
            label = cache[value]
        except KeyError:
            label = cache[value] = normalise_segment_value(value)
        except TypeError:  # unhashable: normalise directly
            label = normalise_segment_value(value)
        out.append(label)
    return out


def _theme_totals(theme_sets: list[frozenset[int]], ids: tuple[int, ...]) -> dict[int, int]:
    totals = dict.fromkeys(ids, 0)
    for themes, count in Counter(theme_sets).items():
        for t in themes:
            if t in totals:
                totals[t] += count
    return totals


def _ordered_values(values: Sequence[str]) -> list[str]:
    # Sorted for stable output, with the not-stated row last.
    present = set(values)
    return sorted(present - {MISSING}) + ([MISSING] if MISSING in present else [])


# ---------------------------------------------------------------------------------------
# Suppression. A table is a set of keyed counts plus linear relations "these members add
# up to that total", where the total is either a published constant or another key
# (possibly hidden, possibly from another table). A hidden count is safe when no relation
# pins it to a single value; the loop hides more cells until that holds for every relation.
# ---------------------------------------------------------------------------------------

Key = Hashable
Relation = tuple[tuple[Key, ...], "Key | int"]


def _relation_problem(members, total, values, hidden, upper) -> bool:
    """Whether this relation lets someone recover a hidden member (or a hidden total) exactly."""
    hidden_members = [key for key in members if key in hidden]
    total_hidden = not isinstance(total, int) and total in hidden
    if total_hidden:
        # members = hidden total: recoverable only when every member is shown.
        return not hidden_members
    if not hidden_members:
        return False
    total_value = total if isinstance(total, int) else values[total]
    remainder = total_value - sum(values[key] for key in members if key not in hidden)
    # With only this relation, hidden member i lies in [lo, hi]; a point interval
    # (one hidden member, a zero remainder, or every member at its cap) gives it away.
    caps = [min(upper.get(key, remainder), remainder) for key in hidden_members]
    cap_sum = sum(caps)
    for cap in caps:
        low = max(0, remainder - (cap_sum - cap))
        if low >= cap:
            return True
    return False


def _suppress(
    values: Mapping[Key, int],
    relations: Sequence[Relation],
    primary: set[Key],
    cascades: Mapping[Key, Sequence[Key]],
    upper: Mapping[Key, Key],
    frozen: set[Key],
) -> set[Key]:
    """Return the hidden keys: ``primary`` plus complementary cells, to a fixed point.

    ``cascades[k]`` are hidden whenever k is (a hidden segment size hides its row);
    ``upper[k]`` names the count that bounds k when that count is shown; ``frozen``
    keys belong to other tables and are never chosen.
    """
    hidden = set(primary)
    # Members of a relation whose published total is zero are zero for anyone who reads
    # the total: hiding them protects nothing, so they count as known, not as cover.
    known_zero = {key for members, total in relations if isinstance(total, int) and total == 0 for key in members}
    given_up: set[Key] = set()
    changed = True
    while changed:
        changed = False
        for key in list(hidden):
            for dependent in cascades.get(key, ()):
                if dependent not in hidden:
                    hidden.add(dependent)
                    changed = True
        caps = {key: values[bound] for key, bound in upper.items() if bound not in hidden}
        unknown = hidden - known_zero
        for members, total in relations:
            if not _relation_problem(members, total, values, unknown, caps):
                continue
            candidates = [key for key in members if key not in hidden and key not in frozen]
            if not candidates and _hideable(total, hidden, frozen):
                candidates = [total]  # e.g. a one-theme row: hide the row's size itself
            if not candidates:
                continue  # the hidden figure equals a published one already (e.g. one row only)
            # Hide the smallest non-zero count: it loses the least information, and a
            # zero would not widen the range of what is hidden.
            choice = min(candidates, key=lambda key: (values[key] == 0, values[key], repr(key)))
            hidden.add(choice)
            unknown.add(choice)
            changed = True
        if not changed:
            # Each relation alone is safe; check them together. A hidden cell can be
            # pinned by a chain of relations (a bridge between two blocks), or by
            # non-negativity (other cells forced to zero or to their row's size).
            pinned = _audit(values, relations, unknown, upper, hidden)
            touched: set[Key] = set()  # relations widened this round: one new hidden cell each
            for key in pinned:
                if key in given_up:
                    continue
                around = [i for i, (members, total) in enumerate(relations) if key in members or key == total]
                if touched.intersection(around):
                    continue  # a cell hidden beside it this round may free it already: audit again first
                options = [m for i in around for m in relations[i][0] if m not in hidden and m not in frozen]
                options = options or [relations[i][1] for i in around if _hideable(relations[i][1], hidden, frozen)]
                # Pinned through a longer chain: widen to the cell's own row, then the table.
                shown = [k for k in values if k not in hidden and k not in frozen]
                options = options or [k for k in shown if k[1] == key[1]] or shown
                if not options:
                    given_up.add(key)  # nothing left to hide around it: it follows from the totals
                    continue
                choice = min(options, key=lambda m: (values[m] == 0, values[m], repr(m)))
                hidden.add(choice)
                touched.update(i for i, (members, total) in enumerate(relations) if choice in members or choice == total)
                changed = True
    return hidden


def _hideable(total: Key | int, hidden: set[Key], frozen: set[Key]) -> bool:
    return not isinstance(total, int) and total not in hidden and total not in frozen


def _audit(
    values: Mapping[Key, int],
    relations: Sequence[Relation],
    unknown: set[Key],
    upper: Mapping[Key, Key],
    hidden: set[Key],
) -> list[Key]:
    """Hidden keys that the published figures fix to one value, by whichever check applies.

    The affine-hull check scales to any table size and is exact for the continuous bounds; the
    per-count linear programmes add the whole-number rounding, where they are affordable.
    """
    pinned = _affine_pinned(values, relations, unknown, upper)
    if pinned is None:  # the solver failed: fall back to the equations alone
        pinned = _determined(values, relations, unknown)
    return pinned or _pinned(values, relations, unknown, upper, hidden)


def _equations(
    values: Mapping[Key, int], relations: Sequence[Relation], unknown: set[Key]
) -> tuple[list[Key], list[dict[int, float]], list[float]]:
    """The relations as equations over the hidden unknowns: (unknowns, rows of column -> coefficient, right sides).

    Shown counts, and hidden ones known to be zero, move to the right-hand side; a relation with no
    unknown left is dropped.
    """
    unknowns = sorted({key for members, total in relations for key in (*members, total) if key in unknown}, key=repr)
    column = {key: j for j, key in enumerate(unknowns)}
    rows, rhs_all = [], []
    for members, total in relations:
        entries: dict[int, float] = {}
        rhs = float(total) if isinstance(total, int) else 0.0
        if not isinstance(total, int):
            if total in column:
                entries[column[total]] = -1.0
            else:
                rhs = float(values[total])
        for key in members:
            if key in column:
                entries[column[key]] = entries.get(column[key], 0.0) + 1.0
            else:
                rhs -= values[key]
        entries = {j: c for j, c in entries.items() if c}
        if entries:
            rows.append(entries)
            rhs_all.append(rhs)
    return unknowns, rows, rhs_all


def _affine_pinned(
    values: Mapping[Key, int],
    relations: Sequence[Relation],
    unknown: set[Key],
    upper: Mapping[Key, Key],
) -> list[Key] | None:
    """Hidden keys that the relations and 0 <= count <= its bound fix exactly, however many there are.

    The possible hidden counts form a polytope. A count is fixed when it is constant on the polytope's
    affine hull, which the equations cut out together with the bounds that every possible table meets
    with equality (the implicit equalities: for example "these counts are all zero", which is how a
    total that equals the sum of other rows' sizes gives a small cell away). Those bounds are found by
    a few linear programmes that push every bound's slack up at once; a bound left at zero slack when
    nothing more can be gained holds with equality everywhere. Returns None if the solver fails.
    """
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, hstack, identity, vstack

    unknowns, equations, b_eq = _equations(values, relations, unknown)
    if not unknowns:
        return []
    m = len(unknowns)
    column = {key: j for j, key in enumerate(unknowns)}
    eq_rows = [i for i, entries in enumerate(equations) for _ in entries]
    eq_cols = [j for entries in equations for j in entries]
    eq_vals = [c for entries in equations for c in entries.values()]
    # Bounds as rows g.x <= h: every count >= 0, and at most its row's size (shown, or hidden itself).
    g_rows, g_cols, g_vals, h = [], [], [], []

    def bound(entries, limit):
        for j, c in entries:
            g_rows.append(len(h))
            g_cols.append(j)
            g_vals.append(c)
        h.append(limit)

    for key, j in column.items():
        bound([(j, -1.0)], 0.0)
        cap = upper.get(key)
        if cap is None:
            continue
        if cap in column:
            bound([(j, 1.0), (column[cap], -1.0)], 0.0)
        elif cap not in unknown and cap in values:
            bound([(j, 1.0)], float(values[cap]))
    k = len(h)
    g = coo_matrix((g_vals, (g_rows, g_cols)), shape=(k, m)).tocsr()
    a_eq = coo_matrix((eq_vals, (eq_rows, eq_cols)), shape=(len(b_eq), m)).tocsr() if b_eq else None
    # Variables: the m counts (free; the rows above bound them) and one slack per bound, 0 <= s <= 1.
    a_ub = hstack([g, identity(k, format="csr")], format="csr")
    a_eq_full = hstack([a_eq, coo_matrix((len(b_eq), k))], format="csr") if a_eq is not None else None
    undecided = np.ones(k, dtype=bool)
    while undecided.any():
        objective = np.concatenate([np.zeros(m), -undecided.astype(float)])
        bounds = [(None, None)] * m + [(0.0, 1.0 if u else 0.0) for u in undecided]
        result = linprog(objective, A_ub=a_ub, b_ub=np.array(h), A_eq=a_eq_full,
                         b_eq=np.array(b_eq) if b_eq else None, bounds=bounds, method="highs")
        if result.status != 0:
            return None
        slack = result.x[m:]
        loose = undecided & (slack > 1e-7)
        if not loose.any():
            break
        undecided &= ~loose
    tight = g[np.flatnonzero(undecided)] if undecided.any() else None
    parts = [p for p in (a_eq, tight) if p is not None and p.shape[0]]
    if not parts:
        return []
    return _fixed(unknowns, vstack(parts).toarray())


def _fixed(unknowns: list[Key], system) -> list[Key]:
    """The unknowns that the homogeneous ``system`` (one row per equation) fixes: x_i is fixed exactly when
    the unit vector e_i lies in the system's row space."""
    import numpy as np

    _, singular, vt = np.linalg.svd(system, full_matrices=False)
    basis = vt[singular > 1e-9 * max(1.0, singular.max())]
    projection = (basis**2).sum(axis=0)
    return [key for key, norm in zip(unknowns, projection) if norm > 1 - 1e-7]


def _pinned(
    values: Mapping[Key, int],
    relations: Sequence[Relation],
    unknown: set[Key],
    upper: Mapping[Key, Key],
    hidden: set[Key],
) -> list[Key]:
    """Hidden keys whose smallest and largest possible values (0 <= count <= its row size,
    every relation holding) leave a single whole number."""
    import numpy as np
    from scipy.optimize import linprog

    unknowns, equations, b_eq = _equations(values, relations, unknown)
    if not unknowns or len(unknowns) > _LP_AUDIT_MAX:
        return []
    column = {key: j for j, key in enumerate(unknowns)}
    a_eq = _dense(equations, len(unknowns))
    a_ub, b_ub, bounds = [], [], []
    largest = max(values.values(), default=0)
    for key in unknowns:
        bound = upper.get(key)
        if bound is not None and bound in unknown and bound in column:
            row = np.zeros(len(unknowns))
            row[column[key]], row[column[bound]] = 1.0, -1.0
            a_ub.append(row)
            b_ub.append(0.0)
            bounds.append((0, largest))
        elif bound is not None and bound not in hidden:
            bounds.append((0, values[bound]))
        else:
            bounds.append((0, largest))
    pinned = []
    options = {"A_eq": a_eq if len(a_eq) else None, "b_eq": np.array(b_eq) if b_eq else None,
               "A_ub": np.array(a_ub) if a_ub else None, "b_ub": np.array(b_ub) if b_ub else None,
               "bounds": bounds, "method": "highs"}
    # The true counts are one possible table, so a count is pinned exactly when no possible table puts it a
    # whole unit or more away from its true value. Every solution the solver returns is a possible table:
    # whatever it moves by a unit or more is free, and needs no programmes of its own.
    truth = np.array([values[key] for key in unknowns], dtype=float)
    free = np.zeros(len(unknowns), dtype=bool)

    def solve(objective):
        result = linprog(objective, **options)
        if result.status == 0:
            free[np.abs(result.x - truth) >= 1 - 1e-7] = True
        return result

    solve(-np.ones(len(unknowns)))
    solve(np.ones(len(unknowns)))
    for j, key in enumerate(unknowns):
        if free[j]:
            continue
        objective = np.zeros(len(unknowns))
        objective[j] = 1.0
        high = solve(-objective)
        if free[j]:
            continue
        low = solve(objective)
        if not free[j] and low.status == 0 and high.status == 0:
            pinned.append(key)
    return pinned


def _determined(values: Mapping[Key, int], relations: Sequence[Relation], unknown: set[Key]) -> list[Key]:
    """Hidden keys that the relations, taken together as linear equations, fix exactly (no bounds used)."""
    unknowns, equations, _ = _equations(values, relations, unknown)
    if not equations:
        return []
    return _fixed(unknowns, _dense(equations, len(unknowns)))


def _dense(equations: list[dict[int, float]], width: int):
    """Equations as ``_equations`` gives them, as a dense matrix (one row each)."""
    import numpy as np

    matrix = np.zeros((len(equations), width))
    for i, entries in enumerate(equations):
        for j, c in entries.items():
            matrix[i, j] = c
    return matrix


def _build_rows(
    row_values: list[str],
    theme_ids: tuple[int, ...],
    counts: Mapping[Key, int],
    hidden: set[Key],
    sentiment_means: Mapping[str, float | None] | None,
    with_sentiment: bool,
) -> tuple[SegmentRow, ...]:
    rows = []
    for value in row_values:
        n = None if ("n", value) in hidden else counts[("n", value)]
        themes = {t: None if ("t", value, t) in hidden else counts[("t", value, t)] for t in theme_ids}
        shares = {t: (themes[t] / n if n and themes[t] is not None else None) for t in theme_ids}
        sentiment = (
            {label: None if ("s", value, label) in hidden else counts[("s", value, label)] for label in SENTIMENT_LABELS}
            if with_sentiment
            else {}
        )
        mean = sentiment_means.get(value) if (sentiment_means is not None and n is not None) else None
        rows.append(SegmentRow(value, n, themes, shares, sentiment, mean))
    return tuple(rows)


def _count(
    theme_sets: list[frozenset[int]],
    row_of: list[str],
    row_values: list[str],
    theme_ids: tuple[int, ...],
    scores: Sequence[float | None] | None,
) -> tuple[dict[Key, int], dict[str, float | None], bool]:
    counts: dict[Key, int] = {}
    for value in row_values:
        counts[("n", value)] = 0
        for t in theme_ids:
            counts[("t", value, t)] = 0
        for label in SENTIMENT_LABELS:
            counts[("s", value, label)] = 0
    wanted = set(theme_ids)
    sums: dict[str, list[float]] = {value: [] for value in row_values}
    with_sentiment = scores is not None and any(score is not None for score in scores)
    # Identical (row, themes) pairs are counted once, then spread: far fewer dict updates.
    for (value, themes), count in Counter(zip(row_of, theme_sets)).items():
        counts[("n", value)] += count
        for t in themes & wanted:
            counts[("t", value, t)] += count
    if with_sentiment:
        for value, score in zip(row_of, scores):
            if score is not None:
                counts[("s", value, label_sentiment(score))] += 1
                sums[value].append(score)
    means = {value: (math.fsum(v) / len(v) if v else None) for value, v in sums.items()}
    return counts, means, with_sentiment


def _table_relations(
    row_values: list[str],
    theme_ids: tuple[int, ...],
    counts: Mapping[Key, int],
    theme_totals: Mapping[int, int],
    total_n: int,
    additive_rows: set[str],
    with_sentiment: bool,
    scored_total: Mapping[str, int],
) -> list[Relation]:
    relations: list[Relation] = [(tuple(("n", v) for v in row_values), total_n)]
    for t in theme_ids:
        relations.append((tuple(("t", v, t) for v in row_values), theme_totals[t]))
    for value in additive_rows:  # every comment in this row has exactly one theme
        relations.append((tuple(("t", value, t) for t in theme_ids), ("n", value)))
    if with_sentiment:
        for label in SENTIMENT_LABELS:
            relations.append((tuple(("s", v, label) for v in row_values), scored_total[label]))
        for value in row_values:
            # Positive + neutral + negative = n when every comment in the row was scored.
            if sum(counts[("s", value, label)] for label in SENTIMENT_LABELS) == counts[("n", value)]:
                relations.append((tuple(("s", value, label) for label in SENTIMENT_LABELS), ("n", value)))
    return relations


def _primary_and_bounds(row_values, theme_ids, counts, min_cell, with_sentiment):
    primary = {key for key, count in counts.items() if count < min_cell}
    if not with_sentiment:
        primary -= {key for key in counts if key[0] == "s"}
    cascades = {
        ("n", v): [("t", v, t) for t in theme_ids] + ([("s", v, s) for s in SENTIMENT_LABELS] if with_sentiment else [])
        for v in row_values
    }
    upper = {("t", v, t): ("n", v) for v in row_values for t in theme_ids}
    upper.update({("s", v, s): ("n", v) for v in row_values for s in SENTIMENT_LABELS})
    return primary, cascades, upper


def _resolve_themes(theme_sets, theme_ids):
    if theme_ids is None:
        return tuple(sorted(set().union(*theme_sets))) if theme_sets else ()
    return tuple(int(t) for t in theme_ids)


def tabulate_segment(
    memberships: Sequence[Iterable],
    values: Sequence[object],
    *,
    field: str = "segment",
    theme_ids: Iterable[int] | None = None,
    min_cell: int = 10,
    scores: Sequence[float | None] | None = None,
) -> SegmentTable:
    """Count each theme within each value of one segment field, with suppression.

    ``memberships[i]`` lists comment i's themes (ids or (id, weight) pairs; a comment may
    have several or none); ``values[i]`` is its segment value (None, blank and "prefer not
    to say" form the ``MISSING`` row); ``scores`` are optional sentiment scores.

    A count below ``min_cell`` (zero included) is hidden, and so is a whole row whose
    size is below it. Then more cells are hidden until no hidden count can be worked out
    from the published margins (see ``SegmentTable``): every column that adds up to a
    published total keeps at least two hidden cells whose range is not a single value.
    Rows are treated as adding up to ``n`` only when each comment in them has exactly one
    theme; with multi-label themes a row's cells do not add up to anything published.
    """
    if len(memberships) != len(values):
        raise ValueError("memberships and values differ in length")
    if scores is not None and len(scores) != len(values):
        raise ValueError("scores and values differ in length")
    theme_sets = _theme_sets(memberships)
    ids = _resolve_themes(theme_sets, theme_ids)
    row_of = _normalise_all(values)
    row_values = _ordered_values(row_of)
    counts, means, with_sentiment = _count(theme_sets, row_of, row_values, ids, scores)
    theme_totals = _theme_totals(theme_sets, ids)
    hidden = _suppress_table(theme_sets, row_of, row_values, ids, counts, min_cell, with_sentiment, theme_totals, [], set())
    rows = _build_rows(row_values, ids, counts, hidden, means if with_sentiment else None, with_sentiment)
    return SegmentTable(
        field, min_cell, ids, rows, len(row_of), theme_totals, _sentiment_totals(counts, row_values, with_sentiment)
    )


def _sentiment_totals(counts, row_values, with_sentiment) -> dict[str, int]:
    if not with_sentiment:
        return {}
    return {label: sum(counts[("s", v, label)] for v in row_values) for label in SENTIMENT_LABELS}


def _suppress_table(
    theme_sets, row_of, row_values, ids, counts, min_cell, with_sentiment, theme_totals, extra_relations, context_hidden
):
    """Suppress one table; ``context_hidden`` are keys of other tables that are already hidden."""
    wanted = set(ids)
    additive = set(row_values) - {v for themes, v in zip(theme_sets, row_of) if len(themes & wanted) != 1}
    scored_total = {label: sum(counts[("s", v, label)] for v in row_values) for label in SENTIMENT_LABELS}
    relations = _table_relations(
        row_values, ids, counts, theme_totals, len(row_of), additive, with_sentiment, scored_total
    ) + list(extra_relations)
    own = {key: count for key, count in counts.items() if key[0] != "one-way"}
    primary, cascades, upper = _primary_and_bounds(row_values, ids, own, min_cell, with_sentiment)
    frozen = set(counts) - set(own)
    return _suppress(counts, relations, primary | set(context_hidden), cascades, upper, frozen)


def tabulate_intersection(
    memberships: Sequence[Iterable],
    values_a: Sequence[object],
    values_b: Sequence[object],
    *,
    fields: tuple[str, str] = ("a", "b"),
    theme_ids: Iterable[int] | None = None,
    min_cell: int = 10,
    scores: Sequence[float | None] | None = None,
) -> SegmentTable:
    """Count themes within every combination of two segment fields, with suppression.

    Rows are labelled "A × B" and cover every combination of the observed values (an
    empty combination is a zero, hidden like any small count). The one-way tables of both
    fields are taken as published too, so the rows for one value of A must not give away
    a count hidden in A's own table, and vice versa.
    """
    if not len(memberships) == len(values_a) == len(values_b):
        raise ValueError("memberships and values differ in length")
    theme_sets = _theme_sets(memberships)
    ids = _resolve_themes(theme_sets, theme_ids)
    row_a = _normalise_all(values_a)
    row_b = _normalise_all(values_b)
    values_of_a, values_of_b = _ordered_values(row_a), _ordered_values(row_b)
    row_of = [f"{a}{_SEP}{b}" for a, b in zip(row_a, row_b)]
    row_values = [f"{a}{_SEP}{b}" for a in values_of_a for b in values_of_b]
    counts, means, with_sentiment = _count(theme_sets, row_of, row_values, ids, scores)
    theme_totals = _theme_totals(theme_sets, ids)

    # The one-way tables, as they would be published, become totals of row groups here.
    extra: list[Relation] = []
    external_hidden: set[Key] = set()
    for side, (own_rows, own_values, others) in enumerate(((row_a, values_of_a, values_of_b), (row_b, values_of_b, values_of_a))):
        one_way_counts, _, _ = _count(theme_sets, own_rows, own_values, ids, scores)
        one_way_hidden = _suppress_table(
            theme_sets, own_rows, own_values, ids, one_way_counts, min_cell, with_sentiment, theme_totals, [], set()
        )
        for key, count in one_way_counts.items():
            external = ("one-way", side, *key)
            counts[external] = count
            if key in one_way_hidden:
                external_hidden.add(external)
        for value in own_values:
            combos = [f"{value}{_SEP}{o}" if side == 0 else f"{o}{_SEP}{value}" for o in others]
            extra.append((tuple(("n", c) for c in combos), ("one-way", side, "n", value)))
            for t in ids:
                extra.append((tuple(("t", c, t) for c in combos), ("one-way", side, "t", value, t)))
            if with_sentiment:
                for label in SENTIMENT_LABELS:
                    extra.append((tuple(("s", c, label) for c in combos), ("one-way", side, "s", value, label)))

    hidden = _suppress_table(
        theme_sets, row_of, row_values, ids, counts, min_cell, with_sentiment, theme_totals, extra, external_hidden
    )
    rows = _build_rows(row_values, ids, counts, hidden, means if with_sentiment else None, with_sentiment)
    return SegmentTable(
        f"{fields[0]}{_SEP}{fields[1]}", min_cell, ids, rows, len(row_of), theme_totals,
        _sentiment_totals(counts, row_values, with_sentiment),
    )


# ---------------------------------------------------------------------------------------
# Where groups differ
# ---------------------------------------------------------------------------------------


def _two_proportion(a: int, n1: int, b: int, n2: int) -> tuple[float, float, float]:
    """Return (Cohen's h, z, two-sided p) for a/n1 versus b/n2 (pooled z-test)."""
    p1, p2 = a / n1, b / n2
    h = 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))
    pooled = (a + b) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return h, 0.0, 1.0
    z = (p1 - p2) / se
    return h, z, math.erfc(abs(z) / math.sqrt(2))


def _benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        index = order[rank - 1]
        running = min(running, p_values[index] * m / rank)
        adjusted[index] = min(1.0, running)
    return adjusted


def where_groups_differ(
    table: SegmentTable,
    *,
    max_q: float = 0.05,
    min_h: float = 0.2,
) -> tuple[GroupDifference, ...]:
    """For each segment value against everyone else, the themes and sentiment labels that differ.

    Works from a suppressed ``SegmentTable`` only, so it can never reveal a hidden count:
    a comparison is made only when the group and the rest both have at least
    ``table.min_cell`` people and the group's count is shown. The rest's count is the
    published total minus the group's. Results with a Benjamini-Hochberg q-value at most
    ``max_q`` and |Cohen's h| at least ``min_h`` are returned, largest effect first.
    The not-stated row is not compared: it is not a group anyone chose.
    """
    candidates: list[tuple[str, int | str, int, int, int, int]] = []
    for row in table.rows:
        if row.n is None or row.value == MISSING or _SEP in row.value and MISSING in row.value.split(_SEP):
            continue
        rest_n = table.total_n - row.n
        if row.n < table.min_cell or rest_n < table.min_cell:
            continue
        for t in table.theme_ids:
            count = row.themes[t]
            if count is not None:
                candidates.append((row.value, t, count, row.n, table.theme_totals[t] - count, rest_n))
        for label in ("positive", "negative"):
            count = row.sentiment.get(label)
            if count is not None and label in table.sentiment_totals:
                candidates.append((row.value, label, count, row.n, table.sentiment_totals[label] - count, rest_n))
    tests = [_two_proportion(a, n1, b, n2) for _, _, a, n1, b, n2 in candidates]
    q_values = _benjamini_hochberg([p for _, _, p in tests])
    found = []
    for (value, feature, a, n1, b, n2), (h, z, p), q in zip(candidates, tests, q_values):
        if q <= max_q and abs(h) >= min_h:
            found.append(
                GroupDifference(table.field, value, feature, n1, a / n1, n2, b / n2, a / n1 - b / n2, h, z, p, q)
            )
    found.sort(key=lambda d: (-abs(d.cohens_h), d.value, str(d.feature)))
    return tuple(found)
