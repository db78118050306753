"""A WSGI app that does nothing but answer the participant journey: the ceiling for bench/intake_ceiling.py.

GET /c/<slug>/respond returns a small form with the hidden fields the load generator reads (a fresh random
token and one-time key each time); POST reads the body and answers 303, as the real form does when it stores a
response. No framework, no database, no templates: what is left is gunicorn, the kernel and the load generator.
"""
import secrets

_PAGE = (
    '<!doctype html><html lang="en"><body><form method="post">'
    '<input id="csrf_token" name="csrf_token" type="hidden" value="{token}">'
    '<input id="submission_key" name="submission_key" type="hidden" value="{key}">'
    '<input id="started_at" name="started_at" type="hidden" value="0">'
    '<input type="radio" name="q1" value="1"><textarea id="q2" name="q2"></textarea>'
    "</form></body></html>"
)


def app(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        environ["wsgi.input"].read(length)
        start_response("303 See Other", [("Location", "/c/sro-review/thanks"), ("Content-Length", "0")])
        return [b""]
    body = _PAGE.format(token=secrets.token_urlsafe(32), key=secrets.token_urlsafe(24)).encode()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]
