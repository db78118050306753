"""The fuzzer: draws a URL, a query string and a body from Hypothesis for each route, sends it, checks the result."""
import os
from collections import Counter
from dataclasses import dataclass

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tests.conftest import STAFF_PASSWORD
from tests.fuzz import payloads as p
from tests.fuzz.checks import database_problems, response_problems, row_counts, wait_for_background_runs
from tests.fuzz.routes import SKIP, Route, all_routes, match, seed_paths, valid_values
from tests.fuzz.world import EMAIL, LOGIN_TARGET, MAIN, SPREADSHEET, csrf_token, id_pools, sign_in

# Examples per route; Hypothesis shares them out unevenly when it also picks the route, so each route gets its own.
EXAMPLES = int(os.environ.get("ENGAGE_FUZZ_EXAMPLES", "4"))
# Deterministic by default so that CI is repeatable; ENGAGE_FUZZ_RANDOM=1 explores new ground on each run.
_RANDOM = os.environ.get("ENGAGE_FUZZ_RANDOM") == "1"
_LOG = os.environ.get("ENGAGE_FUZZ_LOG")  # a file to append every request to, for looking at what was sent

# Where responses may be added, and only when the request succeeded (a redirect after post).
RESPONSE_WRITERS = {"intake.respond", "facilitate.map_spreadsheet", "facilitate.save_session", "facilitate.preview_email"}
# A refused form changes nothing, except these: report pages make (and log) a consultation's report on first use.
REFUSAL_MAY_CHANGE = {"review.report": {"reports", "report_sections", "report_revisions", "audit_events"},
                      "review.quote": {"reports", "audit_events"}}
# What a careful user would type, per field kind, when the page shows no value.
PLAIN = {"email": "someone.new@example.org", "number": "3", "date": "2025-06-01", "password": "Tulip-Harbour-Lantern-42",
         "text": "A plain answer about the officer.", "textarea": "A plain answer about the officer.\n\nAnd a second one."}
# Fields whose shown value (or a plain sentence) does not pass validation, by name and then by form.
NAME_VALUES = {"slug": "fuzz-made-this", "key": "grade_band", "code": "BETA-22", "email": "someone.new@example.org",
               "n_themes": "3", "min_score": "0.5", "size": "4", "seed": "7", "attendees": "8", "max_length": "500",
               "min_group_size": "5", "retention_days": "365", "opens_on": "2025-01-01", "closes_on": "2030-12-31",
               "target_on": "2026-01-31", "held_on": "2025-05-14", "options": "Grade 7\nGrade 8 | 40%"}
BASE_VALUES = {("auth.login", "email"): LOGIN_TARGET, ("auth.login", "password"): STAFF_PASSWORD,
               ("admin.list_coding_samples", "coder_b"): 1,  # an int: the index of the option to choose
               ("review.redact_comment", "text"): "My name is [name] and my number is [phone]."}
GOOD_FILES = {
    "facilitate.upload_spreadsheet": ("comments.csv", SPREADSHEET),
    "facilitate.upload_email": ("note.eml", EMAIL),
    "facilitate.new_session": ("notes.txt", b"We talked about safety.\n\nSome students want counsellors instead.\n"),
    "review.import_codebook": ("codebook.csv", b"name,description,keywords\nBelonging,Feeling part of school,welcome\n"),
}


@dataclass
class Browser:
    """A test client and the CSRF token of its session; staff browsers are signed in as the all-roles fuzzer."""

    app: object
    staff: bool
    client: object = None
    csrf: str = ""

    def reset(self) -> "Browser":
        if self.staff:
            from engage.extensions import limiter

            with self.app.app_context():
                limiter.reset()  # fuzzed logins use up the fuzzer's own per-account limit
            self.client, self.csrf = sign_in(self.app)
        else:
            self.client = self.app.test_client()
            self.csrf = csrf_token(self.client)
        return self


@dataclass
class Sent:
    method: str
    path: str
    query: str = ""
    body: bytes | None = None
    content_type: str | None = None
    headers: tuple = ()
    address: str = "203.0.113.9"

    def describe(self) -> str:
        body = "" if self.body is None else f" {len(self.body)} bytes {self.content_type!r}: {self.body[:300]!r}"
        return f"{self.method} {self.path}{'?' + self.query if self.query else ''}{body}"


class Fuzzer:
    def __init__(self, app, world, crawl):
        self.app, self.world, self.crawl = app, world, crawl
        self.routes = [r for r in all_routes(app) if r.endpoint not in SKIP]
        self.pools = id_pools(app, world)
        self.staff = Browser(app, staff=True).reset()
        self.anonymous = Browser(app, staff=False).reset()
        self.stats: Counter = Counter()
        self.requests = 0
        self.examples = EXAMPLES

    # --- Choosing what to send ----------------------------------------------------------------------------------

    def each_route(self, routes: list[Route], one_request, *, examples: int = EXAMPLES) -> None:
        """Run ``one_request(route, data)`` as a Hypothesis test for every route, ``examples`` times each.

        The simplest example of each route is the form as its page shows it, with a valid token.
        """
        for route in routes:
            @settings(max_examples=examples, deadline=None, database=None, derandomize=not _RANDOM,
                      suppress_health_check=list(HealthCheck))
            @given(data=st.data())
            def run(data):
                note(f"route: {route.endpoint} {route.rule}")
                one_request(route, data)

            run()

    def get_routes(self) -> list[Route]:
        return [r for r in self.routes if "GET" in r.methods]

    def post_routes(self, *prefixes: str) -> list[Route]:
        return [r for r in self.routes if "POST" in r.methods and r.endpoint.startswith(prefixes)]

    def draw_path(self, data, route: Route, *, junk: bool = False) -> str:
        """A URL for the route: one the pages use (a form's action, a link), or one built from pools and junk."""
        if "POST" in route.methods:
            known = sorted(self.crawl.forms.get(route.endpoint, {}))
        else:
            known = sorted({url.partition("?")[0] for url, status in self.crawl.pages.get(route.endpoint, []) if status < 400})
        if known and not junk:
            return data.draw(st.sampled_from(known), label="known URL")
        values = {}
        for name, kind, choices in route.converters:
            valid = [p.path_segment(v) for v in valid_values(route, name, choices, self.pools)]
            values[name] = data.draw(st.one_of(_one_of(valid), _junk_segment(kind)) if junk else _one_of(valid),
                                     label=name)
        return route.path(values)

    def draw_query(self, data, route: Route) -> str:
        seen = self.crawl.query.get(route.endpoint, {})
        keys = sorted(set(p.QUERY_KEYS) | set(seen))
        value_for = {k: st.one_of(*([st.sampled_from(sorted(seen[k]))] if seen.get(k) else []),
                                  p.typed_junk(sorted(seen.get(k, [])) or ["1"]), p.text_value()) for k in keys}
        pairs = data.draw(st.lists(st.sampled_from(keys).flatmap(lambda k: st.tuples(st.just(k), value_for[k])),
                                   min_size=1, max_size=4), label="query")
        return p.query_string(pairs)

    def draw_get(self, data, route: Route) -> Sent:
        """Junk in the URL's values or its query string; the simplest example is a page the crawl reached."""
        focus = data.draw(st.sampled_from(["as linked", "query", "query", "url"]), label="focus")
        path = self.draw_path(data, route, junk=focus == "url")
        return Sent("GET", path, self.draw_query(data, route) if focus == "query" else "", address="198.51.100.4")

    def draw_post(self, data, route: Route) -> Sent:
        """One thing wrong at a time, the rest as the page shows it, so that the junk gets as far as it can.

        The simplest example of each route is the form exactly as shown, with a valid token.
        """
        focus = data.draw(st.sampled_from(["as shown", "fields", "fields", "fields", "all fields", "url", "query",
                                           "transport", "transport", "csrf"]), label="focus")
        self.stats[f"focus:{focus}"] += 1
        path = self.draw_path(data, route, junk=focus == "url")
        fields = self.crawl.fields_for(route.endpoint, path)
        csrf_name = next((n for n in fields if n.endswith("csrf_token")), "csrf_token")
        base = {name: base_values(route.endpoint, name, spec) for name, spec in fields.items()
                if spec.kind != "file" and name != csrf_name}
        changed: set = set()
        if focus == "all fields":
            changed = set(base)
        elif focus == "fields" and base:
            changed = data.draw(st.sets(st.sampled_from(sorted(base)), min_size=1, max_size=3), label="changed")
        values = {name: data.draw(p.field_values(fields[name].values, fields[name].kind), label=name)
                  if name in changed else base[name] for name in base}
        token = [self.csrf_of(path)]
        if focus == "csrf":
            kind = data.draw(st.sampled_from(["missing", "garbled", "other session", "repeated"]), label="csrf")
            token = {"missing": [], "repeated": [token[0], "x"], "other session": [self._other_csrf(path)]}.get(kind) \
                or [data.draw(p.text_value(), label="bad csrf")]
        pairs = [(csrf_name, t) for t in token] + p.pairs_from(values)
        if focus in ("fields", "all fields"):
            pairs += data.draw(p.unknown_fields(), label="unknown fields")
        files = self._draw_files(data, route, fields, junk=focus in ("fields", "all fields"))
        sent = Sent("POST", path, self.draw_query(data, route) if focus == "query" else "",
                    address=data.draw(_address(), label="address"))
        uploads = any(spec.kind == "file" for spec in fields.values())
        kind = "multipart" if uploads else "form"
        if focus == "transport":
            kind = data.draw(st.sampled_from(["json", "invalid-utf8", "surrogates", "wrong-type", "oversized", "empty",
                                              "multipart" if not uploads else "form"]), label="body kind")
            if data.draw(st.booleans(), label="csrf header"):
                sent.headers = (("X-CSRFToken", self.csrf_of(path)),)  # lets a non-form body reach the view
        self._encode(data, sent, kind, pairs, files)
        self.stats[f"body:{kind}"] += 1
        return sent

    def notorious(self, route: Route, value: str, *, where: str) -> Sent:
        """The route as its page shows it, with ``value`` in every form field, query key or URL value at once."""
        known = self.crawl.forms.get(route.endpoint, {}) if "POST" in route.methods else \
            {url.partition("?")[0]: None for url, status in self.crawl.pages.get(route.endpoint, []) if status < 400}
        path = min(known, key=lambda url: (MAIN not in url, url)) if known else seed_paths(route, self.pools)[0]
        if where == "url":
            path = route.path({name: p.path_segment(value) for name, _, _ in route.converters})
        query = p.query_string([(k, value) for k in sorted(set(p.QUERY_KEYS) | set(self.crawl.query.get(route.endpoint, {})))])
        sent = Sent("POST" if "POST" in route.methods and where != "query" else "GET", path,
                    query if where == "query" else "")
        if sent.method == "POST":
            fields = self.crawl.fields_for(route.endpoint, path)
            csrf_name = next((n for n in fields if n.endswith("csrf_token")), "csrf_token")
            pairs = [(csrf_name, self.csrf_of(path))] + [
                (name, value if where == "fields" else base_values(route.endpoint, name, spec)[0] if
                 base_values(route.endpoint, name, spec) else "")
                for name, spec in fields.items() if spec.kind != "file" and name != csrf_name]
            self._encode(None, sent, "multipart" if any(f.kind == "file" for f in fields.values()) else "form", pairs,
                         self._draw_files(None, route, fields, junk=False))
        return sent

    def _draw_files(self, data, route: Route, fields: dict, *, junk: bool) -> list:
        files = []
        for name in (n for n, spec in fields.items() if spec.kind == "file"):
            good = GOOD_FILES.get(route.endpoint)
            if good and not junk:
                files.append((name, *good))
            else:
                files += [(name, filename, body) for filename, body in data.draw(
                    st.lists(st.tuples(p.filename(), p.file_bytes()), min_size=0 if good else 1, max_size=2),
                    label=name)]
        return files

    @staticmethod
    def _encode(data, sent: Sent, kind: str, pairs: list, files: list) -> None:
        form = "application/x-www-form-urlencoded"
        if kind == "form":
            sent.body, sent.content_type = p.urlencode(pairs), form
        elif kind == "multipart":
            boundary = "fuzz-7MA4YWxkTrZu0gW"
            sent.body, sent.content_type = p.multipart(pairs, files, boundary), f"multipart/form-data; boundary={boundary}"
        elif kind == "json":
            sent.body, sent.content_type = p.json_body(pairs), "application/json"
        elif kind == "invalid-utf8":
            junk = data.draw(st.binary(min_size=1, max_size=256), label="bytes")
            sent.body, sent.content_type = p.urlencode(pairs) + b"&" + junk + b"=\xff\xfe%C0%AF", form
        elif kind == "surrogates":
            lone = data.draw(st.text(st.characters(categories=["Cs"]), min_size=1, max_size=4), label="surrogates")
            sent.body, sent.content_type = p.urlencode(pairs + [(pairs[-1][0] if pairs else "x", lone)]), form
        elif kind == "wrong-type":
            sent.body = p.urlencode(pairs)
            sent.content_type = data.draw(st.sampled_from(p.CONTENT_TYPES), label="content type")
        elif kind == "oversized":
            sent.body, sent.content_type = p.urlencode(pairs) + b"&pad=" + b"x" * (p.MAX_CONTENT_LENGTH + 1), form
        else:
            sent.body, sent.content_type = b"", form

    def csrf_of(self, path: str) -> str:
        return self.staff.csrf if self.is_staff(path) else self.anonymous.csrf

    def _other_csrf(self, path: str) -> str:
        return self.anonymous.csrf if self.is_staff(path) else self.staff.csrf

    @staticmethod
    def is_staff(path: str) -> bool:
        return path.startswith(("/admin", "/review", "/facilitate", "/staff"))

    # --- Sending and checking ------------------------------------------------------------------------------------

    def send(self, browser: Browser, sent: Sent, *, endpoint: str):
        """Send one request and check it; returns the response."""
        before = row_counts(self.app)
        # A page's own URL may already carry a query (a form on /auth/login?lang=fr): add the drawn one to it.
        path, _, linked_query = sent.path.partition("?")
        query = "&".join(q for q in (linked_query, sent.query) if q)
        try:  # in testing, Flask lets a view's exception through instead of answering 500
            response = browser.client.open(
                path, method=sent.method, query_string=query or None, data=sent.body,
                content_type=sent.content_type, headers=list(sent.headers), environ_base={"REMOTE_ADDR": sent.address})
        except Exception as error:
            raise AssertionError(f"server error ({type(error).__name__}) after {sent.describe()}") from error
        if _LOG:
            with open(_LOG, "a", encoding="utf-8", errors="backslashreplace") as log:
                log.write(f"{endpoint} {response.status_code} {sent.describe()[:400]}\n")
        response.get_data()  # buffered, so that the file behind a static response can be closed now
        response.close()
        wait_for_background_runs()
        self.requests += 1
        self.stats[f"{endpoint} {sent.method} {response.status_code // 100}xx"] += 1
        problems = response_problems(response, method=sent.method)
        after = row_counts(self.app)
        problems += self._row_problems(endpoint, sent.method, response.status_code, before, after)
        assert not problems, f"{problems} after {sent.describe()} -> {response.status_code}"
        if endpoint.startswith("auth.") and sent.method == "POST":
            browser.reset()  # signed in or out for real: start the next example from a known state
        if sent.method == "POST" and 300 <= response.status_code < 400:
            self.pools = id_pools(self.app, self.world)  # something was made, renamed or removed
        return response

    @staticmethod
    def _row_problems(endpoint, method, status, before, after) -> list[str]:
        problems = []
        added = after["responses"] - before["responses"]
        if added and not (endpoint in RESPONSE_WRITERS and method == "POST" and status == 303):
            problems.append(f"{added:+} responses from {endpoint} answering {status}")
        if endpoint == "intake.respond" and (added not in (0, 1) or after["receipts"] - before["receipts"] != added):
            problems.append(f"one submission changed responses by {added} and receipts by "
                            f"{after['receipts'] - before['receipts']}")
        if method == "POST" and 400 <= status < 500 and status != 429:
            allowed = set().union(*(tables for prefix, tables in REFUSAL_MAY_CHANGE.items() if endpoint.startswith(prefix)))
            changed = {t for t in after if after[t] != before[t]} - allowed
            if changed:
                problems.append(f"a refused {endpoint} ({status}) changed {sorted(changed)}")
        return problems

    def check_pages_still_render(self, *, prefix: str = "", pdf: bool = False) -> None:
        """A page of each endpoint the crawl reached, again, now showing whatever the fuzzer managed to store."""
        urls = sorted(next(url for url, status in pages if status < 400) for endpoint, pages in self.crawl.pages.items()
                      if endpoint.startswith(prefix) and any(status < 400 for _, status in pages))
        if pdf:
            urls.append(f"/review/{MAIN}/report/export.pdf")
        for url in urls:
            endpoint = match(self.app, url, "GET")
            if endpoint is not None:
                self.send(self.staff, Sent("GET", url), endpoint=endpoint[0])
        self.check_database()

    def check_database(self) -> None:
        wait_for_background_runs()
        problems = database_problems(self.app)
        assert not problems, problems


def base_values(endpoint: str, name: str, spec) -> list[str]:
    """The value a person would send for a field as the page shows it."""
    shown = [v for v in spec.values if v != ""]
    wanted = BASE_VALUES.get((endpoint, name))
    if isinstance(wanted, int):
        return shown[wanted:wanted + 1]
    if wanted is not None:
        return [wanted]
    if endpoint == "facilitate.map_spreadsheet" and name.startswith("map-"):
        return [{"map-text": "comment", "map-role": "role"}.get(name, "")]  # one column each, the rest unmapped
    if spec.kind in ("checkbox", "radio", "select", "hidden", "button", "submit"):
        return shown[:1] if shown or spec.kind != "hidden" else [""]
    if spec.values and spec.values[0]:
        return [spec.values[0]]
    plain = NAME_VALUES.get(name.removeprefix("add-").removeprefix("edit-"))
    if plain is not None:
        return [plain]
    if name == "confirm":
        return [PLAIN["password"]]
    return [PLAIN.get(spec.kind, PLAIN["text"])]


def _one_of(values: list[str]):
    """A value from a list that the fuzzing itself grows and shrinks (ids in the database).

    Drawn as an index, so that a replayed example asks Hypothesis the same question even when the list changed
    (sampled_from would fail the run as "flaky").
    """
    return st.integers(min_value=0, max_value=63).map(lambda i: values[i % len(values)] if values else "0")


def _junk_segment(kind: str):
    short = st.one_of(st.sampled_from(p.TRICKY), st.text(p.any_char, max_size=30)).map(p.path_segment)
    if kind == "int":
        numbers = st.one_of(st.sampled_from([0, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30, 10**100]),
                            st.integers(min_value=0, max_value=10**6))
        return st.one_of(numbers.map(str), short)
    if kind == "uuid":
        return st.one_of(st.uuids().map(str), st.uuids().map(lambda u: u.hex.upper()), short)
    if kind == "path":
        return st.one_of(st.sampled_from(["../config.py", "..%2f..%2fconfig.py", "css/../../config.py", "css/",
                                          "css/engage.css%00.png", "js/intake.js/"]), short)
    return short


def _address():
    return st.one_of(st.sampled_from(["203.0.113.9", "198.51.100.4", "2001:db8::1"]),
                     st.integers(min_value=1, max_value=2**32 - 2).map(
                         lambda n: ".".join(str((n >> s) & 255) for s in (24, 16, 8, 0))))
