"""Program reviews: streams, participation, the shared codebook and cross-stream tables, all suppressed.

A review's streams are consultations tagged with a phase and an audience. Every figure broken down by stream,
phase or audience passes through ``engage.analysis.segments``: counts below the minimum are hidden, and so are
enough others that a hidden one cannot be worked out from the totals. The stream table is the one suppressed
table; the phase and audience views are sums of its rows, shown only where every stream in them is shown, so
they add nothing a reader could not already add up (and so cannot give a hidden stream away).
"""
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from statistics import fmean

from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.analysis.segments import (
    SENTIMENT_LABELS, SegmentRow, SegmentTable, _suppress, tabulate_segment, where_groups_differ,
)
from engage.analysis.sentiment import label_sentiment
from engage.database import begin_write
from engage.extensions import db
from engage.models import (
    Code, Consultation, EngagementSession, Response, Review, ReviewFinding, ReviewTheme, Theme, User,
)
from engage.services.audit import record_event

BY_CHOICES = ("stream", "phase", "audience")
NOTABLE_Q, NOTABLE_H = 0.05, 0.2


class ReviewError(ValueError):
    """A request that cannot be carried out; the message is safe to show."""


# --- Streams and participation ----------------------------------------------------------------------------------

def streams(review: Review) -> list[Consultation]:
    """The review's consultations in phase order (as the review lists its phases), then by opening day."""
    rows = db.session.scalars(select(Consultation).where(Consultation.review_id == review.id)).all()
    order = {phase: i for i, phase in enumerate(review.phases or [])}
    return sorted(rows, key=lambda c: (order.get(c.stream_phase, len(order)), c.stream_phase or "",
                                       c.opens_on or dt.date.max, c.id))


def review_minimum(review: Review, *, public: bool, consultations: list[Consultation] | None = None) -> int:
    """The strictest minimum group size of the review's streams: the staff minimum, or (public) the public one,
    with the identity minimum, since a stream's audience is often an identity group."""
    found = streams(review) if consultations is None else consultations
    if not found:
        return 10
    if public:
        return max(c.public_minimum(identity=True) for c in found)
    return max(c.min_group_size for c in found)


def stream_label(consultation: Consultation) -> str:
    return consultation.title


def _participants(ids: list[int]) -> dict[int, int]:
    """People per stream: respondents (not session notes) plus the attendees of its focus groups and roundtables."""
    counts = dict.fromkeys(ids, 0)
    if not ids:
        return counts
    for cid, n in db.session.execute(
        select(Response.consultation_id, func.count()).where(Response.consultation_id.in_(ids),
                                                             Response.engagement_session_id.is_(None))
        .group_by(Response.consultation_id)):
        counts[cid] += n
    for cid, n in db.session.execute(
        select(EngagementSession.consultation_id, func.coalesce(func.sum(EngagementSession.attendees), 0))
        .where(EngagementSession.consultation_id.in_(ids)).group_by(EngagementSession.consultation_id)):
        counts[cid] += int(n or 0)
    return counts


def suppress_counts(counts: dict, total: int, minimum: int) -> dict:
    """Counts that add up to a published total, suppressed: key -> count or None (hidden).

    A count below the minimum (zero too) is hidden, then more until no hidden count follows from the total.
    """
    values = {("n", key): n for key, n in counts.items()}
    primary = {k for k, n in values.items() if n < minimum}
    hidden = _suppress(values, [(tuple(values), total)], primary, {}, {}, set())
    return {key: None if ("n", key) in hidden else n for key, n in counts.items()}


def participation(review: Review, *, public: bool = True) -> dict:
    """Per stream: phase, audience, format, partner and participants (None when hidden), and the total.

    The total is published; a stream below the minimum is hidden together with another, so the total less the
    shown streams never gives it away.
    """
    found = streams(review)
    minimum = review_minimum(review, public=public, consultations=found)
    counts = _participants([c.id for c in found])
    total = sum(counts.values())
    shown = suppress_counts(counts, total, minimum)
    rows = [{"consultation": c, "id": c.id, "slug": c.slug, "title": c.title, "phase": c.stream_phase or "",
             "audience": c.stream_audience or "", "format": c.stream_format or "", "partner": c.stream_partner or "",
             "participants": shown[c.id]} for c in found]
    return {"rows": rows, "total": total, "min": minimum}


# --- The shared codebook ------------------------------------------------------------------------------------------

def review_themes(review: Review) -> list[ReviewTheme]:
    return list(db.session.scalars(select(ReviewTheme).where(ReviewTheme.review_id == review.id)
                                   .order_by(ReviewTheme.position, ReviewTheme.id)))


def review_theme_or_none(review: Review, theme_id: int) -> ReviewTheme | None:
    theme = db.session.get(ReviewTheme, theme_id)
    return theme if theme is not None and theme.review_id == review.id else None


def _words(text: str) -> list[str]:
    return [w.strip() for w in (text or "").replace("\n", ",").split(",") if w.strip()][:30]


def save_review_theme(*, review: Review, user: User | None, theme: ReviewTheme | None, name: str,
                      description: str = "", keywords: str = "") -> ReviewTheme:
    """Add or rename a shared theme. Names are unique in the review (the same theme means the same everywhere)."""
    name = " ".join(name.split())[:200]
    if not name:
        raise ReviewError(_("Give the theme a name."))
    clash = db.session.scalar(select(ReviewTheme).where(ReviewTheme.review_id == review.id,
                                                        func.lower(ReviewTheme.name) == name.lower()))
    if clash is not None and clash is not theme:
        raise ReviewError(_("The shared codebook already has a theme with that name."))
    begin_write()
    if theme is None:
        position = db.session.scalar(select(func.count()).select_from(ReviewTheme)
                                     .where(ReviewTheme.review_id == review.id)) or 0
        theme = ReviewTheme(review_id=review.id, position=position)
        db.session.add(theme)
    theme.name, theme.description, theme.keywords = name, description.strip()[:5000], _words(keywords)
    db.session.flush()
    record_event(actor=user, action="save_review_theme", target_type="review_theme", target_id=theme.id,
                 details={"review_id": review.id})
    return theme


def delete_review_theme(*, review: Review, user: User | None, theme: ReviewTheme) -> None:
    """Remove a shared theme. The streams keep their themes (and codes), now as themes of their own."""
    begin_write()
    db.session.execute(Theme.__table__.update().where(Theme.review_theme_id == theme.id).values(review_theme_id=None))
    db.session.delete(theme)
    db.session.flush()
    record_event(actor=user, action="delete_review_theme", target_type="review", target_id=review.id, details={})


def adopt_into_streams(*, review: Review, user: User | None, theme_ids=None) -> int:
    """Put shared themes into every stream's codebook: link a stream theme of the same name, else create one.

    Streams keep their own unlinked themes. Returns how many stream themes were created or linked.
    """
    shared = [t for t in review_themes(review) if theme_ids is None or t.id in set(theme_ids)]
    changed = 0
    begin_write()
    for consultation in streams(review):
        existing = list(db.session.scalars(select(Theme).where(Theme.consultation_id == consultation.id,
                                                               Theme.archived_at.is_(None))))
        by_name = {t.name.strip().lower(): t for t in existing}
        linked = {t.review_theme_id for t in existing if t.review_theme_id}
        position = max((t.position for t in existing), default=-1) + 1
        for rt in shared:
            if rt.id in linked:
                continue
            theme = by_name.get(rt.name.strip().lower())
            if theme is None:
                theme = Theme(consultation_id=consultation.id, name=rt.name, description=rt.description,
                              keywords=list(rt.keywords or []), examples=list(rt.examples or []), position=position,
                              source="human", created_by_id=user.id if user else None)
                db.session.add(theme)
                position += 1
            elif theme.review_theme_id not in (None, rt.id):
                continue  # already stands for another shared theme: a person decides, not a name match
            theme.review_theme_id = rt.id
            changed += 1
    db.session.flush()
    record_event(actor=user, action="adopt_review_themes", target_type="review", target_id=review.id,
                 details={"linked": changed})
    return changed


def link_theme(*, review: Review, user: User | None, theme: Theme, review_theme: ReviewTheme | None) -> None:
    """Say that a stream's own theme stands for a shared theme (or for none)."""
    stream = db.session.get(Consultation, theme.consultation_id)
    if stream is None or stream.review_id != review.id:
        raise ReviewError(_("That theme is not in one of this review's streams."))
    if review_theme is not None and review_theme.review_id != review.id:
        raise ReviewError(_("Choose one of this review's shared themes."))
    begin_write()
    theme.review_theme_id = review_theme.id if review_theme else None
    db.session.flush()
    record_event(actor=user, action="link_review_theme", target_type="theme", target_id=theme.id,
                 details={"review_theme_id": theme.review_theme_id})


def stream_themes(review: Review) -> list[tuple[Consultation, list[Theme]]]:
    found = []
    for consultation in streams(review):
        found.append((consultation, list(db.session.scalars(
            select(Theme).where(Theme.consultation_id == consultation.id, Theme.archived_at.is_(None))
            .order_by(Theme.position, Theme.id)))))
    return found


# --- Cross-stream tables ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    """One respondent with a coded comment: their stream, shared themes, and sentiment (overall, per theme)."""

    stream_id: int
    themes: frozenset
    score: float | None
    theme_scores: dict


def load_people(review: Review, consultations: list[Consultation]) -> tuple[list[Person], bool]:
    """Respondents whose comments were coded (with any theme), with their themes mapped to the shared codebook.

    Sentiment comes from each stream's latest finished analysis run; the flag says whether any stream had one.
    """
    from engage.services.segments import load_units

    people, any_sentiment = [], False
    for consultation in consultations:
        shared = dict(db.session.execute(select(Theme.id, Theme.review_theme_id).where(
            Theme.consultation_id == consultation.id, Theme.review_theme_id.is_not(None))).all())
        units, _ = load_units(consultation=consultation, question_id=None, source="codes")
        for unit in units:
            coded = [(themes, score) for _, themes, score in unit.comments if themes]
            if not coded:
                continue
            mapped = [(frozenset(shared[t] for t in themes if t in shared), score) for themes, score in coded]
            mine = frozenset().union(*(m for m, _ in mapped))
            scores = [s for _, s in mapped if s is not None]
            any_sentiment = any_sentiment or bool(scores)
            per_theme = {}
            for theme_id in mine:
                found = [s for m, s in mapped if theme_id in m and s is not None]
                per_theme[theme_id] = fmean(found) if found else None
            people.append(Person(consultation.id, mine, fmean(scores) if scores else None, per_theme))
    return people, any_sentiment


def _cell_sentiment(scores: list, shown: bool, minimum: int) -> dict:
    from engage.services.report_data import _sentiment

    return _sentiment(scores, shown, minimum)


def _one_row(memberships: list, ids: list[int], minimum: int, hide: frozenset = frozenset()) -> dict:
    """Each shared theme's count over everyone, suppressed (more when everyone has exactly one theme)."""
    from engage.services.report_data import _one_row as one_row

    return one_row(memberships, ids, minimum, hide) if ids else {}


def _group_key(consultation: Consultation, by: str) -> str:
    if by == "phase":
        return consultation.stream_phase or "No phase"
    if by == "audience":
        return consultation.stream_audience or "No audience given"
    return str(consultation.id)


def cross_stream(review: Review, *, public: bool) -> dict:
    """Shared themes by stream, phase and audience: JSON-ready, every breakdown suppressed.

    ``{"min", "sentiment": bool, "total": people with a coded comment, "themes": [{"id", "name", "description",
    "n", "share"}], "views": {by: {"by", "total", "theme_ids", "rows": [{"key", "label", "streams", "n",
    "mean_sentiment", "sentiment": {label: n | None}, "cells": {"<theme id>": {"n", "share", "sentiment"}}}],
    "sentiment_totals"}}}``. A theme whose overall count is hidden is left out of the views (its cells would add
    up to it).
    """
    found = streams(review)
    minimum = review_minimum(review, public=public, consultations=found)
    people, any_sentiment = load_people(review, found)
    shared = review_themes(review)
    cover = _covered_by_stream_reports(people, found, [t.id for t in shared], minimum) if public else frozenset()
    totals = _one_row([p.themes for p in people], [t.id for t in shared], minimum, hide=cover)
    themes = [{"id": t.id, "name": t.name, "description": t.description or "", "n": totals.get(t.id),
               "share": round(totals[t.id] / len(people), 4) if totals.get(t.id) is not None and people else None}
              for t in shared]
    shown_ids = [t["id"] for t in themes if t["n"] is not None]
    stream_table = tabulate_segment([p.themes for p in people], [str(p.stream_id) for p in people],
                                    field="stream", theme_ids=shown_ids, min_cell=minimum,
                                    scores=[p.score for p in people])
    stream_rows = {row.value: row for row in stream_table.rows}
    views = {}
    for by in BY_CHOICES:
        groups: dict[str, list[Consultation]] = {}
        for consultation in found:
            groups.setdefault(_group_key(consultation, by), []).append(consultation)
        rows = []
        for key, members in groups.items():
            parts = [stream_rows[str(c.id)] for c in members if str(c.id) in stream_rows]
            if not parts:
                continue  # no coded comments in these streams yet
            ids = {c.id for c in members}
            mine = [p for p in people if p.stream_id in ids]
            rows.append(_view_row(key, members, parts, mine, shown_ids, minimum, by))
        views[by] = {"by": by, "total": len(people), "theme_ids": shown_ids, "rows": rows,
                     "sentiment_totals": dict(stream_table.sentiment_totals)}
    return {"min": minimum, "sentiment": any_sentiment, "total": len(people), "themes": themes, "views": views}


def _covered_by_stream_reports(people: list[Person], found: list[Consultation], theme_ids: list[int],
                               minimum: int) -> frozenset:
    """Shared themes whose review-wide total must stay hidden in public, because of the streams' own reports.

    Each stream publishes its own What We Heard report, which shows a theme's count for that stream when it
    reaches the stream's public minimum and hides it otherwise. The review-wide total minus every stream's
    published count is then the sum of the counts the streams hid: when that is between 1 and the minimum, a
    small group (often one stream's handful of people) could be worked out by subtraction. Every stream is taken
    to publish, since a published version stays public.
    """
    counts: dict[tuple[int, int], int] = {}
    for person in people:
        for theme_id in person.themes:
            counts[(person.stream_id, theme_id)] = counts.get((person.stream_id, theme_id), 0) + 1
    own_minimum = {c.id: c.public_minimum() for c in found}
    covered = set()
    for theme_id in theme_ids:
        hidden_sum = sum(n for (stream_id, t), n in counts.items() if t == theme_id and n < own_minimum[stream_id])
        if 0 < hidden_sum < minimum:
            covered.add(theme_id)
    return frozenset(covered)


def _sum_or_none(values):
    values = list(values)
    return None if any(v is None for v in values) else sum(values)


def _view_row(key, members, parts: list[SegmentRow], people: list[Person], theme_ids, minimum, by) -> dict:
    """A group's row: the sum of its streams' suppressed rows, hidden wherever one of them is hidden."""
    n = _sum_or_none(r.n for r in parts)
    scored = [p.score for p in people if p.score is not None]
    mean = round(fmean(scored), 4) if n is not None and len(scored) >= minimum else None
    sentiment = {label: _sum_or_none(r.sentiment.get(label) for r in parts) if n is not None else None
                 for label in SENTIMENT_LABELS}
    cells = {}
    for theme_id in theme_ids:
        count = _sum_or_none(r.themes[theme_id] for r in parts) if n is not None else None
        scores = [p.theme_scores.get(theme_id) for p in people if theme_id in p.themes]
        cells[str(theme_id)] = {"n": count, "share": round(count / n, 4) if count is not None and n else None,
                                "sentiment": _cell_sentiment(scores, count is not None, minimum)}
    label = members[0].title if by == "stream" else key
    return {"key": key, "label": label, "streams": [c.id for c in members], "n": n, "mean_sentiment": mean,
            "tone": label_sentiment(mean) if mean is not None else None, "sentiment": sentiment, "cells": cells}


def view_table(cross: dict, by: str) -> SegmentTable:
    """A view as the library's SegmentTable, so the library's own test of where groups differ applies."""
    view = cross["views"][by]
    ids = tuple(view["theme_ids"])
    theme_totals = {t["id"]: t["n"] for t in cross["themes"] if t["id"] in ids}
    rows = tuple(SegmentRow(r["label"], r["n"], {t: r["cells"][str(t)]["n"] for t in ids},
                            {t: r["cells"][str(t)]["share"] for t in ids},
                            dict(r["sentiment"]) if cross["sentiment"] else {}, r["mean_sentiment"])
                 for r in view["rows"])
    return SegmentTable(by, cross["min"], ids, rows, view["total"], theme_totals,
                        view["sentiment_totals"] if cross["sentiment"] else {})


@dataclass(frozen=True)
class Difference:
    group: str
    feature: str           # a shared theme's id as text, or "positive" / "negative"
    label: str
    group_n: int
    group_share: float
    rest_n: int
    rest_share: float
    cohens_h: float
    q_value: float
    notable: bool


def differences(cross: dict, by: str, *, notable_only: bool = True) -> list[Difference]:
    """Where groups (streams, phases or audiences) differ from everyone else, from the suppressed view only."""
    names = {t["id"]: t["name"] for t in cross["themes"]}
    found = []
    for d in where_groups_differ(view_table(cross, by), max_q=1.0, min_h=0.0):
        notable = d.q_value <= NOTABLE_Q and abs(d.cohens_h) >= NOTABLE_H
        if notable_only and not notable:
            continue
        label = names.get(d.feature, str(d.feature)) if isinstance(d.feature, int) else f"{d.feature} sentiment"
        found.append(Difference(d.value, str(d.feature), label, d.group_n, d.group_share, d.rest_n, d.rest_share,
                                d.cohens_h, d.q_value, notable))
    return found


def pin_finding(*, review: Review, user: User | None, by: str, group: str, feature: str,
                note: str = "") -> ReviewFinding:
    """Pin a cross-stream difference, recomputed here at the staff minimum so only safe figures are stored."""
    if by not in BY_CHOICES:
        raise ReviewError(_("Choose streams, phases or audiences."))
    cross = cross_stream(review, public=False)
    match = next((d for d in differences(cross, by) if d.group == group and d.feature == feature), None)
    if match is None:
        raise ReviewError(_("That difference cannot be shown safely, so it cannot be pinned."))
    direction = "more" if match.group_share > match.rest_share else "less"
    begin_write()
    finding = ReviewFinding(
        review_id=review.id, created_by_id=user.id if user else None, note=" ".join(note.split())[:1000],
        title=f"{group}: {match.label} mentioned {direction} often than by everyone else"[:300],
        data={"by": by, "dimension": by, "value": group, "feature": match.label, "feature_key": feature,
              "group_n": match.group_n, "group_share": round(match.group_share, 4), "rest_n": match.rest_n,
              "rest_share": round(match.rest_share, 4), "cohens_h": round(match.cohens_h, 3),
              "q_value": round(match.q_value, 4), "min_group_size": cross["min"]})
    db.session.add(finding)
    db.session.flush()
    record_event(actor=user, action="pin_review_finding", target_type="review_finding", target_id=finding.id,
                 details={"review_id": review.id})
    return finding


def findings(review: Review) -> list[ReviewFinding]:
    return list(db.session.scalars(select(ReviewFinding).where(ReviewFinding.review_id == review.id)
                                   .order_by(ReviewFinding.created_at, ReviewFinding.id)))


def unpin_finding(*, review: Review, user: User | None, finding: ReviewFinding) -> None:
    begin_write()
    db.session.delete(finding)
    db.session.flush()
    record_event(actor=user, action="unpin_review_finding", target_type="review", target_id=review.id, details={})


def safe_findings(review: Review, cross: dict) -> list[dict]:
    """Pinned findings as they may be published with this (public) table: the figures are recomputed from the
    suppressed view; a finding whose group or cell is hidden here, or whose group or rest is below the minimum,
    is left out."""
    kept = []
    minimum = cross["min"]
    for finding in findings(review):
        data = finding.data or {}
        by, value, key = data.get("by"), data.get("value"), str(data.get("feature_key", ""))
        if by not in BY_CHOICES:
            continue
        view = cross["views"][by]
        row = next((r for r in view["rows"] if r["label"] == value), None)
        if row is None or row["n"] is None:
            continue
        if key in SENTIMENT_LABELS:
            count, total = row["sentiment"].get(key), view["sentiment_totals"].get(key)
        else:
            cell = row["cells"].get(key)
            theme = next((t for t in cross["themes"] if str(t["id"]) == key), None)
            count, total = (cell or {}).get("n"), (theme or {}).get("n")
        rest_n = view["total"] - row["n"]
        if count is None or total is None or min(row["n"], rest_n, count) < minimum:
            continue
        kept.append({"id": finding.id, "title": finding.title, "note": finding.note or "", "dimension": by,
                     "value": value, "feature": data.get("feature", ""), "group_n": row["n"],
                     "group_share": round(count / row["n"], 4), "rest_n": rest_n,
                     "rest_share": round((total - count) / rest_n, 4) if rest_n else 0.0})
    return kept


def agreement(cross: dict, by: str = "audience", *, spread: float = 0.10, ratio: float = 0.67) -> list[dict]:
    """Shared themes every group mentions at a similar rate (shares within ``spread`` of each other, and the
    lowest at least ``ratio`` of the highest), where every group's share is shown and there are two groups or more."""
    view = cross["views"][by]
    found = []
    for theme in cross["themes"]:
        shares = [r["cells"].get(str(theme["id"]), {}).get("share") for r in view["rows"]]
        if theme["id"] not in view["theme_ids"] or len(shares) < 2 or any(s is None for s in shares):
            continue
        if max(shares) - min(shares) <= spread and max(shares) > 0 and min(shares) >= ratio * max(shares):
            found.append({"id": theme["id"], "name": theme["name"], "low": min(shares), "high": max(shares)})
    return found


def codebook_summary(review: Review) -> dict[int, list[tuple[Consultation, Theme]]]:
    """For each shared theme, the stream themes linked to it."""
    found: dict = defaultdict(list)
    for consultation, themes in stream_themes(review):
        for theme in themes:
            if theme.review_theme_id:
                found[theme.review_theme_id].append((consultation, theme))
    return found


def coded_count(consultation: Consultation) -> int:
    from engage.models import Answer

    return db.session.scalar(select(func.count(func.distinct(Code.answer_id))).join(Answer, Answer.id == Code.answer_id)
                             .join(Response, Response.id == Answer.response_id)
                             .where(Response.consultation_id == consultation.id)) or 0
