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


def _cross_audit(one_a, one_b, both, with_sentiment):
    """Hidden figures that the two one-way tables and their intersection, read together, pin to one value.

    An independent check of the library: every cell of the intersection is a variable; shown figures of all
    three tables, the totals, 0 <= cell <= its row's size and (with sentiment) tone counts adding up to the
    row's size are the constraints. Each hidden figure, in any of the three tables, is minimised and
    maximised by linear programming.
    """
    ra, rb = [r.value for r in one_a.rows], [r.value for r in one_b.rows]
    cols = ["n"] + [("t", t) for t in both.theme_ids] + ([("s", s) for s in SENTIMENT_LABELS] if with_sentiment else [])
    index = {(a, b, c): i for i, (a, b, c) in enumerate((a, b, c) for a in ra for b in rb for c in cols)}
    a_eq, b_eq, a_ub = [], [], []

    def row(terms):
        vector = np.zeros(len(index))
        for key, coefficient in terms:
            vector[index[key]] += coefficient
        return vector

    def figure(table_row, c):
        return table_row.n if c == "n" else (table_row.themes if c[0] == "t" else table_row.sentiment)[c[1]]

    hidden = []
    for a in ra:
        for b in rb:
            cell_row = both.row(f"{a} × {b}")
            for c in cols:
                if figure(cell_row, c) is None:
                    hidden.append([(a, b, c)])
                else:
                    a_eq.append(row([((a, b, c), 1)]))
                    b_eq.append(figure(cell_row, c))
                if c != "n":
                    a_ub.append(row([((a, b, c), 1), ((a, b, "n"), -1)]))
            if with_sentiment:
                a_eq.append(row([((a, b, ("s", s)), 1) for s in SENTIMENT_LABELS] + [((a, b, "n"), -1)]))
                b_eq.append(0)
    for table, groups, cells_of in ((one_a, ra, lambda g, c: [(g, b, c) for b in rb]),
                                    (one_b, rb, lambda g, c: [(a, g, c) for a in ra])):
        for g in groups:
            for c in cols:
                if figure(table.row(g), c) is None:
                    hidden.append(cells_of(g, c))
                else:
                    a_eq.append(row([(key, 1) for key in cells_of(g, c)]))
                    b_eq.append(figure(table.row(g), c))
    totals = {"n": both.total_n, **{("t", t): v for t, v in both.theme_totals.items()},
              **{("s", s): v for s, v in both.sentiment_totals.items()}}
    for c in cols:
        a_eq.append(row([((a, b, c), 1) for a in ra for b in rb]))
        b_eq.append(totals[c])
    options = {"A_ub": np.array(a_ub) if a_ub else None, "b_ub": np.zeros(len(a_ub)) if a_ub else None,
               "A_eq": np.array(a_eq), "b_eq": np.array(b_eq, dtype=float), "bounds": (0, None), "method": "highs"}
    pinned = []
    for cells in hidden:
        objective = row([(key, 1) for key in cells])
        low, high = linprog(objective, **options), linprog(-objective, **options)
        assert low.status == 0 and high.status == 0
        if math.ceil(low.fun - 1e-6) >= math.floor(-high.fun + 1e-6):
            pinned.append((cells[0], low.fun))
    return pinned


def _school_corpus(seed, grade_only_for_students):
    """Roles and grades as a school survey gives them: grade is asked of students only (or of everyone),
    and most people who skip the role question skip the grade question too."""
    rng = np.random.default_rng(seed)
    sizes = {("Student", "10-12"): 52, ("Student", "4-6"): 51, ("Student", "7-9"): 56, ("Student", None): 16,
             (None, "10-12"): 2, (None, "4-6"): 6, (None, "7-9"): 5, (None, None): 14,
             ("Community", None): 16, ("Staff", None): 24, ("Parent", None): 72, ("Teacher", None): 46}
    roles, grades = [], []
    for (role, grade), size in sizes.items():
        for _ in range(size):
            roles.append(role)
            others_asked = role not in ("Student", None) and not grade_only_for_students
            grades.append(rng.choice(["4-6", "7-9", "10-12", None]) if others_asked else grade)
    memberships = [[t for t in range(4) if rng.random() < 0.3] for _ in roles]
    scores = list(rng.choice([-0.6, 0.0, 0.6], size=len(roles)))
    return memberships, roles, grades, scores


@pytest.mark.parametrize("grade_only_for_students", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_one_way_tables_and_their_intersection_read_together_give_nothing_away(seed, grade_only_for_students):
    # Found by exploratory testing: with grade asked of students only, the role table, the grade table and
    # role x grade, solved together, forced every non-student grade cell to zero, and with it the hidden
    # "Not stated x grade" sizes (2, 6 and 5). Hidden zeros that the published figures force count too.
    memberships, roles, grades, scores = _school_corpus(seed, grade_only_for_students)
    kwargs = {"min_cell": 10, "scores": scores, "theme_ids": range(4)}
    one_a = tabulate_segment(memberships, roles, **kwargs)
    one_b = tabulate_segment(memberships, grades, **kwargs)
    both = tabulate_intersection(memberships, roles, grades, **kwargs)
    hidden = sum(1 for t in (one_a, one_b, both) for r in t.rows
                 for v in (r.n, *r.themes.values(), *r.sentiment.values()) if v is None)
    assert hidden > 50  # the case is a real one: many small cells
    assert _cross_audit(one_a, one_b, both, with_sentiment=True) == []
