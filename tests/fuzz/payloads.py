"""Hypothesis strategies for hostile input, and encoders that put it on the wire byte for byte.

Bodies are encoded here rather than by the test client, so that lone surrogates travel as the invalid UTF-8 a
broken client would send (``%ED%A0%80``), keys can repeat, and content types can lie.
"""
import json
from urllib.parse import quote, quote_plus

from hypothesis import strategies as st

MAX_CONTENT_LENGTH = 128 * 1024

# Values that have broken web apps before: numbers that int() reads but isdigit() misjudges (and the reverse),
# dates that do not exist, markup, template syntax, direction overrides, zero-width and line-separator marks.
TRICKY = [
    "", " ", "\x00", "a\x00b", "\x01\x02\x1b[31m", "\x7f", "\u0085", "\u202e\u200fevil", "\u200b", "\ufeff",
    "\u2028\u2029", "\r\n", "\r", "\t", "e\u0301\u0301\u0301", "\U0001F600" * 3, "\U0001F469\u200d\U0001F467",
    "\ufffd", "\uffff", "\U0010ffff", "ǅİß", "²", "①", "١٢٣", "𝟗", "Ⅻ", "৩", "0", "-0", "-1", "+1", " 7 ", "1_000",
    "0x1F", "1e309", "NaN", "inf", "-inf", "1.5", "9" * 40, "2147483647", "2147483648", "9223372036854775808",
    "2024-02-30", "0000-00-00", "9999-12-31", "10000-01-01", "2024-13-01", "%00", "%", "%zz", "../../etc/passwd",
    "<script>alert(1)</script>", "\"><svg onload=alert(1)>", "{{ 7*7 }}", "{% raw %}", "{{ respondents }}",
    "' OR 1=1 --", "null", "None", "true", "[]", "{}", "prefer_not", "accept", "reject", "up", "down", "import",
    "save", "csv", "json", "pdf", "html", "codes", "machine", "pii", "safeguarding", "resolved", "open",
    "not_proceeding", "focus_group", "paper", "online", "admin", "reviewer", "publisher", "facilitator",
]
# Numbers as people and programs mistype them: digits int() refuses although str.isdigit() accepts them ("²"),
# digits it accepts from other scripts, numbers too long for int() (4,300 digits) or for the database.
NUMERIC_JUNK = ["²", "①", "١٢٣", "𝟗", "Ⅻ", "৩", "-1", "0", "00", "+1", " 7 ", "7 ", "1_000", "0x1F", "1.5", "1e309",
                "NaN", "inf", "", "2147483647", "2147483648", "9223372036854775808", "9" * 40, "9" * 5000, "1,2"]
DATE_JUNK = ["2024-02-30", "0000-00-00", "0001-01-01", "9999-12-31", "10000-01-01", "2024-13-01", "2024-1-1",
             "20240101", "2024-01-01T00:00:00", "01/02/2024", "1969-12-31", " 2024-01-01 ", "-2024-01-01"]
# Report sections are Markdown with number tokens and block tokens on lines of their own.
MARKUP_JUNK = ["{{ respondents }}", "{{ nope }}", "{{", "}}", "{{ block:themes:² }}", "\n{{ block:themes:² }}\n",
               "\n{{ block:quotes:9999999999999999999999 }}\n", "\n{{ block:options:① }}\n",
               "\n{{ block:segment:\u202e }}\n", "\n{{ block:participation:x }}\n", "\n{{ block:nope:all }}\n",
               "\n{{ block:themes:" + "9" * 5000 + " }}\n", "[link](javascript:alert(1))", "![img](http://x/y.png)",
               "<iframe src=x>", "> " * 500 + "deep", "*" * 3000, "# " + "#" * 200, "| a |\n|---|\n| b |"]
LENGTHS = [199, 200, 201, 254, 255, 300, 301, 500, 501, 1000, 1001, 2000, 2001, 5000, 5001, 10_001, 50_001,
           MAX_CONTENT_LENGTH // 3, MAX_CONTENT_LENGTH + 1]
QUERY_KEYS = ["page", "q", "after", "and", "by", "channel", "kind", "next", "question", "source", "status", "theme",
              "threshold", "value", "from", "segment", "sentiment", "flag", "group", "fmt"]
CONTENT_TYPES = [
    "text/plain", "application/xml", "application/octet-stream", "application/x-www-form-urlencoded; charset=latin-1",
    "application/x-www-form-urlencoded; charset=utf-16", "multipart/form-data", "multipart/form-data; boundary=",
    "multipart/form-data; boundary=\"unterminated", "application/json; charset=utf-8", "", "*/*", "\x00/\x00",
]

# Every kind of character, lone surrogates included (encoded below as the invalid UTF-8 they become).
any_char = st.characters(exclude_categories=[])
odd_char = st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zl", "Zp", "Mn", "Me", "Nd", "No", "Nl", "So"])


def long_text() -> st.SearchStrategy[str]:
    """Strings around the field limits and past the request limit, built by repetition so they are cheap."""
    return st.builds(lambda unit, n: (unit * n)[:n] if len(unit) == 1 else unit * max(1, n // len(unit)),
                     st.sampled_from(["a", "é", "\U0001F600", "\x00", "<", "\n", "ab ", "9", "\u202e"]),
                     st.sampled_from(LENGTHS))


def text_value() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(TRICKY),
        st.sampled_from(NUMERIC_JUNK + DATE_JUNK + MARKUP_JUNK),
        st.text(any_char, max_size=30),
        st.text(odd_char, min_size=1, max_size=12),
        long_text(),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


# The values that most often break code that reads numbers and text by hand; each goes into every field in turn.
NOTORIOUS = ["²", "9" * 5000, "2147483648", "\x00"]


def typed_junk(known: list[str], kind: str = "text") -> st.SearchStrategy[str]:
    """Junk shaped like the field's own values (numbers, dates, Markdown), or numbers anyway: ids hide everywhere."""
    if kind == "date" or any(len(v) == 10 and v[4:5] == "-" for v in known):
        shaped = DATE_JUNK
    elif kind == "textarea":
        shaped = MARKUP_JUNK
    elif kind == "number" or any(v.strip().isdigit() for v in known):
        shaped = NUMERIC_JUNK
    else:
        shaped = TRICKY
    return st.one_of(st.sampled_from(shaped), st.sampled_from(NUMERIC_JUNK))


def field_values(known: list[str], kind: str = "text") -> st.SearchStrategy[list[str]]:
    """What one form field carries: one value (most often junk shaped like it), nothing, or the key repeated."""
    junk = typed_junk(known, kind)
    one = st.one_of(junk, junk, text_value(), *([st.sampled_from(known)] if known else []))
    return st.one_of(one.map(lambda v: [v]), one.map(lambda v: [v]), st.just([]), st.lists(one, min_size=2, max_size=4))


def unknown_fields() -> st.SearchStrategy[list[tuple[str, str]]]:
    return st.lists(st.tuples(st.one_of(st.sampled_from(["id", "user_id", "role", "is_admin", "consultation_id",
                                                         "status", "_method", "csrf_token", ""]),
                                        st.text(any_char, max_size=12)), text_value()), max_size=3)


def pairs_from(fields: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, values in fields.items() for value in values]


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def urlencode(pairs: list[tuple[str, str]]) -> bytes:
    return b"&".join(quote_plus(_bytes(k)).encode() + b"=" + quote_plus(_bytes(v)).encode() for k, v in pairs)


def query_string(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(_bytes(k), safe='')}={quote(_bytes(v), safe='')}" for k, v in pairs)


def path_segment(text: str) -> str:
    return quote(_bytes(text), safe="")


def multipart(pairs: list[tuple[str, str]], files: list[tuple[str, str, bytes]], boundary: str) -> bytes:
    """A multipart body written by hand: names and file names go in raw, quotes and newlines included."""
    out = []
    for name, value in pairs:
        out += [b"--" + boundary.encode(), b'Content-Disposition: form-data; name="' + _bytes(name) + b'"', b"",
                _bytes(value)]
    for name, filename, data in files:
        out += [b"--" + boundary.encode(),
                b'Content-Disposition: form-data; name="' + _bytes(name) + b'"; filename="' + _bytes(filename) + b'"',
                b"Content-Type: application/octet-stream", b"", data]
    out.append(b"--" + boundary.encode() + b"--")
    return b"\r\n".join(out) + b"\r\n"


def file_bytes() -> st.SearchStrategy[bytes]:
    """Upload contents: junk, broken spreadsheets, documents and mail, empty files, files past the limit."""
    return st.one_of(
        st.binary(max_size=2048),
        st.sampled_from([
            b"", b"\x00" * 64, b"\xff\xfe\x00\x00", b"PK\x03\x04" + b"\x00" * 40, b"PK\x03\x04junk that is not a zip",
            b"comment\n" + "café\n".encode("latin-1") * 3, b"comment,role\n\"unterminated,Student\n",
            b"a,b,c\n" + b"1,2\n" * 50, b"=cmd|' /C calc'!A0,@SUM(1+1)\n-2+3,+4\n", b"\xef\xbb\xbfcomment\nBOM first\n",
            b"From nobody\nSubject: \xff\xfe\n\nbody", b"Content-Type: multipart/mixed; boundary=x\n\n--x\n--x--",
            b"[{\"name\": 1}]", b"{\"themes\": [{\"name\": \"\\u0000\"}]}", b"name\n" + b"x" * 300 + b"\n",
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b"\x1f\x8b\x08\x00junk", b"name,description\nNul\x00theme,x\x00y\n",
            b"comment,role\nHello\x00there,Student\n", b"First note\x00.\n\nSecond note.\n",
            b"From: a@example.org\r\nSubject: s\x00\r\n\r\nBody\x00 text\r\n",
        ]),
        st.builds(lambda unit, n: unit * n, st.sampled_from([b"comment\nhello\n", b"\x00", b"a,"]),
                  st.sampled_from([10, 1000, 40_000])),
    )


def filename() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(["notes.txt", "notes.docx", "comments.csv", "comments.xlsx", "mail.eml",
                                      "box.mbox", "codebook.json", "codebook.csv", "", ".", "..", "../../../etc/passwd",
                                      "a\x00b.csv", "ünï\u202ecod.csv", "x" * 300 + ".csv", "CON", "nul.txt",
                                      "quote\".csv", "line\r\nbreak.csv"]),
                     st.text(any_char, max_size=20))


def json_body(pairs: list[tuple[str, str]]) -> bytes:
    doc: dict = {}
    for key, value in pairs:
        doc.setdefault(key, []).append(value)
    flat = {k: v[0] if len(v) == 1 else v for k, v in doc.items()}
    return json.dumps(flat, ensure_ascii=True).encode()
