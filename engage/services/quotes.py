"""Quotes for the What We Heard report: verbatim scrubbed comments, a re-identification check, a publisher's approval.

A quote's text is the comment as staff see it (a reviewer's redaction when there is one) with personal details
replaced by placeholders, exactly; nothing here rewords it. Reviewers propose quotes, a publisher approves or
rejects each one, and a redaction after approval lapses the approval so the new text is read again.
"""
import functools
import uuid
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update

from engage.analysis.pii import scrub_pii
from engage.analysis.text import is_non_answer
from engage.database import begin_write
from engage.extensions import db
from engage.models import (
    AnalysisRun, Answer, Code, CommentFlag, Consultation, MachineTheme, Question, QuoteStatus, Report, ReportQuote,
    Response, RunStatus, SegmentAnswer, Theme, User,
)
from engage.models.user import utcnow
from engage.services.audit import record_event
from engage.services.comments import NO_QUESTION_LABEL, group_sizes
# The check has its own module; callers reach it through this one.
from engage.services.quote_check import (  # noqa: F401
    KIND_LABELS, QuoteChecker, WordUsage, reidentification_warnings, warning_message,
)
from engage.services.reports import is_drafter, is_publisher
from engage.services.themes import shown_text, theme_or_none

PROPOSED, APPROVED, REJECTED = QuoteStatus.PROPOSED.value, QuoteStatus.APPROVED.value, QuoteStatus.REJECTED.value
QUOTE_STATUSES = (PROPOSED, APPROVED, REJECTED)
ROLE_FIELD = "role"  # the "about you" field whose answer labels a quote ("Student", "Teacher")
MAX_REASON = 500
MIN_CHARS, MAX_CHARS = 20, 1200  # candidates long enough to say something, short enough to quote


def N_(message: str) -> str:
    """Mark a message for the catalogue and keep it English: it is stored, and translated where it is shown."""
    return message


GONE = N_("The comment is no longer in the consultation.")  # stored as a rejection reason, so English


class QuoteError(ValueError):
    """A quote action that cannot be done; the message is safe to show. Nothing was changed."""


class QuoteChanged(QuoteError):
    """The comment changed since the quote was proposed: the quote was refreshed (flushed, to be committed)."""


# --- the text of a quote -----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8192)
def _scrub(text: str, schools: tuple[str, ...]) -> str:
    return scrub_pii(text, schools=schools)  # cached: the quote list re-checks every quote on each visit


def shown_quote_text(*, consultation: Consultation, answer: Answer) -> str:
    """The comment exactly as a quote would publish it: the shown text with personal details scrubbed."""
    return _scrub(shown_text(answer), tuple(consultation.school_names))


# --- group labels -------------------------------------------------------------------------------------------

def _role_field(consultation: Consultation):
    return next((f for f in consultation.segment_fields if f.key == ROLE_FIELD), None)


def _writer_labels(consultation: Consultation, response_ids=None) -> dict[uuid.UUID, str]:
    """The role each writer chose, when they chose exactly one."""
    role = _role_field(consultation)
    if role is None:
        return {}
    query = select(SegmentAnswer.response_id, SegmentAnswer.option_id).where(SegmentAnswer.field_id == role.id)
    if response_ids is not None:
        query = query.where(SegmentAnswer.response_id.in_(response_ids))
    chosen = defaultdict(list)
    for response_id, option_id in db.session.execute(query):
        chosen[response_id].append(option_id)
    labels = {o.id: o.label for o in role.options}
    return {r: labels[o[0]] for r, o in chosen.items() if len(o) == 1 and o[0] in labels}


def label_groups(*, consultation: Consultation) -> dict[str, tuple[int, int]]:
    """Each role label with its number of respondents and the public minimum that applies to it."""
    role = _role_field(consultation)
    if role is None:
        return {}
    sizes, minimum = group_sizes(consultation=consultation), consultation.public_minimum(identity=role.is_identity)
    return {o.label: (sizes.get(o.id, 0), minimum) for o in role.options}


def showable_labels(*, consultation: Consultation) -> set[str]:
    """Labels whose group is at least the public minimum, so they may be shown beside a quote."""
    return {label for label, (size, minimum) in label_groups(consultation=consultation).items() if size >= minimum}


def _label_check(consultation: Consultation, label: str, groups: dict) -> dict:
    """The label arguments of ``QuoteChecker.warnings`` for a writer's label."""
    role = _role_field(consultation)
    return {"segment_label": label, "group_size": groups.get(label, (0, 0))[0] if label else None,
            "identity": bool(role and role.is_identity)}


# --- candidates ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    answer_id: uuid.UUID
    text: str  # as it would be published
    question: str
    representative: bool  # one of the analysis's representative comments for the theme
    quote: ReportQuote | None  # this comment's quote, if it was proposed already


def _open_flagged():
    return select(CommentFlag.answer_id).where(CommentFlag.status == "open")


def candidate_quotes(*, consultation: Consultation, theme_id: int | None = None, limit: int = 30,
                     report: Report | None = None) -> list[Candidate]:
    """Comments a reviewer may propose for a theme (or any theme): the analysis's representative comments first,
    then comments coded to it. Comments with an open flag, non-answers and very short or long ones are left out.
    """
    if theme_id is not None:
        theme = theme_or_none(consultation_id=consultation.id, theme_id=theme_id)
        themes = [theme] if theme else []
    else:
        themes = list(db.session.scalars(select(Theme).where(Theme.consultation_id == consultation.id,
                                                             Theme.archived_at.is_(None))))
    machine_ids = [t.machine_theme_id for t in themes if t.machine_theme_id]
    query = select(MachineTheme.quote_answer_ids)
    if theme_id is None:  # the latest run's representative comments for every theme it found
        query = query.join(AnalysisRun, AnalysisRun.id == MachineTheme.run_id).where(
            AnalysisRun.id == select(AnalysisRun.id).where(
                AnalysisRun.consultation_id == consultation.id, AnalysisRun.status == RunStatus.DONE.value)
            .order_by(AnalysisRun.version.desc()).limit(1).scalar_subquery())
    else:
        query = query.where(MachineTheme.id.in_(machine_ids or [-1]))
    representative = [uuid.UUID(i) for ids in db.session.scalars(query) for i in ids]
    rank = {answer_id: n for n, answer_id in reversed(list(enumerate(representative)))}
    shown = func.coalesce(Answer.redacted_text, Answer.text)
    base = (select(Answer, func.coalesce(Question.prompt, _(NO_QUESTION_LABEL)))
            .join(Response, Response.id == Answer.response_id).outerjoin(Question, Question.id == Answer.question_id)
            .where(Response.consultation_id == consultation.id, Answer.text.is_not(None),
                   Answer.id.not_in(_open_flagged()), func.length(shown).between(MIN_CHARS, MAX_CHARS)))
    rows = list(db.session.execute(base.where(Answer.id.in_(representative))).all()) if representative else []
    if themes:
        coded = select(Code.answer_id).where(Code.theme_id.in_([t.id for t in themes]))
        rows += db.session.execute(base.where(Answer.id.in_(coded)).order_by(Answer.id).limit(limit * 3)).all()
    quotes = {}
    if report is not None:
        quotes = {q.answer_id: q for q in db.session.scalars(select(ReportQuote).where(ReportQuote.report_id == report.id))}
    found, seen = [], set()
    for answer, prompt in sorted(rows, key=lambda row: rank.get(row[0].id, len(rank))):
        text = shown_quote_text(consultation=consultation, answer=answer)
        if answer.id in seen or is_non_answer(text) or text in seen:
            continue
        seen |= {answer.id, text}
        found.append(Candidate(answer.id, text, prompt, answer.id in rank, quotes.get(answer.id)))
    return found[:limit]


# --- the workflow -------------------------------------------------------------------------------------------

def _consultation(report: Report) -> Consultation:
    return db.session.get(Consultation, report.consultation_id)


def quote_in_report(*, report: Report, quote_id: int) -> ReportQuote | None:
    """The quote if it belongs to this report; None otherwise (so a URL cannot reach another consultation's)."""
    quote = db.session.get(ReportQuote, quote_id)
    return quote if quote is not None and quote.report_id == report.id else None


def _quote_for(report: Report, answer_id: uuid.UUID) -> ReportQuote | None:
    return db.session.scalar(select(ReportQuote).where(ReportQuote.report_id == report.id,
                                                       ReportQuote.answer_id == answer_id))


def propose_quote(*, report: Report, answer: Answer, theme_id: int | None, user: User) -> ReportQuote:
    """Propose a comment as a quote: store its scrubbed text, the writer's group label and the check's warnings.

    Proposing a comment that is already a quote returns that quote unchanged.
    """
    if not is_drafter(user):
        raise QuoteError(_("Only reviewers can propose quotes."))
    consultation = _consultation(report)
    response = db.session.get(Response, answer.response_id)
    if response is None or response.consultation_id != consultation.id or answer.text is None:
        raise QuoteError(_("That comment is not part of this consultation."))
    existing = _quote_for(report, answer.id)
    if existing is not None:
        if existing.status == REJECTED:
            raise QuoteError(_("A publisher has rejected this comment as a quote already."))
        return existing
    if theme_id is not None and theme_or_none(consultation_id=consultation.id, theme_id=theme_id) is None:
        raise QuoteError(_("Choose one of this consultation's themes."))
    if db.session.scalar(select(func.count()).select_from(CommentFlag).where(
            CommentFlag.answer_id == answer.id, CommentFlag.status == "open")):
        raise QuoteError(_("This comment has an open flag. Deal with the flag before quoting it."))
    text = shown_quote_text(consultation=consultation, answer=answer)
    if not text.strip() or is_non_answer(text):
        raise QuoteError(_("This comment says nothing that could be quoted."))
    label = _writer_labels(consultation, [answer.response_id]).get(answer.response_id, "")
    warnings = QuoteChecker(consultation).warnings(
        text, **_label_check(consultation, label, label_groups(consultation=consultation)))
    begin_write()
    existing = _quote_for(report, answer.id)  # proposed by someone else while we waited for the lock
    if existing is not None:
        return existing
    position = db.session.scalar(select(func.max(ReportQuote.position)).where(ReportQuote.report_id == report.id))
    quote = ReportQuote(report_id=report.id, answer_id=answer.id, theme_id=theme_id, question_id=answer.question_id,
                        text=text, segment_label=label, show_label=False, warnings=warnings, status=PROPOSED,
                        position=(position or 0) + 1, proposed_by_id=user.id, proposed_at=utcnow())
    db.session.add(quote)
    db.session.flush()
    record_event(actor=user, action="propose_quote", target_type="report_quote", target_id=quote.id,
                 details={"report_id": report.id, "theme_id": theme_id, "warnings": [w["kind"] for w in warnings]})
    return quote


def _stale(status: str, text: str, answer_id, raw: str | None, redacted: str | None, schools: tuple) -> bool:
    """Whether a quote no longer matches its comment (redacted since), or waits on a comment that is gone.

    Only the retention purge deletes comments, and it keeps approved quotes (answer_id set to NULL) because they
    were published: those stay as they are.
    """
    if answer_id is None:
        return status == PROPOSED
    return _scrub(redacted if redacted is not None else (raw or ""), schools) != text


def _is_stale(quote: ReportQuote, answer: Answer | None, consultation: Consultation) -> bool:
    return _stale(quote.status, quote.text, answer and answer.id, answer and answer.text,
                  answer and answer.redacted_text, tuple(consultation.school_names))


def _stale_ids(report: Report, consultation: Consultation, *, status: str | None = None) -> set[int]:
    """The report's quotes that no longer match their comments, read as plain columns (thousands in the appendix)."""
    query = (select(ReportQuote.id, ReportQuote.status, ReportQuote.text, Answer.id, Answer.text, Answer.redacted_text)
             .outerjoin(Answer, Answer.id == ReportQuote.answer_id).where(ReportQuote.report_id == report.id))
    if status is not None:
        query = query.where(ReportQuote.status == status)
    schools = tuple(consultation.school_names)
    return {row[0] for row in db.session.execute(query) if _stale(*row[1:], schools)}


def _refresh(quote: ReportQuote, answer: Answer | None, checker: QuoteChecker) -> None:
    """Bring a stale quote in line with its comment; an approval lapses."""
    if answer is None:
        quote.status, quote.reason, quote.show_label = REJECTED, GONE, False
        quote.decided_by_id, quote.decided_at = None, utcnow()
        return
    consultation = checker.consultation
    quote.text = shown_quote_text(consultation=consultation, answer=answer)
    quote.warnings = checker.warnings(
        quote.text, **_label_check(consultation, quote.segment_label, label_groups(consultation=consultation)))
    if quote.status == APPROVED:
        quote.status, quote.show_label, quote.decided_by_id, quote.decided_at = PROPOSED, False, None, None


def refresh_quotes(*, report: Report, user: User | None = None) -> int:
    """Re-check every quote against its comment. A redacted comment gives the quote its new text and warnings,
    and an approved one goes back to proposed; a proposed quote whose comment is gone is rejected. Returns how many
    approvals lapsed. Writes (and flushes) only when something changed.
    """
    consultation = _consultation(report)
    stale = sorted(_stale_ids(report, consultation))
    if not stale:
        return 0
    begin_write()
    lapsed, checker = [], QuoteChecker(consultation)
    for quote_id in stale:
        quote = db.session.get(ReportQuote, quote_id)
        answer = db.session.get(Answer, quote.answer_id) if quote.answer_id else None
        if _is_stale(quote, answer, consultation):  # checked again under the write lock
            lapsed += [quote.id] if quote.status == APPROVED else []
            _refresh(quote, answer, checker)
    db.session.flush()
    record_event(actor=user, action="refresh_quotes", target_type="report", target_id=report.id,
                 details={"changed": len(stale), "lapsed_quote_ids": lapsed})
    return len(lapsed)


def approve_quote(*, quote: ReportQuote, user: User, show_label: bool, checked_warnings: bool = False) -> ReportQuote:
    """A publisher's approval. The group label is shown only if asked for and its group is large enough; a quote
    with warnings needs ``checked_warnings``. If the comment changed since it was proposed, the quote is
    refreshed instead and ``QuoteChanged`` is raised (commit that refresh).
    """
    if not is_publisher(user):
        raise QuoteError(_("Only a publisher can approve quotes."))
    if quote.status != PROPOSED:
        raise QuoteError(_("This quote is already approved.") if quote.status == APPROVED
                         else _("A rejected quote cannot be approved."))
    report = db.session.get(Report, quote.report_id)
    consultation = _consultation(report)
    if show_label:
        if not quote.segment_label:
            raise QuoteError(_("This quote has no group label to show."))
        size, minimum = label_groups(consultation=consultation).get(quote.segment_label, (0, consultation.public_minimum()))
        if size < minimum:
            raise QuoteError(_("Fewer than %(minimum)s respondents chose “%(label)s”, so the label cannot be "
                               "shown with a quote: it could point to the writer. Approve the quote without the "
                               "label, or reject it.", minimum=minimum, label=quote.segment_label))
    if any(w["kind"] != "label" for w in quote.warnings) and not checked_warnings:
        raise QuoteError(_("This quote has warnings. Read them, then tick “I have checked the warnings” to approve "
                           "it, or reject it."))
    begin_write()
    quote = db.session.get(ReportQuote, quote.id)
    answer = db.session.get(Answer, quote.answer_id) if quote.answer_id else None
    if quote.status != PROPOSED:
        raise QuoteError(_("Someone decided on this quote a moment ago. Look at it again."))
    if _is_stale(quote, answer, consultation):
        _refresh(quote, answer, QuoteChecker(consultation))
        db.session.flush()
        raise QuoteChanged(_(GONE) if answer is None else
                           _("The comment was redacted after this quote was proposed. The quote now shows the new "
                             "text: read it and its warnings again before approving."))
    quote.status, quote.show_label, quote.reason = APPROVED, bool(show_label), ""
    quote.decided_by_id, quote.decided_at = user.id, utcnow()
    db.session.flush()
    record_event(actor=user, action="approve_quote", target_type="report_quote", target_id=quote.id,
                 details={"report_id": quote.report_id, "show_label": quote.show_label,
                          "warnings": [w["kind"] for w in quote.warnings]})
    return quote


def reject_quote(*, quote: ReportQuote, user: User, reason: str) -> ReportQuote:
    """A publisher's rejection, with a reason (kept on the quote, not in the audit log). Also undoes an approval."""
    reason = " ".join((reason or "").split())
    if not is_publisher(user):
        raise QuoteError(_("Only a publisher can reject quotes."))
    if quote.status == REJECTED:
        raise QuoteError(_("This quote is already rejected."))
    if not reason:
        raise QuoteError(_("Give a reason for rejecting the quote."))
    if len(reason) > MAX_REASON:
        raise QuoteError(_("Keep the reason under %(limit)s characters.", limit=MAX_REASON))
    begin_write()
    quote = db.session.get(ReportQuote, quote.id)
    was = quote.status
    quote.status, quote.reason, quote.show_label = REJECTED, reason, False
    quote.decided_by_id, quote.decided_at = user.id, utcnow()
    db.session.flush()
    record_event(actor=user, action="reject_quote", target_type="report_quote", target_id=quote.id,
                 details={"report_id": quote.report_id, "was": was})
    return quote


def withdraw_quote(*, quote: ReportQuote, user: User) -> None:
    """A reviewer takes back a proposal nobody has decided on yet."""
    if not is_drafter(user):
        raise QuoteError(_("Only reviewers can withdraw proposed quotes."))
    if quote.status != PROPOSED:
        raise QuoteError(_("Only a quote still waiting for a decision can be withdrawn."))
    begin_write()
    quote = db.session.get(ReportQuote, quote.id)
    if quote is None or quote.status != PROPOSED:
        raise QuoteError(_("Someone decided on this quote a moment ago. Look at it again."))
    record_event(actor=user, action="withdraw_quote", target_type="report_quote", target_id=quote.id,
                 details={"report_id": quote.report_id})
    db.session.delete(quote)
    db.session.flush()


# --- reading ------------------------------------------------------------------------------------------------

def list_quotes(*, report: Report, status: str) -> list[ReportQuote]:
    """One status's quotes: theme quotes in board order, then the appendix; those with warnings first."""
    order = {t: n for n, t in enumerate(db.session.scalars(
        select(Theme.id).where(Theme.consultation_id == report.consultation_id).order_by(Theme.position, Theme.id)))}
    quotes = db.session.scalars(select(ReportQuote).where(ReportQuote.report_id == report.id,
                                                          ReportQuote.status == status))
    return sorted(quotes, key=lambda q: (q.theme_id is None, order.get(q.theme_id, len(order)), not q.warnings,
                                         q.position, q.id))


def count_quotes(*, report: Report) -> dict[str, int]:
    rows = db.session.execute(select(ReportQuote.status, func.count()).where(ReportQuote.report_id == report.id)
                              .group_by(ReportQuote.status))
    return {status: 0 for status in QUOTE_STATUSES} | dict(rows.all())


def approved_quotes(*, report: Report) -> list[ReportQuote]:
    """Approved quotes that may be published, in proposal order. A quote whose comment was redacted since (not yet
    refreshed) is left out; one whose comment was purged after publication stays. ``segment_label`` may be shown
    only where ``show_label`` is true.
    """
    consultation = _consultation(report)
    stale = _stale_ids(report, consultation, status=APPROVED)
    approved = db.session.scalars(select(ReportQuote).where(ReportQuote.report_id == report.id,
                                                            ReportQuote.status == APPROVED)
                                  .order_by(ReportQuote.position, ReportQuote.id))
    return [quote for quote in approved if quote.id not in stale]


# --- the appendix: every approved and scrubbed comment -----------------------------------------------------

def propose_all_for_appendix(*, report: Report, user: User) -> int:
    """Propose, without a theme, every comment that has no open flag, says something and is not a quote yet."""
    if not is_drafter(user):
        raise QuoteError(_("Only reviewers can propose quotes."))
    consultation = _consultation(report)
    shown = func.coalesce(Answer.redacted_text, Answer.text)
    rows = db.session.execute(
        select(Answer.id, Answer.response_id, Answer.question_id, shown).join(Response, Response.id == Answer.response_id)
        .where(Response.consultation_id == consultation.id, Answer.text.is_not(None), Answer.id.not_in(_open_flagged()))
    ).all()
    checker = QuoteChecker(consultation, usage=WordUsage(consultation.id, [(r[1], r[3]) for r in rows]))
    labels, groups = _writer_labels(consultation), label_groups(consultation=consultation)
    schools = tuple(consultation.school_names)
    begin_write()
    quoted = set(db.session.scalars(select(ReportQuote.answer_id).where(ReportQuote.report_id == report.id)))
    position = db.session.scalar(select(func.max(ReportQuote.position)).where(ReportQuote.report_id == report.id)) or 0
    values, now = [], utcnow()
    for answer_id, response_id, question_id, raw in rows:
        text = _scrub(raw or "", schools)
        if answer_id in quoted or not text.strip() or is_non_answer(text):
            continue
        label = labels.get(response_id, "")
        position += 1
        values.append({
            "report_id": report.id, "answer_id": answer_id, "theme_id": None, "question_id": question_id, "text": text,
            "segment_label": label, "show_label": False, "status": PROPOSED, "reason": "", "position": position,
            "warnings": checker.warnings(text, **_label_check(consultation, label, groups)),
            "proposed_by_id": user.id, "proposed_at": now,
        })
    for start in range(0, len(values), 500):
        db.session.execute(insert(ReportQuote), values[start:start + 500])
    record_event(actor=user, action="propose_appendix_quotes", target_type="report", target_id=report.id,
                 details={"count": len(values)})
    return len(values)


def approve_all_without_warnings(*, report: Report, user: User) -> int:
    """A publisher approves, without group labels, every proposed appendix quote (no theme) that has no warnings.

    Quotes are re-checked against their comments first, so a redaction is never approved unseen.
    """
    if not is_publisher(user):
        raise QuoteError(_("Only a publisher can approve quotes."))
    begin_write()
    refresh_quotes(report=report, user=user)
    ids = [quote_id for quote_id, warnings in db.session.execute(
        select(ReportQuote.id, ReportQuote.warnings).where(
            ReportQuote.report_id == report.id, ReportQuote.status == PROPOSED, ReportQuote.theme_id.is_(None))
    ) if not warnings]
    now = utcnow()
    for start in range(0, len(ids), 500):
        db.session.execute(update(ReportQuote).where(ReportQuote.id.in_(ids[start:start + 500])).values(
            status=APPROVED, show_label=False, reason="", decided_by_id=user.id, decided_at=now))
    record_event(actor=user, action="approve_appendix_quotes", target_type="report", target_id=report.id,
                 details={"count": len(ids)})
    return len(ids)
