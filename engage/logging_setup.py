"""Logging that never records who a participant is: no client address, user agent or referrer."""
import logging
import re

# Werkzeug's development server starts each access line with the client address.
_ADDRESS_PREFIX = re.compile(r"^\S+ - - ")


class RedactClientAddress(logging.Filter):
    """Replace the client address at the start of an access-log line with a dash."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _ADDRESS_PREFIX.sub("- - - ", record.msg)
        return True


def init_app(app) -> None:
    werkzeug_logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactClientAddress) for f in werkzeug_logger.filters):
        werkzeug_logger.addFilter(RedactClientAddress())
