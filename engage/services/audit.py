"""Recording staff actions in the audit log."""
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
