"""Every route the app serves, how to fill its URL, and the forms its pages offer (found by crawling them)."""
import re
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

# Routes the fuzzer leaves alone, each with its reason. Empty on purpose: static files are fuzzed too.
SKIP: dict[str, str] = {}

# POST endpoints whose form no seeded page shows, with the reason; their fields are listed by hand.
HAND_FIELDS: dict[str, dict[str, list[str]]] = {
    # Shown only on the page a POST to new_session returns (the notes split into comments).
    "facilitate.save_session": {
        "channel": ["focus_group"], "held_on": ["2025-05-14"], "organisation": ["Youth centre"], "attendees": ["8"],
        "language": ["en"], "segment_description": ["grade 7 students"], "notes": [""],
        "comment": ["We talked about safety.", "Some want counsellors."], "leave": ["1"], "join": ["0"],
        "filename": ["notes.txt"], "action": ["save", "check"]},
    # The seeded stream report is in review: publishing shows only once it is approved.
    "review.report_publish": {"correction_note": ["Fixed a typo."]},
    # The seeded overall report is published: these buttons show only while it is in review or approved.
    "programs.report_approve": {},
    "programs.report_return": {"note": ["Please check the numbers."]},
    "programs.report_publish": {"correction_note": ["Fixed a typo."]},
    # Shown only beside an older version of an overall-report section; each seeded section has one version.
    "programs.report_restore_revision": {},
    # Shown only beside an edited section of the overall report.
    "programs.report_redraft_section": {},
    # Shown only beside a cross-stream difference that is significant, which two small seeded streams are not.
    "programs.pin_finding": {"by": ["stream", "phase", "audience"], "group": ["Students"], "feature": ["1"],
                             "note": ["Students differ."]},
    # Shown only for a run that failed or was interrupted while storing.
    "review.restart_run": {},
    # Shown only beside a difference that passes the significance test, which small seeded groups do not.
    "review.pin_finding": {"by": ["f1", "o3", "channel"], "value": ["Student", "in", "online"], "feature": ["1", "2"],
                           "question": ["1", ""], "source": ["codes", "machine"], "note": ["Students differ."]},
}

_ARG = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    endpoint: str
    rule: str
    methods: frozenset
    converters: tuple  # ((argument, converter name, choices), ...) in URL order

    def path(self, values: dict[str, str]) -> str:
        return _ARG.sub(lambda m: values[m.group(3)], self.rule)


def all_routes(app) -> list[Route]:
    found = []
    for rule in app.url_map.iter_rules():
        converters = tuple(
            (m.group(3), m.group(1) or "default", tuple(sorted(rule._converters[m.group(3)].items))
             if m.group(1) == "any" else ())
            for m in _ARG.finditer(rule.rule))
        found.append(Route(rule.endpoint, rule.rule, frozenset(rule.methods & {"GET", "POST"}), converters))
    return sorted(found, key=lambda r: r.rule)


def valid_values(route: Route, argument: str, choices: tuple, pools: dict) -> list[str]:
    """Valid values for one URL argument: the route's own pool, the argument's, or the converter's choices."""
    return [str(v) for v in pools.get(f"{route.endpoint}:{argument}") or pools.get(argument) or choices]


def seed_paths(route: Route, pools: dict) -> list[str]:
    """A URL or two per route from the first valid values; the crawl then follows links for coherent ones."""
    if not route.converters:
        return [route.rule]
    options = [valid_values(route, name, choices, pools) for name, _, choices in route.converters]
    if not all(options):
        return []
    paths = {route.path({name: values[i % len(values)] for (name, _, _), values in zip(route.converters, options)})
             for i in range(2)}
    return sorted(paths)


def coverage_gaps(routes: list[Route], crawl: "Crawl", pools: dict) -> list[str]:
    """What keeps the fuzzer from a route: no valid URL values, no page answering, no known form fields."""
    gaps = [f"{name} is in SKIP but no longer a route" for name in set(SKIP) - {r.endpoint for r in routes}]
    for route in (r for r in routes if r.endpoint not in SKIP):
        if not seed_paths(route, pools):
            gaps.append(f"{route.rule}: no valid values for its URL arguments (add a pool in tests/fuzz/world.py)")
        elif "GET" in route.methods and not any(status < 400 for _, status in crawl.pages.get(route.endpoint, [])):
            gaps.append(f"{route.endpoint}: the crawl never got a page from it (seed data that reaches it)")
        if "POST" in route.methods and route.endpoint not in crawl.forms and route.endpoint not in HAND_FIELDS:
            gaps.append(f"{route.endpoint}: no seeded page shows its form (seed one, or list it in HAND_FIELDS)")
    gaps += [f"{name} has a form on a seeded page now: remove it from HAND_FIELDS"
             for name in HAND_FIELDS if name in crawl.forms]
    return gaps


# --- Forms and links, from the HTML -----------------------------------------------------------------------------

@dataclass
class Field:
    kind: str  # input type, "select", "textarea", "button"
    values: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, Field] = field(default_factory=dict)

    def add(self, name: str, kind: str, value: str | None) -> None:
        entry = self.fields.setdefault(name, Field(kind))
        if value is not None and value not in entry.values and name != "csrf_token":
            entry.values.append(value)


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(a.get("action", ""), (a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is None or not a.get("name") and tag != "option":
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            self._form.add(a["name"], kind, a.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "button" and a.get("value") is not None:
            self._form.add(a["name"], "button", a.get("value", ""))
        elif tag == "select":
            self._select = a["name"]
            self._form.add(a["name"], "select", None)
        elif tag == "option" and self._select:
            self._form.add(self._select, "select", a.get("value", ""))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea and self._form:
            self._form.add(self._textarea, "textarea", self._text.strip("\n"))
            self._textarea = None


@dataclass
class Crawl:
    """What the seeded pages offer: per endpoint, the pages that answered, the forms aimed at it, query values."""

    pages: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    forms: dict[str, dict[str, Form]] = field(default_factory=dict)  # endpoint -> action URL -> form
    query: dict[str, dict[str, set]] = field(default_factory=dict)  # endpoint -> query key -> values seen
    seconds: float = 0.0
    slow: list = field(default_factory=list)

    def fields_for(self, endpoint: str, action: str | None = None) -> dict[str, Field]:
        """The fields of the form at this action URL, or of every form aimed at the endpoint."""
        forms = self.forms.get(endpoint, {})
        if action in forms:
            return forms[action].fields
        merged: dict[str, Field] = {}
        for form in forms.values():
            for name, spec in form.fields.items():
                entry = merged.setdefault(name, Field(spec.kind))
                entry.values += [v for v in spec.values if v not in entry.values]
        for name, values in HAND_FIELDS.get(endpoint, {}).items():
            merged.setdefault(name, Field("text", list(values)))
        return merged


def match(app, url: str, method: str) -> tuple[str, dict] | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    try:
        return app.url_map.bind("localhost").match(parts.path, method=method)
    except (HTTPException, RequestRedirect):
        return None


def crawl(app, client, pools: dict, *, extra: list[str] = (), visits_per_endpoint: int = 2,
          tries_per_endpoint: int = 6) -> Crawl:
    """Visit each GET route with valid values, then follow links until every endpoint answered twice.

    Twice, because some forms show only for some rows (an access code's switch, a finished sample's resolve form).

    ``client`` is signed in with every staff role; public pages show it the same forms as anyone else.
    """
    started = time.perf_counter()
    result = Crawl()
    queue = deque([*extra, *(p for r in all_routes(app) if "GET" in r.methods and r.endpoint not in SKIP
                              for p in seed_paths(r, pools))])
    seen: set[str] = set()
    while queue:
        url = queue.popleft()
        target = match(app, url, "GET")
        if url in seen or target is None or url.endswith(".pdf"):
            continue  # PDFs take seconds each; tests/reports renders them, the fuzzer asks for one at the end
        endpoint = target[0]
        visited = result.pages.get(endpoint, [])
        if len(visited) >= tries_per_endpoint or sum(s < 400 for _, s in visited) >= visits_per_endpoint:
            continue
        seen.add(url)
        started_page = time.perf_counter()
        response = client.get(url)
        response.get_data()  # buffered, so that the file behind a static response can be closed now
        response.close()
        result.slow.append((time.perf_counter() - started_page, url))
        result.pages.setdefault(endpoint, []).append((url, response.status_code))
        for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
            result.query.setdefault(endpoint, {}).setdefault(key, set()).add(value)
        if response.mimetype != "text/html":
            continue
        parser = _PageParser()
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            action = form.action or url
            method = "POST" if form.method == "post" else "GET"
            aimed = match(app, action, method)
            if aimed is None:
                continue
            if method == "POST":
                result.forms.setdefault(aimed[0], {}).setdefault(action, form)
            else:
                for name, spec in form.fields.items():
                    result.query.setdefault(aimed[0], {}).setdefault(name, set()).update(spec.values)
        queue.extend(link for link in parser.links if link.startswith("/") and link not in seen)
    result.seconds = time.perf_counter() - started
    return result
