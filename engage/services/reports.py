"""What We Heard reports: the working copy, its workflow, and the documents the exports render.

Reviewers draft and edit; a publisher approves and publishes. Publishing freezes a ``ReportVersion`` so the
public page, PDF and CSV never change under their readers; a correction is a new version with a public note.
"""
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from engage.database import begin_write
from engage.extensions import db
from engage.i18n import DEFAULT_LANGUAGE, source_language
from engage.models import (
    COMMITMENT_STATUS_VALUES,
    Commitment,
    CommitmentStatus,
    CommitmentTheme,
    Consultation,
    Report,
    ReportRevision,
    ReportSection,
    ReportStatus,
    ReportVersion,
    Role,
    User,
)
from engage.models.user import utcnow
from engage.services.audit import record_event


class ReportError(ValueError):
    """A request that cannot be carried out; the message is safe to show."""


@dataclass(frozen=True)
class Document:
    """Everything a renderer needs: the sections as sanitised HTML and the suppressed report data.

    ``sections`` is ``[{"key", "title", "html"}]``; ``data`` has the shape documented in ``engage.reporting``.
    ``version`` is None for a draft; ``corrections`` lists earlier published versions ``{"number",
    "published_on", "note"}`` newest first. ``language`` is the language the sections were written in (the
    consultation's own), which the page marks where it differs from the reader's.
    """

    slug: str
    title: str
    sections: list
    data: dict
    draft: bool
    version: int | None = None
    published_on: dt.date | None = None
    corrections: list = field(default_factory=list)
    language: str = DEFAULT_LANGUAGE


def is_publisher(user: User) -> bool:
    return user.has_role(Role.PUBLISHER.value)


def is_drafter(user: User) -> bool:
    return user.has_role(Role.REVIEWER.value, Role.ADMIN.value)


def report_for(consultation: Consultation) -> Report | None:
    return db.session.scalar(select(Report).where(Report.consultation_id == consultation.id))


def ensure_report(*, consultation: Consultation, user: User | None) -> Report:
    """The consultation's report, created (empty, as a draft) on first use."""
    report = report_for(consultation)
    if report is not None:
        return report
    begin_write()
    report = report_for(consultation)  # another request may have made it while we waited for the lock
    if report is None:
        report = Report(consultation_id=consultation.id, title=f"What We Heard: {consultation.title}"[:300],
                        created_by_id=user.id if user else None, status=ReportStatus.DRAFT.value)
        db.session.add(report)
        db.session.flush()
        record_event(actor=user, action="create_report", target_type="report", target_id=report.id,
                     details={"consultation_id": consultation.id})
    return report


def latest_version(report: Report | None) -> ReportVersion | None:
    if report is None:
        return None
    return db.session.scalar(
        select(ReportVersion).where(ReportVersion.report_id == report.id).order_by(ReportVersion.number.desc()).limit(1)
    )


def touch(report: Report) -> None:
    report.updated_at = utcnow()


# --- Sections and the machine draft -------------------------------------------------------------------------------

SECTIONS = (
    ("executive_summary", "Executive summary"),
    ("about", "About the project"),
    ("how_we_engaged", "How we engaged"),
    ("what_we_asked", "What we asked"),
    ("what_we_heard", "What we heard"),
    ("next_steps", "Next steps"),
    ("appendix", "Appendix: what people said"),
)
SECTION_TITLES = dict(SECTIONS)
MAX_SECTION_CHARS = 50_000
KIND_NAMES = {"text": "open text", "single": "choose one", "multiple": "choose any", "scale": "agreement scale (1-5)"}


def draft_section(key: str, data: dict) -> str:
    """The machine draft of one section: Markdown whose numbers are all ``{{ token }}`` references to the data."""
    if data.get("kind") == "review":
        from engage.services.review_reports import draft_section as draft_review_section

        return draft_review_section(key, data)
    return _DRAFTERS[key](data).strip() + "\n"


def sections_for(data: dict) -> tuple:
    """The (key, title) sections of a report with this data: a consultation's, or a program review's."""
    if data.get("kind") == "review":
        from engage.services.review_reports import SECTIONS as REVIEW_SECTIONS

        return REVIEW_SECTIONS
    return SECTIONS


def _draft_summary(data: dict) -> str:
    p = data["participation"]
    lines = [f"We heard from {{{{ respondents }}}} people{_between(p)}."]
    if p["sessions"]:
        comments = "comment" if p["session_comments"] == 1 else "comments"
        sessions = "session" if p["sessions"] == 1 else "sessions"
        lines[0] += f" Group sessions added {{{{ session_comments }}}} {comments} from {{{{ sessions }}}} {sessions}."
    ranked = _ranked_themes(data)
    if ranked:
        lines += ["", "The themes we heard most often were:", ""]
        lines += [f"- **{_md(t['name'])}**: {{{{ t{t['id']}.n }}}} people ({{{{ t{t['id']}.share }}}})" for t in ranked[:5]]
    if data["findings"]:
        lines += ["", "Some groups saw things differently. The section *What we heard* explains where."]
    if data["commitments"]:
        lines += ["", "The section *Next steps* lists {{ commitments }} things we will do in response."]
    return "\n".join(lines)


def _draft_about(data: dict) -> str:
    c = data["consultation"]
    parts = [c["description"] or c["summary"]]
    if c["purpose"]:
        parts += ["", "**Why we asked.** " + c["purpose"]]
    if c["audience"]:
        parts += ["", "**Who reads the answers.** " + c["audience"]]
    return "\n".join(part for part in parts if part is not None)


def _draft_engaged(data: dict) -> str:
    p, m = data["participation"], data["method"]
    lines = [f"The consultation was open{_between(p, prefix=' from ', joiner=' to ')}. "
             f"People took part through: {', '.join(p['channels']) or 'the online form'}.", ""]
    for table in p["tables"]:  # the channel table first
        if table["key"] == "channel":
            lines += ["{{ block:participation:channel }}", ""]
    for table in p["tables"]:
        if table["key"] != "channel":
            lines += [f"{{{{ block:participation:{table['key']} }}}}", ""]
    lines += ["**How we analysed what we heard.** "
              + ("Reviewers read the comments and coded each one against a shared list of {{ themes }} themes. "
                 "{{ coded_comments }} comments were coded."
                 if m["source"] == "codes" else
                 "Text analysis grouped the comments into {{ themes }} themes, which reviewers then checked.")]
    if m["agreement"]:
        lines += ["", "To check that the coding was consistent, two reviewers coded the same {{ agreement.items }} "
                  "comments separately. Their agreement (Cohen's kappa) was {{ agreement.kappa }}."]
    lines += ["", "To protect people, we do not show any group smaller than {{ public_min }} people, and we hide "
              "some other numbers too, so that a hidden number cannot be worked out from the ones shown."]
    return "\n".join(lines)


def _draft_asked(data: dict) -> str:
    lines = ["We asked these questions. Every question was optional unless marked *required*.", ""]
    for i, q in enumerate(data["questions"], 1):
        required = " *(required)*" if q["required"] else ""
        lines.append(f"{i}. {_md(q['prompt'])} ({KIND_NAMES.get(q['kind'], q['kind'])}){required}")
    return "\n".join(lines)


def _draft_heard(data: dict) -> str:
    lines = []
    for q in data["questions"]:
        lines += [f"### {_md(q['prompt'])}", "", f"{{{{ q{q['id']}.respondents }}}} people answered this question.", ""]
        if q["kind"] == "text":
            if not q["themes"]:
                lines += ["No themes have been coded for this question yet.", ""]
                continue
            lines += [f"{{{{ block:themes:{q['id']} }}}}", ""]
            # A theme with a hidden count here is in the table (as hidden), but gets no paragraph of its own:
            # most are themes of other questions, and a paragraph saying "fewer than 10" says nothing.
            for t in (t for t in q["themes"] if t["n"] is not None):
                lines += [f"#### {_md(t['name'])}", ""]
                if t["description"]:
                    lines += [_md(t["description"]), ""]
                lines += [f"{{{{ q{q['id']}.t{t['id']}.n }}}} people ({{{{ q{q['id']}.t{t['id']}.share }}}}) "
                          f"mentioned this. Overall tone: {{{{ q{q['id']}.t{t['id']}.sentiment }}}}.", "",
                          f"{{{{ block:quotes:{t['id']} }}}}", ""]
        else:
            lines += [f"{{{{ block:options:{q['id']} }}}}", ""]
    if data["findings"] or data["segments"]:
        lines += ["### Where groups differed", ""]
        if data["findings"]:
            lines += ["{{ block:findings:all }}", ""]
        for seg in data["segments"]:
            lines += [f"{{{{ block:segment:{seg['key']} }}}}", ""]
    return "\n".join(lines)


def _draft_next(data: dict) -> str:
    if not data["commitments"]:
        return "We will publish what we will do in response here. Each commitment will show its progress."
    return "Here is what we will do in response to what we heard, and how far each step has got.\n\n" \
           "{{ block:commitments:all }}"


def _draft_appendix(data: dict) -> str:
    return "These are the comments that were approved for publication, with personal details removed.\n\n" \
           "{{ block:appendix:all }}"


_DRAFTERS = {
    "executive_summary": _draft_summary, "about": _draft_about, "how_we_engaged": _draft_engaged,
    "what_we_asked": _draft_asked, "what_we_heard": _draft_heard, "next_steps": _draft_next,
    "appendix": _draft_appendix,
}


def _between(p: dict, *, prefix: str = " between ", joiner: str = " and ") -> str:
    if p["first_day"] and p["last_day"]:
        return f"{prefix}{{{{ first_day }}}}{joiner}{{{{ last_day }}}}"
    return ""


def _ranked_themes(data: dict) -> list[dict]:
    return sorted((t for t in data["themes"] if t["n"] is not None), key=lambda t: (-t["n"], t["name"]))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|])")


def _md(text: str) -> str:
    """Plain text made safe to drop into Markdown: no accidental formatting, links or tokens."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


# --- Facts: every number a section may mention -----------------------------------------------------------------

@dataclass(frozen=True)
class Fact:
    key: str
    label: str
    text: str          # as printed; "fewer than 10" when hidden
    hidden: bool = False


# A hidden figure is not always small: some are hidden only so that a small one cannot be worked out from them.
# So the wording says that it is hidden and why, never how big it is.
HIDDEN_TEXT = "hidden (to protect small groups)"


def _count(n, minimum: int) -> tuple[str, bool]:
    return (HIDDEN_TEXT, True) if n is None else (f"{n:,}", False)


def _share(share, minimum: int) -> tuple[str, bool]:
    return (HIDDEN_TEXT, True) if share is None else (f"{share:.0%}", False)


def _tone(sentiment: dict) -> str:
    label = (sentiment or {}).get("label")
    return {"positive": "mostly positive", "negative": "mostly negative", "neutral": "mixed or neutral"}.get(
        label, "not available")


def facts(data: dict) -> dict[str, Fact]:
    """Every number the report may print, by token. Hidden figures print as "hidden", never as a value or range."""
    if data.get("kind") == "review":
        from engage.services.review_reports import review_facts

        return review_facts(data)
    found: dict[str, Fact] = {}

    def add(key, label, text, hidden=False):
        found[key] = Fact(key, label, text, hidden)

    minimum = data["public_min"]
    p, m = data["participation"], data["method"]
    add("respondents", "people who took part", f"{p['respondents']:,}")
    add("comments", "comments from respondents", f"{p['comments']:,}")
    add("sessions", "group sessions", f"{p['sessions']:,}")
    add("session_comments", "comments from group sessions", f"{p['session_comments']:,}")
    add("first_day", "first day of responses", _long_date(p["first_day"]))
    add("last_day", "last day of responses", _long_date(p["last_day"]))
    add("public_min", "the public minimum group size", f"{minimum:,}")
    add("themes", "themes in the codebook", f"{m['themes']:,}")
    add("coded_comments", "comments coded by reviewers", f"{m['coded_comments']:,}")
    add("questions", "questions asked", f"{len(data['questions']):,}")
    add("commitments", "commitments", f"{len(data['commitments']):,}")
    if m["agreement"]:
        items = sum(a["items"] for a in m["agreement"])
        kappas = [a["kappa"] for a in m["agreement"] if a["kappa"] is not None]
        add("agreement.items", "comments double-coded", f"{items:,}")
        add("agreement.kappa", "inter-coder agreement (Cohen's kappa)",
            f"{sum(kappas) / len(kappas):.2f}" if kappas else "not available")
    for table in p["tables"]:
        for row in table["rows"]:
            base = f"p.{table['key']}.{_slug(row['label'])}"
            add(base + ".n", f"{table['label']}: {row['label']}", *_count(row["n"], table["min"]))
            add(base + ".share", f"{table['label']}: {row['label']} (share)", *_share(row["share"], table["min"]))
    for theme in data["themes"]:
        _theme_facts(add, f"t{theme['id']}", theme, minimum, theme["name"])
    for q in data["questions"]:
        add(f"q{q['id']}.respondents", f"people who answered “{q['prompt'][:60]}”", f"{q['respondents']:,}")
        for theme in q["themes"]:
            _theme_facts(add, f"q{q['id']}.t{theme['id']}", theme, minimum, f"{theme['name']} (question {q['position']})")
        for i, option in enumerate(q["options"], 1):
            add(f"q{q['id']}.o{i}.n", f"{option['label']} (question {q['position']})", *_count(option["n"], minimum))
            add(f"q{q['id']}.o{i}.share", f"{option['label']} (question {q['position']}, share)",
                *_share(option["share"], minimum))
    return found


def _theme_facts(add, base: str, theme: dict, minimum: int, label: str) -> None:
    add(base + ".n", f"people mentioning {label}", *_count(theme["n"], minimum))
    add(base + ".share", f"share mentioning {label}", *_share(theme["share"], minimum))
    add(base + ".sentiment", f"tone of {label}", _tone(theme.get("sentiment")))


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "row"


def _long_date(iso: str | None) -> str:
    if not iso:
        return "not known"
    day = dt.date.fromisoformat(iso)
    return f"{day:%B} {day.day}, {day.year}"


# --- Rendering sections -----------------------------------------------------------------------------------------

TOKEN = re.compile(r"\{\{\s*([A-Za-z0-9_.:-]+)\s*\}\}")
BLOCK_LINE = re.compile(r"^[ \t]*\{\{\s*block:([a-z]+):([A-Za-z0-9_-]+)\s*\}\}[ \t]*$", re.MULTILINE)
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?%?(?![\w])")
_PLACEHOLDER = "ENGAGEBLOCK{}X"


@dataclass(frozen=True)
class Problem:
    """Something in a section that must be looked at; ``blocking`` problems stop approval."""

    section: str
    message: str
    blocking: bool = True


def render_section(body: str, data: dict, fact_map: dict[str, Fact] | None = None) -> str:
    """Section Markdown to sanitised HTML: number tokens filled in from the data, block tokens expanded."""
    from engage.reporting.blocks import render_block
    from engage.reporting.markdown import render_markdown

    fact_map = facts(data) if fact_map is None else fact_map
    blocks: list[str] = []

    def keep_block(match: re.Match) -> str:
        blocks.append(str(render_block(match.group(1), match.group(2), data)))
        return "\n" + _PLACEHOLDER.format(len(blocks) - 1) + "\n"

    text = BLOCK_LINE.sub(keep_block, body)

    def fill(match: re.Match) -> str:
        fact = fact_map.get(match.group(1))
        return _md(fact.text) if fact else f"\\[unknown number: {_md(match.group(1))}\\]"

    html = str(render_markdown(TOKEN.sub(fill, text)))
    for i, block in enumerate(blocks):
        marker = _PLACEHOLDER.format(i)
        html = html.replace(f"<p>{marker}</p>", block).replace(marker, block)
    return html


def section_problems(key: str, body: str, *, data: dict, fact_map: dict[str, Fact], facts_at_save: dict,
                     approved_texts: set[str]) -> list[Problem]:
    """Unknown tokens, typed numbers whose data changed, and quotes that did not come from approved comments."""
    problems = []
    for match in TOKEN.finditer(body):
        name = match.group(1)
        if name.startswith("block:"):
            line_start = body.rfind("\n", 0, match.start()) + 1
            line_end = body.find("\n", match.end())
            if not BLOCK_LINE.fullmatch(body[line_start:None if line_end < 0 else line_end]):
                problems.append(Problem(key, _("“%(token)s” must be on a line of its own.", token=match.group(0))))
        elif name not in fact_map:
            problems.append(Problem(key, _("“%(token)s” is not a number this report knows.", token=match.group(0))))
    plain = TOKEN.sub(" ", body)
    for number in sorted({m.group(0) for m in NUMBER.finditer(plain)}):
        was = [k for k, text in facts_at_save.items() if text == number]
        if was and all(k not in fact_map or fact_map[k].text != number for k in was):
            fact, token = fact_map.get(was[0]), "{{ %s }}" % was[0]
            if fact:
                message = _("You typed %(number)s, which was %(label)s when this section was saved; it is now "
                            "%(now)s. Use the %(token)s token so it stays right.",
                            number=number, label=fact.label, now=fact.text, token=token)
            else:
                message = _("You typed %(number)s, which was %(label)s when this section was saved; it is no longer "
                            "in the data. Use the %(token)s token so it stays right.",
                            number=number, label=was[0], token=token)
            problems.append(Problem(key, message))
    for quoted in _hand_quotes(plain):
        if " ".join(quoted.split()) not in approved_texts:
            problems.append(Problem(key, _(
                "“%(quote)s” looks like a quote typed by hand. Quotes must be approved comments, inserted with a "
                "%(token)s token, never retyped or paraphrased.", quote=quoted[:80], token="{{ block:quotes:... }}")))
    return problems


_QUOTED = re.compile(r"[\"“]([^\"”\n]{20,})[\"”]")
_BLOCKQUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?(.+)$", re.MULTILINE)


def _hand_quotes(text: str) -> list[str]:
    found = [m.group(1).strip() for m in _QUOTED.finditer(text) if len(m.group(1).split()) >= 4]
    return found + [m.group(1).strip() for m in _BLOCKQUOTE.finditer(text)]


def facts_snapshot(fact_map: dict[str, Fact]) -> dict[str, str]:
    """What every non-hidden fact printed at save time, to recognise typed copies of them later."""
    return {key: fact.text for key, fact in fact_map.items() if not fact.hidden and NUMBER.fullmatch(fact.text)}


# --- The working copy ---------------------------------------------------------------------------------------------

def report_data(report: Report, consultation: Consultation | None) -> dict:
    """The report's data: a consultation's (``consultation``), or a program review's when the report has one."""
    if report.review_id is not None:
        from engage.models import Review
        from engage.services.review_reports import build_review_data

        return build_review_data(review=db.session.get(Review, report.review_id), report=report)
    from engage.services.report_data import build_report_data

    return build_report_data(consultation=consultation, report=report, source=report.source)


def ensure_sections(*, report: Report, data: dict, user: User | None) -> list[ReportSection]:
    """Create any missing section from the machine draft, keeping a first revision of each."""
    have = {s.key for s in report.sections}
    missing = [(i, key, title) for i, (key, title) in enumerate(sections_for(data)) if key not in have]
    if missing:
        begin_write()
        fact_map = facts(data)
        for position, key, title in missing:
            body = draft_section(key, data)
            report.sections.append(ReportSection(key=key, position=position, title=title, body=body,
                                                 facts_at_save=facts_snapshot(fact_map)))
            _keep_revision(report, key, title, body, "draft", user)
        db.session.flush()
    return sorted(report.sections, key=lambda s: s.position)


def current_body(section: ReportSection, data: dict) -> str:
    """An unedited section follows the data (themes added later appear); an edited one is the person's text."""
    return section.body if section.edited else draft_section(section.key, data)


def section_or_none(report: Report, key: str) -> ReportSection | None:
    return next((s for s in report.sections if s.key == key), None)


def save_section(*, report: Report, section: ReportSection, title: str, body: str, user: User, data: dict,
                 restored_from: int | None = None) -> bool:
    """Save a person's edit (or an earlier version they restored) and keep the revision. Returns True when this
    took an approved or in-review report back to draft."""
    title = " ".join(title.split())[:200]
    body = body.replace("\r\n", "\n")
    if not title:
        raise ReportError(_("Give the section a title."))
    if len(body) > MAX_SECTION_CHARS:
        raise ReportError(_("A section can be at most %(limit)s characters.", limit=f"{MAX_SECTION_CHARS:,}"))
    if title == section.title and body == current_body(section, data) and section.edited:
        return False
    begin_write()
    section.title, section.body, section.edited = title, body, True
    section.facts_at_save = facts_snapshot(facts(data))
    section.updated_by_id, section.updated_at = user.id, utcnow()
    _keep_revision(report, section.key, title, body, "edit" if restored_from is None else "restore", user)
    reopened = _back_to_draft(report)
    touch(report)
    if restored_from is None:
        record_event(actor=user, action="edit_report_section", target_type="report", target_id=report.id,
                     details={"section": section.key})
    else:
        record_event(actor=user, action="restore_report_section", target_type="report", target_id=report.id,
                     details={"section": section.key, "version": restored_from})
    return reopened


def redraft_section(*, report: Report, section: ReportSection, user: User, data: dict) -> bool:
    """Throw away a person's edits to one section and follow the data again (the old text stays a revision)."""
    begin_write()
    section.title, section.edited = dict(sections_for(data))[section.key], False
    section.body = draft_section(section.key, data)
    section.facts_at_save = facts_snapshot(facts(data))
    section.updated_by_id, section.updated_at = user.id, utcnow()
    _keep_revision(report, section.key, section.title, section.body, "draft", user)
    reopened = _back_to_draft(report)
    touch(report)
    record_event(actor=user, action="redraft_report_section", target_type="report", target_id=report.id,
                 details={"section": section.key})
    return reopened


def revisions(*, report: Report, key: str) -> list[ReportRevision]:
    return list(db.session.scalars(
        select(ReportRevision).where(ReportRevision.report_id == report.id, ReportRevision.section_key == key)
        .order_by(ReportRevision.number.desc())))


def revision_authors(revisions: list[ReportRevision]) -> dict[int, str]:
    """Who saved each revision, by user id (an account since deleted has no entry)."""
    ids = {revision.created_by_id for revision in revisions if revision.created_by_id}
    if not ids:
        return {}
    return {user.id: user.name or user.email for user in db.session.scalars(select(User).where(User.id.in_(ids)))}


class NoSuchRevision(ReportError):
    """The section has no version with that number (the page answers 404)."""


def restore_revision(*, report: Report, section: ReportSection, number: int, user: User, data: dict) -> bool:
    """Make version ``number`` the section's text again, as a new "restore" revision. Returns True when this took
    an approved or in-review report back to draft; ReportError when that version is what the section says now."""
    revision = db.session.scalar(select(ReportRevision).where(
        ReportRevision.report_id == report.id, ReportRevision.section_key == section.key,
        ReportRevision.number == number))
    if revision is None:
        raise NoSuchRevision(_("That version of the section does not exist."))
    if revision.kind == "draft":
        # A machine draft is written from the data: going back to it means following the data again, with
        # today's numbers, not the text as the data stood then.
        if not section.edited:
            raise ReportError(_("The section already follows the data, as the machine draft does: there is "
                                "nothing to restore."))
        return redraft_section(report=report, section=section, user=user, data=data)
    if section.edited and (revision.title, revision.body) == (section.title, section.body):
        raise ReportError(_("Version %(number)d is the same as the section's text now: there is nothing to restore.",
                            number=number))
    return save_section(report=report, section=section, title=revision.title, body=revision.body, user=user,
                        data=data, restored_from=number)


def _keep_revision(report: Report, key: str, title: str, body: str, kind: str, user: User | None) -> None:
    last = db.session.scalar(select(func.max(ReportRevision.number)).where(
        ReportRevision.report_id == report.id, ReportRevision.section_key == key)) if report.id else None
    pending = [o for o in db.session.new if isinstance(o, ReportRevision) and o.section_key == key
               and o.report_id == report.id]
    number = max([last or 0] + [o.number for o in pending]) + 1
    db.session.add(ReportRevision(report_id=report.id, section_key=key, number=number, title=title, body=body,
                                  kind=kind, created_by_id=user.id if user else None))


def _back_to_draft(report: Report) -> bool:
    """Any change after submission needs a fresh review and approval."""
    reopened = report.status in (ReportStatus.IN_REVIEW.value, ReportStatus.APPROVED.value)
    if report.status != ReportStatus.DRAFT.value:
        report.status = ReportStatus.DRAFT.value
    report.approved_by_id = report.approved_at = report.approved_fingerprint = None
    return reopened


def update_settings(*, report: Report, user: User, title: str, include_appendix: bool, source: str) -> None:
    title = " ".join(title.split())[:300]
    if not title:
        raise ReportError(_("Give the report a title."))
    if source not in ("codes", "machine"):
        raise ReportError(_("Choose reviewers' codes or the latest analysis run's themes."))
    if (title, include_appendix, source) == (report.title, report.include_appendix, report.source):
        return
    begin_write()
    report.title, report.include_appendix, report.source = title, include_appendix, source
    _back_to_draft(report)
    touch(report)
    record_event(actor=user, action="update_report_settings", target_type="report", target_id=report.id,
                 details={"include_appendix": include_appendix, "source": source})


# --- Checking, rendering and the workflow ---------------------------------------------------------------------

@dataclass(frozen=True)
class Draft:
    """The working copy rendered against today's data, with everything that needs a person's attention."""

    document: Document
    problems: list
    pending_quotes: int


def build_draft(*, report: Report, consultation: Consultation | None, user: User | None = None) -> Draft:
    """The draft of a consultation's report, or (``consultation`` None) of a program review's overall report."""
    from engage.models import QuoteStatus, ReportQuote

    data = report_data(report, consultation)
    fact_map = facts(data)
    approved = {" ".join(q["text"].split()) for q in data["quotes"]}
    sections, problems = [], []
    for section in ensure_sections(report=report, data=data, user=user):
        if section.key == "appendix" and not report.include_appendix:
            continue
        body = current_body(section, data)
        problems += section_problems(section.key, body, data=data, fact_map=fact_map,
                                     facts_at_save=section.facts_at_save if section.edited else {},
                                     approved_texts=approved)
        sections.append({"key": section.key, "title": section.title, "html": render_section(body, data, fact_map)})
    problems += version_problems(report, data)
    pending = db.session.scalar(select(func.count()).select_from(ReportQuote).where(
        ReportQuote.report_id == report.id, ReportQuote.status == QuoteStatus.PROPOSED.value)) or 0
    slug = consultation.slug if consultation is not None else data["review"]["slug"]
    document = Document(slug=slug, title=report.title, sections=sections, data=data, draft=True,
                        corrections=_corrections(report),
                        language=source_language(consultation) if consultation is not None else DEFAULT_LANGUAGE)
    return Draft(document, problems, pending)


def version_problems(report: Report, data: dict) -> list[Problem]:
    """One blocking problem per earlier version that, subtracted from this data, shows fewer than the minimum."""
    from engage.reporting.versions import small_changes

    minimum = max(data.get("public_min") or 0, data.get("identity_min") or 0)
    problems = []
    for version in sorted(report.versions, key=lambda v: v.number):
        changes = small_changes(version.data or {}, data, minimum)
        if not changes:
            continue
        first = changes[0]
        if first.derived:
            figure = _("%(figure)s changed by %(change)s (worked out from its table's total and other rows)",
                       figure=first.label, change=f"{first.difference:+d}")
        else:
            figure = _("%(figure)s went from %(before)s to %(after)s", figure=first.label, before=first.before,
                       after=first.after)
        message = ngettext(
            "Anyone could subtract version %(number)s from this one and learn about fewer than %(minimum)s people: "
            "%(figure)s. Publish when the change is at least %(minimum)s, or leave the published version as it is.",
            "Anyone could subtract version %(number)s from this one and learn about fewer than %(minimum)s people: "
            "%(figure)s, and %(num)d more figures like it. Publish when every change is at least %(minimum)s, or "
            "leave the published version as it is.",
            len(changes), number=version.number, minimum=minimum, figure=figure)
        problems.append(Problem("", message))
    return problems


def draft_document(report: Report) -> Document:
    consultation = db.session.get(Consultation, report.consultation_id) if report.consultation_id else None
    return build_draft(report=report, consultation=consultation).document


def fingerprint(document: Document) -> str:
    """What an approval approved: the title, the sections and the data, whatever language the blocks were worded in
    (an approver reading English and a publisher reading French see the same report)."""
    from engage.reporting.blocks import without_block_words

    payload = json.dumps({"title": document.title, "sections": without_block_words(document.sections),
                          "data": document.data}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def submit_for_review(*, report: Report, consultation: Consultation, user: User) -> None:
    if not is_drafter(user):
        raise ReportError(_("Only reviewers can send a report for approval."))
    if report.status not in (ReportStatus.DRAFT.value, ReportStatus.PUBLISHED.value):
        raise ReportError(_("Only a draft (or a published report being corrected) can be sent for approval."))
    draft = build_draft(report=report, consultation=consultation, user=user)
    _refuse_problems(draft)
    begin_write()
    report.status, report.submitted_by_id = ReportStatus.IN_REVIEW.value, user.id
    touch(report)
    record_event(actor=user, action="submit_report", target_type="report", target_id=report.id, details={})


def return_to_draft(*, report: Report, user: User, note: str = "") -> None:
    if report.status not in (ReportStatus.IN_REVIEW.value, ReportStatus.APPROVED.value):
        raise ReportError(_("Only a report waiting for approval or approved can be sent back."))
    begin_write()
    _back_to_draft(report)
    touch(report)
    record_event(actor=user, action="return_report", target_type="report", target_id=report.id,
                 details={"note": " ".join(note.split())[:500]})


def approve(*, report: Report, consultation: Consultation, user: User) -> None:
    if not is_publisher(user):
        raise ReportError(_("Only a publisher can approve a report."))
    if report.status != ReportStatus.IN_REVIEW.value:
        raise ReportError(_("A report must be sent for approval before it can be approved."))
    draft = build_draft(report=report, consultation=consultation, user=user)
    _refuse_problems(draft)
    begin_write()
    report.status, report.approved_by_id, report.approved_at = ReportStatus.APPROVED.value, user.id, utcnow()
    report.approved_fingerprint = fingerprint(draft.document)
    touch(report)
    record_event(actor=user, action="approve_report", target_type="report", target_id=report.id, details={})


def publish(*, report: Report, consultation: Consultation, user: User, correction_note: str = "") -> ReportVersion:
    """Freeze the approved document as the next public version."""
    if not is_publisher(user):
        raise ReportError(_("Only a publisher can publish a report."))
    if report.status != ReportStatus.APPROVED.value:
        raise ReportError(_("Only an approved report can be published."))
    correction_note = " ".join(correction_note.split())[:2000]
    previous = latest_version(report)
    if previous is not None and not correction_note:
        raise ReportError(_("Say what changed since the last published version. The note is shown to the public."))
    draft = build_draft(report=report, consultation=consultation, user=user)
    if fingerprint(draft.document) != report.approved_fingerprint:
        begin_write()
        _back_to_draft(report)
        report.status = ReportStatus.IN_REVIEW.value
        raise ReportError(_("The report or its data changed since it was approved, so it has gone back for "
                            "approval. Check it and approve it again."))
    return freeze_version(report=report, document=draft.document, user=user, correction_note=correction_note)


def freeze_version(*, report: Report, document: Document, user: User | None, correction_note: str = "") -> ReportVersion:
    """Store ``document`` as the next public version. Callers check the workflow first (``publish`` does)."""
    begin_write()
    previous = latest_version(report)
    version = ReportVersion(report_id=report.id, number=(previous.number + 1) if previous else 1,
                            published_by_id=user.id if user else None, correction_note=correction_note,
                            title=report.title, sections=document.sections, data=document.data)
    db.session.add(version)
    report.status = ReportStatus.PUBLISHED.value
    touch(report)
    db.session.flush()
    record_event(actor=user, action="publish_report", target_type="report", target_id=report.id,
                 details={"version": version.number})
    return version


def _refuse_problems(draft: Draft) -> None:
    blocking = [p for p in draft.problems if p.blocking]
    if blocking:
        raise ReportError(ngettext("Fix %(num)d problem first: %(problem)s", "Fix %(num)d problems first: %(problem)s",
                                   len(blocking), problem=blocking[0].message))


# --- Published documents ------------------------------------------------------------------------------------------

def _corrections(report: Report) -> list[dict]:
    return [{"number": v.number, "published_on": v.published_at.date(), "note": v.correction_note}
            for v in sorted(report.versions, key=lambda v: -v.number)]


def version_document(version: ReportVersion, *, consultation: Consultation) -> Document:
    report = version.report
    return Document(slug=consultation.slug, title=version.title, sections=version.sections, data=version.data,
                    draft=False, version=version.number, published_on=version.published_at.date(),
                    corrections=[c for c in _corrections(report) if c["number"] <= version.number],
                    language=source_language(consultation))


def published_version(*, consultation: Consultation, number: int | None = None) -> ReportVersion | None:
    """The public version (the latest, or one by number); None when nothing is published (the embargo)."""
    query = (select(ReportVersion).join(Report, Report.id == ReportVersion.report_id)
             .where(Report.consultation_id == consultation.id))
    if number is not None:
        return db.session.scalar(query.where(ReportVersion.number == number))
    return db.session.scalar(query.order_by(ReportVersion.number.desc()).limit(1))


# --- Commitments ----------------------------------------------------------------------------------------------------

def commitments(*, consultation: Consultation) -> list[Commitment]:
    return list(db.session.scalars(select(Commitment).where(Commitment.consultation_id == consultation.id)
                                   .order_by(Commitment.position, Commitment.id)))


def commitment_or_none(*, consultation: Consultation, commitment_id: int) -> Commitment | None:
    found = db.session.get(Commitment, commitment_id)
    return found if found is not None and found.consultation_id == consultation.id else None


def save_commitment(*, consultation: Consultation, user: User, commitment: Commitment | None, title: str,
                    description: str, status: str, reason: str, owner: str, target_on: dt.date | None,
                    theme_ids: list[int]) -> Commitment:
    """Add or change a commitment. A status change is dated; "not proceeding" needs a public reason."""
    from engage.services.themes import active_themes

    title = " ".join(title.split())[:300]
    if not title:
        raise ReportError(_("Say what will be done."))
    if status not in COMMITMENT_STATUS_VALUES:
        raise ReportError(_("Choose one of the statuses."))
    reason = reason.strip()[:2000]
    if status == CommitmentStatus.NOT_PROCEEDING.value and not reason:
        raise ReportError(_("Give the public a reason when a commitment is not going ahead."))
    valid = {t.id for t in active_themes(consultation_id=consultation.id)}
    if set(theme_ids) - valid:
        raise ReportError(_("Link only this consultation's current themes."))
    begin_write()
    if commitment is None:
        position = db.session.scalar(select(func.count()).select_from(Commitment)
                                     .where(Commitment.consultation_id == consultation.id)) or 0
        commitment = Commitment(consultation_id=consultation.id, created_by_id=user.id, position=position,
                                status=status, status_changed_on=dt.date.today())
        db.session.add(commitment)
        action = "add_commitment"
    else:
        action = "update_commitment"
        if commitment.status != status:
            commitment.status_changed_on = dt.date.today()
    commitment.title, commitment.description, commitment.status = title, description.strip()[:5000], status
    commitment.reason, commitment.owner, commitment.target_on = reason, " ".join(owner.split())[:200], target_on
    commitment.theme_links = [CommitmentTheme(theme_id=t) for t in sorted(set(theme_ids))]
    db.session.flush()
    report = report_for(consultation)
    if report is not None and report.status in (ReportStatus.IN_REVIEW.value, ReportStatus.APPROVED.value):
        _back_to_draft(report)  # the approved text listed the old commitments
        touch(report)
    record_event(actor=user, action=action, target_type="commitment", target_id=commitment.id,
                 details={"status": status})
    return commitment
