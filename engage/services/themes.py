"""The codebook: adopt a run's themes, curate them (rename, merge, split, archive, reorder) and read the board.

Human codes are never written here except where a reviewer explicitly moves them (merge, split by comments);
machine output only ever becomes pending suggestions.
"""
import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from statistics import fmean

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, insert, select
from sqlalchemy.orm import aliased

from engage.database import begin_write
from engage.extensions import db
from engage.models import (
    AnalysisRun, Answer, Code, CommentAnalysis, Consultation, MachineTheme, Response, RunStatus, SampleCoding,
    Suggestion, Theme, User,
)
from engage.models.user import utcnow
from engage.services.audit import record_event


class ThemeError(Exception):
    """A curation request that cannot be done; the message is safe to show."""


# --- reading -----------------------------------------------------------------------------------------------

def active_themes(*, consultation_id: int) -> list[Theme]:
    """The consultation's codebook in board order, without archived (deleted or merged) themes."""
    return list(db.session.scalars(
        select(Theme).where(Theme.consultation_id == consultation_id, Theme.archived_at.is_(None))
        .order_by(Theme.position, Theme.id)
    ))


def theme_or_none(*, consultation_id: int, theme_id: int) -> Theme | None:
    theme = db.session.get(Theme, theme_id)
    if theme is None or theme.consultation_id != consultation_id or theme.archived_at is not None:
        return None
    return theme


def latest_done_run(*, consultation_id: int) -> AnalysisRun | None:
    return db.session.scalar(
        select(AnalysisRun).where(AnalysisRun.consultation_id == consultation_id,
                                  AnalysisRun.status == RunStatus.DONE.value)
        .order_by(AnalysisRun.version.desc()).limit(1)
    )


def count_comments(*, consultation_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Answer).join(Response, Response.id == Answer.response_id)
        .where(Response.consultation_id == consultation_id, Answer.text.is_not(None))
    ) or 0


def analysis_embeddings(language: str = "english") -> str | None:
    """The analysis library's ``embeddings`` setting: "auto" (the optional tier, when installed) if
    ANALYSIS_EMBEDDINGS is on and the comments are English, which is all the packaged model reads; else None."""
    return "auto" if current_app.config.get("ANALYSIS_EMBEDDINGS") and language in ("en", "english") else None


def shown_text(answer: Answer) -> str:
    """What staff other than admins may read of a comment: the redacted text when there is one."""
    return answer.redacted_text if answer.redacted_text is not None else (answer.text or "")


@dataclass
class BoardRow:
    theme: Theme
    coded: int
    pending: int
    share: float
    sentiment: float | None
    quotes: list[str] = field(default_factory=list)


def theme_board(*, consultation: Consultation, max_quotes: int = 3) -> tuple[list[BoardRow], int]:
    """Each active theme with its size, pending suggestions, share, mean sentiment and scrubbed quotes."""
    from engage.analysis.pii import scrub_pii

    themes = active_themes(consultation_id=consultation.id)
    total = count_comments(consultation_id=consultation.id)
    ids = [t.id for t in themes]
    if not ids:
        return [], total
    coded: dict[int, set] = {i: set() for i in ids}
    for theme_id, answer_id in db.session.execute(select(Code.theme_id, Code.answer_id).where(Code.theme_id.in_(ids))):
        coded[theme_id].add(answer_id)
    pending: dict[int, set] = {i: set() for i in ids}
    for theme_id, answer_id in db.session.execute(
        select(Suggestion.theme_id, Suggestion.answer_id).where(Suggestion.theme_id.in_(ids), Suggestion.status == "pending")
    ):
        if answer_id not in coded[theme_id]:
            pending[theme_id].add(answer_id)
    run = latest_done_run(consultation_id=consultation.id)
    sentiment = {}
    if run is not None:
        sentiment = dict(db.session.execute(
            select(CommentAnalysis.answer_id, CommentAnalysis.sentiment).where(CommentAnalysis.run_id == run.id)
        ).all())
    machine_quotes = {}
    machine_ids = [t.machine_theme_id for t in themes if t.machine_theme_id]
    if machine_ids:
        machine_quotes = dict(db.session.execute(
            select(MachineTheme.id, MachineTheme.quote_answer_ids).where(MachineTheme.id.in_(machine_ids))
        ).all())
    quote_ids = {}
    for theme in themes:
        chosen = [i for i in machine_quotes.get(theme.machine_theme_id, [])][:max_quotes]
        if len(chosen) < max_quotes:  # fill from human codes in a stable order
            chosen += [str(a) for a in sorted(coded[theme.id], key=str) if str(a) not in chosen][: max_quotes - len(chosen)]
        quote_ids[theme.id] = chosen
    import uuid

    wanted = {uuid.UUID(i) for q in quote_ids.values() for i in q}
    answers = {str(a.id): a for a in db.session.scalars(select(Answer).where(Answer.id.in_(wanted)))} if wanted else {}
    schools = consultation.school_names
    rows = []
    for theme in themes:
        members = coded[theme.id] or pending[theme.id]  # sentiment of suggestions until anything is coded
        scores = [sentiment[a] for a in members if sentiment.get(a) is not None]
        rows.append(BoardRow(
            theme=theme, coded=len(coded[theme.id]), pending=len(pending[theme.id]),
            share=len(coded[theme.id]) / total if total else 0.0,
            sentiment=fmean(scores) if scores else None,
            quotes=[scrub_pii(shown_text(answers[i]), schools=schools) for i in quote_ids[theme.id] if i in answers],
        ))
    return rows, total


# --- changes -----------------------------------------------------------------------------------------------

def _next_position(consultation_id: int) -> int:
    return (db.session.scalar(select(func.max(Theme.position)).where(Theme.consultation_id == consultation_id)) or 0) + 1


def _check_name(consultation_id: int, name: str, *, exclude_id: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ThemeError(_("Give the theme a name."))
    if len(name) > 200:
        raise ThemeError(_("Keep the theme's name to 200 characters or fewer."))
    for theme in active_themes(consultation_id=consultation_id):
        if theme.id != exclude_id and theme.name.casefold() == name.casefold():
            raise ThemeError(_("There is already a theme called “%(name)s”.", name=name))
    return name


def adopt_run_themes(*, run: AnalysisRun, user: User | None) -> list[Theme]:
    """Copy a finished run's themes into the codebook, with pending suggestions from the run's scores.

    Themes already adopted from this run (even if since archived) are skipped, and codes are never touched.
    """
    if run.status != RunStatus.DONE.value:
        raise ThemeError(_("Only a finished analysis can be adopted."))
    adopted = set(db.session.scalars(
        select(Theme.machine_theme_id).where(Theme.machine_theme_id.in_([m.id for m in run.themes]))
    ))
    begin_write()
    position = _next_position(run.consultation_id)
    taken = {t.name.casefold() for t in active_themes(consultation_id=run.consultation_id)}
    created: dict[int, Theme] = {}
    for machine in run.themes:
        if machine.id in adopted:
            continue
        name = machine.label[:190]
        if name.casefold() in taken:
            name = f"{name} (run {run.version})"
        taken.add(name.casefold())
        theme = Theme(consultation_id=run.consultation_id, name=name, description="", keywords=list(machine.keywords),
                      examples=[], position=position, source="machine", machine_theme_id=machine.id,
                      created_by_id=user.id if user else None)
        position += 1
        db.session.add(theme)
        created[machine.id] = theme
    db.session.flush()
    rows = []
    if created:
        now = utcnow()
        for answer_id, scores in db.session.execute(
            select(CommentAnalysis.answer_id, CommentAnalysis.theme_scores).where(CommentAnalysis.run_id == run.id)
        ):
            rows += [{"answer_id": answer_id, "theme_id": created[machine_id].id, "run_id": run.id, "source": "discovery",
                      "score": float(score), "status": "pending", "created_at": now}
                     for machine_id, score in scores if machine_id in created]
    if rows:  # one executemany: a large consultation has hundreds of thousands of memberships
        db.session.execute(insert(Suggestion), rows)
    n_suggestions = len(rows)
    db.session.flush()
    record_event(actor=user, action="adopt_run_themes", target_type="analysis_run", target_id=run.id,
                 details={"version": run.version, "themes": len(created), "suggestions": n_suggestions})
    db.session.flush()
    return list(created.values())


def add_theme(*, consultation: Consultation, user: User | None, name: str, description: str = "",
              keywords: list[str] | None = None, examples: list[str] | None = None) -> Theme:
    """Add a codebook theme by hand."""
    name = _check_name(consultation.id, name)
    begin_write()
    theme = Theme(consultation_id=consultation.id, name=name, description=(description or "").strip(),
                  keywords=_clean_list(keywords), examples=_clean_list(examples),
                  position=_next_position(consultation.id), source="human", created_by_id=user.id if user else None)
    db.session.add(theme)
    db.session.flush()
    record_event(actor=user, action="add_theme", target_type="theme", target_id=theme.id)
    db.session.flush()
    return theme


def update_theme(*, theme: Theme, user: User | None, name: str, description: str,
                 keywords: list[str] | None = None) -> Theme:
    """Rename and describe a theme (and, optionally, replace its keywords)."""
    name = _check_name(theme.consultation_id, name, exclude_id=theme.id)
    begin_write()
    changed = [f for f, old, new in (("name", theme.name, name), ("description", theme.description, description.strip()))
               if old != new]
    theme.name, theme.description = name, description.strip()
    if keywords is not None:
        if list(theme.keywords or []) != _clean_list(keywords):
            changed.append("keywords")
        theme.keywords = _clean_list(keywords)
    db.session.flush()
    record_event(actor=user, action="update_theme", target_type="theme", target_id=theme.id, details={"changed": changed})
    db.session.flush()
    return theme


def merge_themes(*, source: Theme, target: Theme, user: User | None) -> Theme:
    """Move `source`'s codes and suggestions to `target` (dropping duplicates) and archive `source`.

    What the merge changes is kept on `source` (`merge_undo`), so `unmerge_theme` can separate them again.
    """
    if source.id == target.id or source.consultation_id != target.consultation_id:
        raise ThemeError(_("Choose a different theme of this consultation to merge into."))
    if source.archived_at is not None or target.archived_at is not None:
        raise ThemeError(_("Archived themes cannot be merged."))
    begin_write()
    # Moved codes and suggestions are kept by comment, not by id: a later merge of the target may drop one as a
    # duplicate and a later separation re-create it under a new id.
    undo: dict = {"code_answers": [], "dropped_codes": [], "suggestion_keys": [], "dropped_suggestions": [],
                  "codings": []}
    target_codes = set(db.session.scalars(select(Code.answer_id).where(Code.theme_id == target.id)))
    for code in db.session.scalars(select(Code).where(Code.theme_id == source.id)).all():
        if code.answer_id in target_codes:
            undo["dropped_codes"].append({"answer_id": str(code.answer_id), "coder_id": code.coder_id,
                                          "origin": code.origin, "created_at": code.created_at.isoformat()})
            db.session.delete(code)
        else:
            code.theme_id = target.id
            target_codes.add(code.answer_id)
            undo["code_answers"].append(str(code.answer_id))
    target_suggested = {(a, s) for a, s in db.session.execute(
        select(Suggestion.answer_id, Suggestion.source).where(Suggestion.theme_id == target.id))}
    for suggestion in db.session.scalars(select(Suggestion).where(Suggestion.theme_id == source.id)).all():
        key = (suggestion.answer_id, suggestion.source)
        if key in target_suggested or (suggestion.status == "pending" and suggestion.answer_id in target_codes):
            undo["dropped_suggestions"].append(_suggestion_record(suggestion))
            db.session.delete(suggestion)
        else:
            suggestion.theme_id = target.id
            target_suggested.add(key)
            undo["suggestion_keys"].append([str(suggestion.answer_id), suggestion.source])
    # Blind double-coding records follow the merge, so agreement is measured on the codebook as it now is.
    for coding in db.session.scalars(
        select(SampleCoding).join(Answer, Answer.id == SampleCoding.answer_id)
        .join(Response, Response.id == Answer.response_id).where(Response.consultation_id == source.consultation_id)
    ).all():
        if source.id in coding.theme_ids:
            merged = sorted({target.id if t == source.id else t for t in coding.theme_ids})
            undo["codings"].append({"sample_id": coding.sample_id, "answer_id": str(coding.answer_id),
                                    "coder_id": coding.coder_id, "before": list(coding.theme_ids), "after": merged})
            coding.theme_ids = merged
    undo["target_keywords"], undo["target_examples"] = list(target.keywords or []), list(target.examples or [])
    target.keywords = _clean_list(list(target.keywords or []) + list(source.keywords or []))
    target.examples = _clean_list(list(target.examples or []) + list(source.examples or []))
    undo["merged_keywords"], undo["merged_examples"] = list(target.keywords), list(target.examples)
    source.archived_at, source.merged_into_id, source.merge_undo = utcnow(), target.id, undo
    db.session.flush()
    record_event(actor=user, action="merge_themes", target_type="theme", target_id=target.id,
                 details={"merged": source.id, "codes_moved": len(undo["code_answers"]),
                          "duplicates_dropped": len(undo["dropped_codes"])})
    db.session.flush()
    return target


def _suggestion_record(suggestion: Suggestion) -> dict:
    return {"answer_id": str(suggestion.answer_id), "run_id": suggestion.run_id, "source": suggestion.source,
            "score": suggestion.score, "status": suggestion.status, "created_at": suggestion.created_at.isoformat(),
            "decided_by_id": suggestion.decided_by_id,
            "decided_at": suggestion.decided_at.isoformat() if suggestion.decided_at else None}


def merged_themes(*, consultation_id: int) -> list[tuple[Theme, Theme]]:
    """(merged theme, the theme it went into) for merges that can be undone, most recently merged first."""
    into = aliased(Theme)
    return [tuple(row) for row in db.session.execute(
        select(Theme, into).join(into, into.id == Theme.merged_into_id)
        .where(Theme.consultation_id == consultation_id, Theme.archived_at.is_not(None),
               Theme.merge_undo.is_not(None))
        .order_by(Theme.archived_at.desc(), Theme.id.desc())
    )]


def unmerge_theme(*, consultation_id: int, theme_id: int, user: User | None) -> Theme | None:
    """Undo a merge: the theme returns to the end of the board with the codes and suggestions the merge moved.

    Work done since the merge is kept: a moved code that a reviewer has since removed stays removed, codes
    added to the other theme since stay there, and its keywords and examples go back only if nobody edited
    them. None if there is no such merged theme. Raises ThemeError when the theme it was merged into is
    itself deleted or merged (that one comes back first), or when its name is taken.
    """
    theme = db.session.get(Theme, theme_id)
    if (theme is None or theme.consultation_id != consultation_id or theme.archived_at is None
            or theme.merged_into_id is None or not theme.merge_undo):
        return None
    target = db.session.get(Theme, theme.merged_into_id)
    if target is None or target.archived_at is not None:
        raise ThemeError(_("“%(name)s” was merged into “%(into)s”, which has since been deleted or merged. Bring "
                           "“%(into)s” back first (under “Deleted themes” or “Merged themes”).", name=theme.name,
                           into=target.name if target is not None else "?"))
    _check_name(consultation_id, theme.name)
    undo = theme.merge_undo
    begin_write()
    # A comment whose code moved had no code of the target before the merge, so its code there now is that one.
    moved_answers = {uuid.UUID(a) for a in undo["code_answers"]}
    moved = [code for code in db.session.scalars(select(Code).where(Code.theme_id == target.id))
             if code.answer_id in moved_answers]
    for code in moved:
        code.theme_id = theme.id
    answers = _existing_answers([r["answer_id"] for r in undo["dropped_codes"] + undo["dropped_suggestions"]])
    recreated = [r for r in undo["dropped_codes"] if r["answer_id"] in answers]
    for record in recreated:
        db.session.add(Code(answer_id=answers[record["answer_id"]], theme_id=theme.id,
                                coder_id=_existing_user(record["coder_id"]), origin=record["origin"],
                                created_at=dt.datetime.fromisoformat(record["created_at"])))
    moved_keys = {(uuid.UUID(a), source) for a, source in undo["suggestion_keys"]}
    for suggestion in db.session.scalars(select(Suggestion).where(Suggestion.theme_id == target.id)).all():
        if (suggestion.answer_id, suggestion.source) in moved_keys:
            suggestion.theme_id = theme.id
    for record in undo["dropped_suggestions"]:
        if record["answer_id"] in answers:
            db.session.add(Suggestion(
                answer_id=answers[record["answer_id"]], theme_id=theme.id, run_id=_existing_run(record["run_id"]),
                source=record["source"], score=record["score"], status=record["status"],
                created_at=dt.datetime.fromisoformat(record["created_at"]),
                decided_by_id=_existing_user(record["decided_by_id"]),
                decided_at=dt.datetime.fromisoformat(record["decided_at"]) if record["decided_at"] else None))
    for record in undo["codings"]:
        coding = db.session.get(SampleCoding, (record["sample_id"], uuid.UUID(record["answer_id"]), record["coder_id"]))
        if coding is not None and list(coding.theme_ids) == record["after"]:
            coding.theme_ids = record["before"]
    if list(target.keywords or []) == undo["merged_keywords"]:
        target.keywords = undo["target_keywords"]
    if list(target.examples or []) == undo["merged_examples"]:
        target.examples = undo["target_examples"]
    theme.archived_at, theme.merged_into_id, theme.merge_undo = None, None, None
    theme.position = _next_position(consultation_id)
    db.session.flush()
    record_event(actor=user, action="unmerge_themes", target_type="theme", target_id=theme.id,
                 details={"from": target.id, "codes_back": len(moved) + len(recreated)})
    db.session.flush()
    return theme


def _existing_answers(answer_ids: list[str]) -> dict[str, uuid.UUID]:
    """The given answers that still exist (a retention purge may have deleted some), by their id's text."""
    wanted = sorted({uuid.UUID(a) for a in answer_ids})
    found: set = set()
    for start in range(0, len(wanted), 500):
        found.update(db.session.scalars(select(Answer.id).where(Answer.id.in_(wanted[start:start + 500]))))
    return {str(a): a for a in found}


def _existing_user(user_id: int | None) -> int | None:
    return user_id if user_id is not None and db.session.get(User, user_id) is not None else None


def _existing_run(run_id: int | None) -> int | None:
    return run_id if run_id is not None and db.session.get(AnalysisRun, run_id) is not None else None


def split_theme_by_comments(*, theme: Theme, user: User | None, answer_ids: list, name: str,
                            description: str = "") -> Theme:
    """Move the codes of the chosen comments from `theme` to a new theme."""
    chosen = set(answer_ids)
    codes = db.session.scalars(select(Code).where(Code.theme_id == theme.id, Code.answer_id.in_(chosen))).all() if chosen else []
    if not codes:
        raise ThemeError(_("Choose at least one comment coded with this theme to move."))
    name = _check_name(theme.consultation_id, name)
    begin_write()
    new = Theme(consultation_id=theme.consultation_id, name=name, description=(description or "").strip(),
                keywords=[], examples=[], position=theme.position, source="human",
                created_by_id=user.id if user else None)
    db.session.add(new)
    db.session.flush()
    for code in codes:
        code.theme_id = new.id
    db.session.flush()
    record_event(actor=user, action="split_theme", target_type="theme", target_id=theme.id,
                 details={"method": "move", "new_theme": new.id, "codes_moved": len(codes)})
    db.session.flush()
    return new


def recluster_theme(*, theme: Theme, user: User | None, n_themes: int, seed: int = 0) -> list[Theme]:
    """Split a theme by finding `n_themes` themes among its comments; each gets pending suggestions.

    The original theme and its codes stay as they are: reviewers accept the suggestions, then archive it.
    """
    from engage.analysis.themes import discover_themes

    if not 2 <= n_themes <= 10:
        raise ThemeError(_("Split into between 2 and 10 themes."))
    member_ids = set(db.session.scalars(select(Code.answer_id).where(Code.theme_id == theme.id)))
    member_ids |= set(db.session.scalars(
        select(Suggestion.answer_id).where(Suggestion.theme_id == theme.id, Suggestion.status == "pending")))
    answers = sorted(db.session.scalars(select(Answer).where(Answer.id.in_(member_ids))).all(), key=lambda a: str(a.id)) \
        if member_ids else []
    answers = [a for a in answers if shown_text(a).strip()]
    if len(answers) < max(5, 2 * n_themes):
        raise ThemeError(_("This theme has %(count)s comments; at least %(needed)s are needed to split it into "
                           "%(themes)s.", count=len(answers), needed=max(5, 2 * n_themes), themes=n_themes))
    result = discover_themes([shown_text(a) for a in answers], n_themes=n_themes, random_state=seed)
    if not result.themes:
        raise ThemeError(_("No separate themes could be found in these comments."))
    begin_write()
    taken = {t.name.casefold() for t in active_themes(consultation_id=theme.consultation_id)}
    position = _next_position(theme.consultation_id)
    created = {}
    for found in result.themes:
        name = f"{found.label[:150]} (from {theme.name[:40]})"
        while name.casefold() in taken:
            name += "+"
        taken.add(name.casefold())
        created[found.id] = Theme(consultation_id=theme.consultation_id, name=name, description="",
                                  keywords=list(found.keywords), examples=[], position=position, source="machine",
                                  created_by_id=user.id if user else None)
        position += 1
    db.session.add_all(created.values())
    db.session.flush()
    n_suggestions = 0
    for answer, memberships in zip(answers, result.memberships):
        for theme_index, score in memberships:
            db.session.add(Suggestion(answer_id=answer.id, theme_id=created[theme_index].id, source="discovery",
                                      score=float(score), status="pending"))
            n_suggestions += 1
    db.session.flush()
    record_event(actor=user, action="split_theme", target_type="theme", target_id=theme.id,
                 details={"method": "recluster", "new_themes": [t.id for t in created.values()],
                          "suggestions": n_suggestions, "seed": seed})
    db.session.flush()
    return list(created.values())


def archive_theme(*, theme: Theme, user: User | None) -> Theme:
    """Delete a theme from the board. It is archived, so codes that point at it can still be traced."""
    if theme.archived_at is not None:
        raise ThemeError(_("That theme has already been deleted."))
    begin_write()
    theme.archived_at = utcnow()
    db.session.flush()
    record_event(actor=user, action="archive_theme", target_type="theme", target_id=theme.id)
    db.session.flush()
    return theme


def deleted_themes(*, consultation_id: int) -> list[Theme]:
    """Themes deleted from the board (not merged into another), most recently deleted first: they can come back."""
    return list(db.session.scalars(
        select(Theme).where(Theme.consultation_id == consultation_id, Theme.archived_at.is_not(None),
                            Theme.merged_into_id.is_(None))
        .order_by(Theme.archived_at.desc(), Theme.id.desc())
    ))


def restore_theme(*, consultation_id: int, theme_id: int, user: User | None) -> Theme | None:
    """Undo a delete: the theme returns to the end of the board with the codes it kept. None if there is no such
    deleted theme (a merged theme is separated again by `unmerge_theme`)."""
    theme = db.session.get(Theme, theme_id)
    if (theme is None or theme.consultation_id != consultation_id or theme.archived_at is None
            or theme.merged_into_id is not None):
        return None
    _check_name(consultation_id, theme.name)
    begin_write()
    theme.archived_at, theme.position = None, _next_position(consultation_id)
    db.session.flush()
    record_event(actor=user, action="restore_theme", target_type="theme", target_id=theme.id)
    db.session.flush()
    return theme


def move_theme(*, theme: Theme, user: User | None, direction: str) -> Theme:
    """Move a theme one place up or down on the board."""
    if direction not in ("up", "down"):
        raise ThemeError(_("Move a theme up or down."))
    themes = active_themes(consultation_id=theme.consultation_id)
    index = next(i for i, t in enumerate(themes) if t.id == theme.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(themes):
        return theme
    begin_write()
    themes[index], themes[other] = themes[other], themes[index]
    for position, item in enumerate(themes, start=1):  # renumber, so equal positions cannot stall a move
        item.position = position
    db.session.flush()
    record_event(actor=user, action="move_theme", target_type="theme", target_id=theme.id, details={"direction": direction})
    db.session.flush()
    return theme


def _clean_list(values) -> list[str]:
    seen, out = set(), []
    for value in values or []:
        value = " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            out.append(value)
    return out


def sample_answer_ids(*, consultation_id: int, size: int, seed: int) -> list:
    """A reproducible random sample of the consultation's comments (used by double coding)."""
    ids = sorted(db.session.scalars(
        select(Answer.id).join(Response, Response.id == Answer.response_id)
        .where(Response.consultation_id == consultation_id, Answer.text.is_not(None))
    ).all(), key=str)
    return random.Random(seed).sample(ids, min(size, len(ids)))
