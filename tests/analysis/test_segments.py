"""Segment tables: known counts, small-cell and complementary suppression, and where groups differ."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from engage.analysis.segments import (
    MISSING,
    SENTIMENT_LABELS,
    normalise_segment_value,
    tabulate_intersection,
    tabulate_segment,
    where_groups_differ,
)


def _corpus(groups: dict[str, list[list[int]]]) -> tuple[list[list[int]], list[str | None]]:
    memberships, values = [], []
    for value, docs in groups.items():
        for themes in docs:
            memberships.append(themes)
            values.append(None if value == "<none>" else value)
    return memberships, values


def test_counts_and_shares_for_a_large_enough_table():
    memberships, values = _corpus({"north": [[0]] * 12 + [[0, 1]] * 12, "south": [[1]] * 15 + [[0]] * 10})
    table = tabulate_segment(memberships, values, field="area", min_cell=10)
    north, south = table.row("north"), table.row("south")
    assert (north.n, north.themes) == (24, {0: 24, 1: 12})
    assert (south.n, south.themes) == (25, {0: 10, 1: 15})
    assert north.shares[1] == pytest.approx(0.5)
    assert table.theme_totals == {0: 34, 1: 27} and table.total_n == 49


def test_small_cell_is_hidden_with_a_complementary_cell_in_its_column():
    # Theme 1 has 3 in "a": hiding only that would leave it equal to total - b - c.
    memberships, values = _corpus(
        {"a": [[0]] * 20 + [[1]] * 3, "b": [[0]] * 10 + [[1]] * 30, "c": [[0]] * 12 + [[1]] * 14}
    )
    table = tabulate_segment(memberships, values, min_cell=10)
    column = [table.row(v).themes[1] for v in ("a", "b", "c")]
    assert column[0] is None
    assert column.count(None) >= 2
    # The smallest other count (14, in c) is the one given up.
    assert table.row("c").themes[1] is None and table.row("b").themes[1] == 30
    assert table.row("a").shares[1] is None


def test_zero_is_below_the_minimum():
    memberships, values = _corpus({"a": [[0]] * 15, "b": [[0]] * 12 + [[1]] * 12, "c": [[1]] * 11 + [[0]] * 10})
    table = tabulate_segment(memberships, values, min_cell=10)
    assert table.row("a").themes[1] is None


def test_small_segment_hides_its_size_and_row_and_another_size():
    memberships, values = _corpus({"big": [[0]] * 40, "mid": [[0]] * 20, "tiny": [[0]] * 4})
    table = tabulate_segment(memberships, values, min_cell=10)
    assert table.row("tiny").n is None and table.row("tiny").themes == {0: None}
    sizes = [row.n for row in table.rows]
    assert sizes.count(None) == 2 and table.row("big").n == 40


def test_missing_and_prefer_not_to_say_form_one_row():
    assert normalise_segment_value("  Prefer not to say ") == MISSING
    assert normalise_segment_value(None) == MISSING
    assert normalise_segment_value(" Grade  9 ") == "Grade 9"
    memberships, values = _corpus({"x": [[0]] * 12, "<none>": [[0]] * 11})
    values[-1] = "prefer not to say"
    table = tabulate_segment(memberships, values, min_cell=10)
    assert [row.value for row in table.rows] == ["x", MISSING]
    assert table.row(MISSING).n == 11


def test_min_cell_is_configurable():
    memberships, values = _corpus({"a": [[0]] * 6 + [[1]] * 6, "b": [[0]] * 6 + [[1]] * 6})
    assert tabulate_segment(memberships, values, min_cell=5).row("a").themes == {0: 6, 1: 6}
    stricter = tabulate_segment(memberships, values, min_cell=7).row("a")
    assert stricter.n == 12 and stricter.themes == {0: None, 1: None}
    assert tabulate_segment(memberships, values, min_cell=13).row("a").n is None


def test_sentiment_counts_per_row_are_suppressed_too():
    memberships, values = _corpus({"a": [[0]] * 30, "b": [[0]] * 30})
    scores = [0.9] * 28 + [-0.9] * 2 + [0.9] * 15 + [-0.9] * 15
    table = tabulate_segment(memberships, values, min_cell=10, scores=scores)
    assert table.row("a").sentiment["negative"] is None
    assert table.row("b").sentiment["negative"] is None  # complementary, in the column
    assert table.row("b").mean_sentiment == pytest.approx(0.0)
    assert table.sentiment_totals == {"positive": 43, "neutral": 0, "negative": 17}


def test_intersection_respects_the_one_way_tables():
    memberships = [[0]] * 60
    gender = ["f"] * 30 + ["m"] * 30
    grade = (["9"] * 25 + ["10"] * 5) + (["9"] * 12 + ["10"] * 18)
    table = tabulate_intersection(memberships, grade, gender, fields=("grade", "gender"), min_cell=10)
    assert table.field == "grade × gender"
    assert table.row("10 × f").n is None
    assert table.row("9 × f").n is None  # else 9×f = n(f) - 10×f... recovered
    assert table.row("10 × m").n is None or table.row("9 × m").n is None
    for row in table.rows:
        assert row.n is None or row.n >= 10


def test_where_groups_differ_finds_an_overrepresented_theme():
    memberships, values = _corpus(
        {"students": [[0]] * 40 + [[1]] * 10, "parents": [[0]] * 10 + [[1]] * 40, "staff": [[0]] * 25 + [[1]] * 25}
    )
    table = tabulate_segment(memberships, values, field="role", min_cell=10)
    found = where_groups_differ(table)
    students = [d for d in found if d.value == "students" and d.feature == 0]
    assert len(students) == 1
    difference = students[0]
    assert difference.direction == "over"
    assert difference.group_share == pytest.approx(0.8) and difference.rest_share == pytest.approx(0.35)
    assert difference.cohens_h == pytest.approx(2 * math.asin(math.sqrt(0.8)) - 2 * math.asin(math.sqrt(0.35)))
    assert difference.q_value <= 0.05
    assert not [d for d in found if d.value == "staff"]  # 50/50 against 50/50


def test_where_groups_differ_skips_small_groups_and_hidden_cells():
    memberships, values = _corpus({"big": [[0]] * 50 + [[1]] * 50, "small": [[1]] * 8})
    table = tabulate_segment(memberships, values, min_cell=10)
    assert all(d.value != "small" for d in where_groups_differ(table, max_q=1.0, min_h=0.0))
    assert all(d.value != "big" for d in where_groups_differ(table, max_q=1.0, min_h=0.0))  # rest is 8 < 10


# ----------------------------------------------------------------------------------------
# Property-based: nothing small is shown, and nothing hidden can be worked out.
# ----------------------------------------------------------------------------------------


def _audit(table, memberships, values, scores=None):
    """Return hidden figures that the published margins pin to one value (by linear programming)."""
    rows = [row.value for row in table.rows]
    truth_rows = [normalise_segment_value(v) for v in values]
    variables, bounds_pairs = [], []
    index = {}

    def var(key, shown):
        if shown is not None:
            return None
        if key not in index:
            index[key] = len(variables)
            variables.append(key)
        return index[key]

    equalities: list[tuple[dict[int, float], float]] = []

    def add(terms, constant):
        coefficients: dict[int, float] = {}
        rhs = constant
        for sign, key, shown in terms:
            j = var(key, shown)
            if j is None:
                rhs -= sign * shown
            else:
                coefficients[j] = coefficients.get(j, 0) + sign
        if coefficients:
            equalities.append((coefficients, rhs))

    add([(1, ("n", r), table.row(r).n) for r in rows], table.total_n)
    for t in table.theme_ids:
        add([(1, ("t", r, t), table.row(r).themes[t]) for r in rows], table.theme_totals[t])
    if scores is not None:
        for label in SENTIMENT_LABELS:
            add([(1, ("s", r, label), table.row(r).sentiment[label]) for r in rows], table.sentiment_totals[label])
        for r in rows:
            add([(1, ("s", r, label), table.row(r).sentiment[label]) for label in SENTIMENT_LABELS]
                + [(-1, ("n", r), table.row(r).n)], 0)
    theme_ids = set(table.theme_ids)
    for r in rows:
        docs = [set(m) for m, v in zip(memberships, truth_rows) if v == r]
        if docs and all(len(d & theme_ids) == 1 for d in docs):  # single-label row: cells add to n
            add([(1, ("t", r, t), table.row(r).themes[t]) for t in table.theme_ids] + [(-1, ("n", r), table.row(r).n)], 0)
    if not variables:
        return []
    # Cells lie between 0 and their row's size.
    upper_rows = []
    for key in variables:
        if key[0] in ("t", "s"):
            n = table.row(key[1]).n
            if n is not None:
                bounds_pairs.append((0, n))
            else:
                bounds_pairs.append((0, table.total_n))
                row = np.zeros(len(variables))
                row[index[key]] = 1
                row[index[("n", key[1])]] = -1
                upper_rows.append(row)
        else:
            bounds_pairs.append((0, table.total_n))
    a_eq = np.zeros((len(equalities), len(variables)))
    b_eq = np.zeros(len(equalities))
    for i, (coefficients, rhs) in enumerate(equalities):
        for j, c in coefficients.items():
            a_eq[i, j] = c
        b_eq[i] = rhs
    a_ub = np.array(upper_rows) if upper_rows else None
    b_ub = np.zeros(len(upper_rows)) if upper_rows else None
    pinned = []
    for j, key in enumerate(variables):
        objective = np.zeros(len(variables))
        objective[j] = 1
        low = linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds_pairs, method="highs")
        high = linprog(-objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds_pairs, method="highs")
        assert low.status == 0 and high.status == 0
        if math.ceil(low.fun - 1e-6) >= math.floor(-high.fun + 1e-6):
            pinned.append(key)
    return pinned


def _everything_hidden(table):
    rows = tuple(
        dataclasses.replace(
            row,
            n=None,
            themes={t: None for t in row.themes},
            shares={t: None for t in row.shares},
            sentiment={label: None for label in row.sentiment},
        )
        for row in table.rows
    )
    return dataclasses.replace(table, rows=rows)


@st.composite
def _tables(draw):
    n_themes = draw(st.integers(1, 4))
    n_values = draw(st.integers(1, 5))
    n_docs = draw(st.integers(1, 90))
    single_label = draw(st.booleans())
    values = draw(st.lists(st.sampled_from([f"v{i}" for i in range(n_values)] + [None]), min_size=n_docs, max_size=n_docs))
    if single_label:
        memberships = draw(st.lists(st.integers(0, n_themes - 1).map(lambda t: [t]), min_size=n_docs, max_size=n_docs))
    else:
        memberships = draw(
            st.lists(st.lists(st.integers(0, n_themes - 1), max_size=n_themes, unique=True), min_size=n_docs, max_size=n_docs)
        )
    scores = draw(st.none() | st.lists(st.sampled_from([-0.5, 0.0, 0.5]), min_size=n_docs, max_size=n_docs))
    min_cell = draw(st.integers(1, 12))
    return memberships, values, scores, min_cell, n_themes


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tables())
def test_no_small_count_is_published_and_no_hidden_count_is_recoverable(case):
    memberships, values, scores, min_cell, n_themes = case
    table = tabulate_segment(memberships, values, min_cell=min_cell, scores=scores, theme_ids=range(n_themes))
    for row in table.rows:
        shown = [row.n, *row.themes.values(), *row.sentiment.values()]
        assert all(count is None or count >= min_cell for count in shown)
        for t, share in row.shares.items():
            assert (share is None) == (row.n is None or row.themes[t] is None)
        if row.n is None:
            assert all(v is None for v in row.themes.values())
    # Some figures follow from the published totals alone (a theme nobody mentioned is
    # zero in every row); no suppression can hide those, so they are exempt.
    pinned = set(_audit(table, memberships, values, scores))
    if pinned:
        assert pinned <= set(_audit(_everything_hidden(table), memberships, values, scores))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tables())
def test_columns_with_a_hidden_cell_hide_at_least_two(case):
    memberships, values, scores, min_cell, n_themes = case
    table = tabulate_segment(memberships, values, min_cell=min_cell, theme_ids=range(n_themes))
    if len(table.rows) < 2:
        return
    columns = [[row.n for row in table.rows]] + [[row.themes[t] for row in table.rows] for t in table.theme_ids]
    for column in columns:
        assert column.count(None) in (0,) or column.count(None) >= 2
