"""Steps that the consultation report views and the program-review report views take the same way."""
from flask import abort, flash
from flask_babel import gettext as _
from flask_login import current_user

from engage.extensions import db
from engage.models import Report, ReportSection
from engage.services import reports


def restore_and_say(*, report: Report, section: ReportSection, number: int, data: dict) -> None:
    """Restore version ``number`` of ``section``, commit, and flash what happened; 404 for a version that does not
    exist. Nothing changes when the version is what the section says already (the flash says so)."""
    try:
        reopened = reports.restore_revision(report=report, section=section, number=number, user=current_user,
                                            data=data)
    except reports.NoSuchRevision:
        db.session.rollback()
        abort(404)
    except reports.ReportError as error:
        db.session.rollback()
        flash(str(error), "info")
        return
    db.session.commit()
    flash(_("Version %(number)d of “%(title)s” restored as the newest version.", number=number, title=section.title)
          + (" " + _("The report went back to draft: it needs approving again.") if reopened else ""), "success")
