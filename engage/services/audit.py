"""Recording staff actions in the audit log, and saying what each one means."""
from flask_babel import lazy_gettext as _l

from engage.extensions import db
from engage.models import AuditEvent, User


def record_event(
    *, actor: User | None, action: str, target_type: str = "", target_id: int | None = None, details: dict | None = None
) -> AuditEvent:
    """Add one audit event. `details` must describe the staff action, never a participant or their words."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else "command line",
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details or {},
    )
    db.session.add(event)
    return event


# What each action means, for the audit log page. An action missing here is shown by its stored name.
ACTION_LABELS = {
    "login": _l("Signed in"), "logout": _l("Signed out"), "accept_invitation": _l("Accepted an invitation"),
    "create_user": _l("Created an account"), "invite_user": _l("Invited someone"),
    "deactivate_user": _l("Deactivated an account"),
    "create_consultation": _l("Created a consultation"), "update_consultation": _l("Changed a consultation"), "translate_consultation": _l("Translated a consultation"),
    "add_question": _l("Added a question"), "update_question": _l("Changed a question"),
    "reorder_question": _l("Moved a question"), "close_question": _l("Closed a question"), "reopen_question": _l("Reopened a question"),
    "delete_question": _l("Deleted a question"), "add_segment_field": _l("Added an “about you” question"),
    "update_segment_field": _l("Changed an “about you” question"),
    "add_access_code": _l("Added an access code"), "activate_access_code": _l("Turned an access code on"),
    "deactivate_access_code": _l("Turned an access code off"),
    "import_file": _l("Imported a file"), "import_codebook": _l("Imported a codebook"),
    "start_analysis": _l("Started an analysis run"), "restart_analysis": _l("Restarted an analysis run"),
    "adopt_run_themes": _l("Adopted an analysis run’s themes"),
    "add_theme": _l("Added a theme"), "update_theme": _l("Changed a theme"), "archive_theme": _l("Archived a theme"), "restore_theme": _l("Restored a deleted theme"),
    "merge_themes": _l("Merged themes"), "unmerge_themes": _l("Separated a merged theme again"),
    "split_theme": _l("Split a theme"), "move_theme": _l("Moved a theme"),
    "code_comment": _l("Coded a comment"), "accept_suggestions": _l("Accepted suggested codes"),
    "reject_suggestions": _l("Rejected suggested codes"),
    "queue_assisted_coding": _l("Asked for new assisted-coding suggestions"),
    "train_assisted_coding": _l("Assisted coding learnt from the codes"),
    "fail_assisted_coding": _l("Assisted coding could not learn from the codes"),
    "create_coding_sample": _l("Started a double-coding sample"), "code_sample_item": _l("Coded a sample comment"),
    "resolve_disagreement": _l("Settled a coding disagreement"),
    "flag_comment": _l("Flagged a comment"), "redact_comment": _l("Removed personal details from a comment"),
    "resolve_flag": _l("Resolved a flag"), "dismiss_flag": _l("Dismissed a flag"),
    "pin_finding": _l("Pinned a difference between groups"),
    "create_report": _l("Started a report"), "update_report_settings": _l("Changed a report’s settings"),
    "edit_report_section": _l("Edited a report section"), "redraft_report_section": _l("Redrafted a report section"),
    "restore_report_section": _l("Restored a report section’s earlier version"),
    "propose_quote": _l("Proposed a quote"), "approve_quote": _l("Approved a quote"),
    "reject_quote": _l("Rejected a quote"), "withdraw_quote": _l("Withdrew a quote"),
    "refresh_quotes": _l("Refreshed the quotes"), "propose_appendix_quotes": _l("Proposed quotes for the appendix"),
    "approve_appendix_quotes": _l("Approved quotes for the appendix"),
    "comment_on_draft": _l("Commented on a draft report"), "submit_report": _l("Sent a report for approval"),
    "return_report": _l("Sent a report back to its writers"), "approve_report": _l("Approved a report"),
    "publish_report": _l("Published a report"),
    "add_commitment": _l("Added a next step"), "update_commitment": _l("Changed a next step"),
    "purge_comments": _l("Deleted raw comments (retention)"),
    "create_review": _l("Started a program review"), "update_review": _l("Changed a program review"), "attach_stream": _l("Added a stream to a program review"),
    "detach_stream": _l("Removed a stream from a program review"),
    "tag_stream": _l("Changed a stream’s phase or audience"),
    "set_review_advisors": _l("Changed a program review’s advisors"),
    "save_review_theme": _l("Saved a program review theme"), "delete_review_theme": _l("Deleted a program review theme"),
    "link_review_theme": _l("Linked themes across streams"), "adopt_review_themes": _l("Adopted shared themes"),
    "pin_review_finding": _l("Pinned a difference across streams"),
    "unpin_review_finding": _l("Unpinned a difference across streams"),
    "add_recommendation": _l("Added a recommendation"), "change_recommendation": _l("Changed a recommendation"),
    "link_recommendation": _l("Linked a recommendation to themes"),
    "publish_recommendation": _l("Published a recommendation"),
}


def action_label(action: str) -> str:
    """The action in words, in the page's language; its stored name when it has no words yet."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
