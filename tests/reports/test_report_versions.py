"""Earlier published versions are public too: a new version must not let anyone subtract a small group out."""
import copy

from engage.reporting.versions import counts, small_changes


def _data(online, paper, roles, total=None):
    """A report's data in the shape build_report_data gives it: a channel table and a role table."""
    def rows(pairs):
        return [{"label": label, "n": n, "share": None} for label, n in pairs]

    total = total if total is not None else (online or 0) + (paper or 0)
    channel = [("Online", online)] + ([("Paper", paper)] if paper is not False else [])
    return {"schema": 1, "public_min": 10, "identity_min": 10,
            "participation": {"respondents": total, "tables": [
                {"key": "channel", "label": "How people took part", "total": total, "min": 10, "note": "",
                 "rows": rows(channel)},
                {"key": "f1", "label": "Role", "total": total, "min": 10, "note": "", "rows": rows(roles)}]},
            "method": {"coded_comments": 3}, "themes": [{"id": 1, "name": "Safety", "n": 40, "share": 0.1}]}


def test_six_late_paper_surveys_are_caught_by_the_total_and_each_role():
    # The case exploratory testing found: version 1 showed Online = 360; version 2 hid Online and Paper but
    # showed 366 people, and each role's count moved by the few among the six.
    before = _data(360, False, [("Student", 175), ("Parent", 72), ("Teacher", 46), ("Not stated", 67)])
    after = _data(None, None, [("Student", 178), ("Parent", 73), ("Teacher", 48), ("Not stated", 67)], total=366)
    found = {(c.label, c.before, c.after) for c in small_changes(before, after, 10)}
    assert ("people", 360, 366) in found
    assert ("Role › total", 360, 366) in found
    assert ("Role › Student", 175, 178) in found
    assert ("Role › Teacher", 46, 48) in found
    assert not any("Not stated" in label for label, _, _ in found)  # unchanged


def test_a_hidden_row_is_caught_when_the_total_and_the_other_rows_give_its_change():
    before = _data(300, False, [("Student", 150), ("Parent", 80), ("Teacher", 70)])
    after = _data(330, False, [("Student", 165), ("Parent", 92), ("Teacher", None)])  # Teacher +3, hidden now
    derived = [c for c in small_changes(before, after, 10) if c.derived]
    assert [(c.label, c.difference) for c in derived] == [("Role › Teacher", 3)]


def test_a_new_row_was_zero_before_and_a_gone_row_is_zero_now():
    before = _data(300, False, [("Student", 150), ("Parent", 150)])
    after = _data(315, False, [("Student", 160), ("Parent", 150), ("Teacher", None)])  # 5 new teachers
    assert [(c.label, c.difference, c.derived) for c in small_changes(before, after, 10)
            if "Teacher" in c.label] == [("Role › Teacher", 5, True)]


def test_no_change_or_large_changes_are_fine_and_order_does_not_matter():
    before = _data(300, False, [("Student", 150), ("Parent", 150)])
    assert small_changes(before, copy.deepcopy(before), 10) == []
    reordered = copy.deepcopy(before)
    reordered["participation"]["tables"].reverse()
    reordered["participation"]["tables"][0]["rows"].reverse()
    assert small_changes(before, reordered, 10) == []
    grown = _data(330, False, [("Student", 165), ("Parent", 165)])
    assert small_changes(before, grown, 10) == []
    assert small_changes(before, grown, 16) != []  # the minimum is the one given


def test_counts_skip_ids_minimums_and_method_figures():
    found, labels = counts(_data(300, False, [("Student", 300)]))
    assert all(path[-1] in {"n", "respondents", "total"} for path in found)
    assert not any(path[0] == "method" for path in found)
    assert labels[("themes", "id=1", "n")] == "Safety"


def test_items_without_an_id_are_matched_by_their_words_not_their_place():
    differences = [{"group": "Students", "feature": "Fear", "group_n": 120, "rest_n": 240},
                   {"group": "Teachers", "feature": "Safety", "group_n": 60, "rest_n": 300}]
    before = {"public_min": 10, "differences": differences}
    after = {"public_min": 10, "differences": [dict(differences[1]), dict(differences[0], group_n=123, rest_n=240)]}
    assert [(c.label, c.before, c.after) for c in small_changes(before, after, 10)] == [
        ("Students · Fear › group size", 120, 123)]
