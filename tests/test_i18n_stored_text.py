"""Messages stored in English (a run's status, a quote's rejection reason) show in the page's language, and
any stored text, even one holding a "%", renders as typed."""
from flask import render_template_string

from engage import create_app


def test_stored_messages_are_translated_when_known_and_shown_as_typed_otherwise():
    app = create_app("testing")
    template = "{{ known|translated }} | {{ typed|translated }} | {{ empty|translated }}"
    values = {"known": "The comment is no longer in the consultation.", "typed": "50% done, 100%s <b>", "empty": None}
    with app.test_request_context("/?lang=fr"):
        assert render_template_string(template, **values) == \
            "Le commentaire ne fait plus partie de la consultation. | 50% done, 100%s &lt;b&gt; | "
    with app.test_request_context("/?lang=en"):
        assert render_template_string(template, **values).startswith("The comment is no longer")
