"""The audit log says what each staff action was, in words, in the reader's language."""
import ast
from pathlib import Path

from engage.extensions import db
from engage.models import User
from engage.services.audit import ACTION_LABELS, action_label, record_event
from tests.admin.test_consultations import _create

ENGAGE = Path(__file__).resolve().parents[2] / "engage"
# Actions whose names are built at run time, with every name they can take.
BUILT = {"services/flags.py": {"resolve_flag", "dismiss_flag"}}


def _names(node, constants: dict, local: dict) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _names(node.body, constants, local) | _names(node.orelse, constants, local)
    if isinstance(node, ast.Name):
        return local.get(node.id) or constants.get(node.id) or set()
    return set()


def recorded_actions() -> dict[str, set[str]]:
    """Every action name a record_event call in the code can store, by file (found by reading the source)."""
    found: dict[str, set[str]] = {}
    for path in ENGAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants: dict[str, set[str]] = {}
        for node in ast.walk(tree):  # module constants such as _QUEUED, and local variables such as `action`
            if isinstance(node, ast.Assign):
                targets = node.targets[0].elts if isinstance(node.targets[0], ast.Tuple) else node.targets
                values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                for target, value in zip(targets, values):
                    if isinstance(target, ast.Name):
                        constants.setdefault(target.id, set()).update(_names(value, {}, {}))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record_event":
                for keyword in node.keywords:
                    if keyword.arg == "action":
                        relative = str(path.relative_to(ENGAGE))
                        names = _names(keyword.value, constants, {}) or BUILT.get(relative, set())
                        assert names, f"{relative}:{node.lineno}: an action name the test cannot read"
                        found.setdefault(relative, set()).update(names)
    return found


def test_every_action_the_code_records_has_words():
    found = recorded_actions()
    every = set().union(*found.values())
    assert len(every) > 60 and {"login", "publish_report", "add_commitment", "queue_assisted_coding"} <= every
    assert sorted(every - set(ACTION_LABELS)) == []
    assert sorted(set(ACTION_LABELS) - every) == []  # no words for actions nothing records any more


def test_an_unknown_action_is_shown_by_its_name(app):
    with app.test_request_context("/"):
        assert action_label("publish_report") == "Published a report"
        assert action_label("something_new") == "something_new"


def test_the_log_reads_in_words_with_the_stored_name_beside_them(app, client, login_as):
    login_as("admin")
    assert _create(client).status_code in (302, 303)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "<td>Created a consultation</td>" in page and "<code>create_consultation</code>" in page
    french = client.get("/admin/audit?lang=fr").get_data(as_text=True)
    assert "<td>Consultation créée</td>" in french


def test_the_log_narrows_to_one_action_or_one_person(app, client, login_as, make_user):
    admin_id = login_as("admin")
    assert _create(client).status_code in (302, 303)
    other_id = make_user(email="other@example.org", roles=("reviewer",))
    with app.app_context():
        record_event(actor=db.session.get(User, other_id), action="publish_report", target_type="report", target_id=7)
        db.session.commit()
    everything = client.get("/admin/audit").get_data(as_text=True)
    assert "<code>publish_report</code>" in everything and "<code>create_consultation</code>" in everything
    published = client.get("/admin/audit?action=publish_report").get_data(as_text=True)
    assert "<code>publish_report</code>" in published and "<code>create_consultation</code>" not in published
    assert '<option value="publish_report" selected>Published a report</option>' in published
    mine = client.get(f"/admin/audit?who={admin_id}").get_data(as_text=True)
    assert "<code>create_consultation</code>" in mine and "<code>publish_report</code>" not in mine
    theirs = client.get(f"/admin/audit?who={other_id}&action=create_consultation").get_data(as_text=True)
    assert "<code>" not in theirs and "No events match these choices." in theirs
    # Anything else in the query is ignored rather than an error: the whole log again.
    for query in ("action=drop_table", "who=abc", "who=999999", "action=&who="):
        response = client.get(f"/admin/audit?{query}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "<code>publish_report</code>" in page and "<code>create_consultation</code>" in page
