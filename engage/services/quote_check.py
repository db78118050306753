"""The re-identification check for quotes: what in a scrubbed comment could still point to its writer.

Heuristics, tuned to warn rather than to miss: names and places by capitalised words the consultation's other
comments do not write in lower case, the consultation's schools, street and landmark patterns, exact ages, grades
and dates, roles few people have, words few respondents used, and group labels below the public minimum.
A publisher reads every warning; nothing here changes a quote.
"""
import re
from collections import defaultdict

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from engage.analysis.pii import _HONORIFIC_WORDS, _NOT_NAMES, _at_sentence_start, _common_words, find_pii
from engage.analysis.resources import stopwords
from engage.extensions import db
from engage.models import Answer, Consultation, Response

RARE_RESPONDENTS = 2  # a word used by at most this many respondents is a rare detail
KIND_LABELS = {"person": _l("Names a person"), "school": _l("Names a school"), "place": _l("Names a place"),
               "contact": _l("Personal details"), "rare": _l("Rare detail"), "label": _l("Small group")}


def N_(message: str) -> str:
    """Mark a message for the catalogue and keep it English: warnings are stored, and translated where shown."""
    return message


_WORD = re.compile(r"(?<![\w\[])[^\W\d_]+(?:['’][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
# Capitalised words that are neither names nor places, beyond the scrubber's list.
_NOT_PROPER = frozenset("""
    christmas halloween easter thanksgiving ramadan eid diwali hanukkah passover lunar god allah jesus internet
    wifi covid coronavirus english french spanish math maths science gym phys ed art drama music history
    geography biology chemistry physics sro sros okay ok hi hello thanks please sorry yes no
""".split())
_SCHOOL_GENERIC = _NOT_NAMES | {"junior", "senior", "middle", "high", "elementary", "secondary", "intermediate",
                                "public", "catholic", "the", "our", "my", "your", "their", "this", "that", "a", "an"}
# Words many school names share with ordinary English: they count only when capitalised ("Maple Ridge", not "ridge").
_LANDSCAPE = frozenset("""
    ridge creek hill hills valley park heights lake river wood woods field fields glen grove brook pine pines oak oaks
    maple cedar willow aspen birch elm spruce larch juniper meadow meadows bay point view vista forest springs spring
    harbour harbor island bluff summit stone rock
""".split())
_SCHOOL_PHRASE = re.compile(
    r"\b(?P<name>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,2})\s+"
    r"(?:Elementary|Secondary|High|Middle|Intermediate|Public|Catholic|Collegiate|Academy|Prep|School|P\.S\.|PS)\b"
)
# Street types and landmarks that follow a place's name; ambiguous ones ("Way", "Close", "Row") are left out.
_STREET_NAME = re.compile(
    r"\b(?P<name>(?:[A-Z][\w'’.-]*\s+){1,3})(?:Street|St|Avenue|Ave|Road|Rd|Drive|Boulevard|Blvd|Crescent|Cres"
    r"|Lane|Ln|Parkway|Pkwy|Highway|Hwy|Terrace|Sideroad|Park|Plaza|Mall|Centre|Center|Arena|Library|Station|Beach"
    r"|Apartments|Village|Estates|Hills|Creek)\b"
)
_PLACE_BEFORE = re.compile(r"\b(?:in|near|around|across|outside|behind|past|live on|lives on|living on)\s+(?:the\s+)?$",
                           re.IGNORECASE)
_PLACE_SUFFIX = re.compile(
    r"(?:ville|town|view|wood|woods|field|fields|dale|ford|borough|burg|bury|port|brook|ridge|side|crest|vale"
    r"|haven|mount|glen|heights|hill|hills|creek|grove|point)$"
)
_AGE = re.compile(
    r"\b(?:i\s+am|i['’]?m|i\s+was|i\s+turned|turned|aged?|at\s+age)\s+(?:only\s+|just\s+)?\d{1,2}\b"
    r"(?!\s*(?:%|percent|times|seconds|minutes|mins|hours|hrs|days|weeks|months|dollars|bucks|\$|km|am\b|pm\b|:|\.\d))"
    r"|\b\d{1,2}[- ]?(?:years?|yrs?)[- ]?old\b",
    re.IGNORECASE,
)
_GRADE = re.compile(
    r"\b(?:grade|gr\.?)\s*(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)\s+grade(?:rs?)?\b",
    re.IGNORECASE,
)
_MONTHS = r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?" \
          r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
_DATE = re.compile(
    rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?![\d,]*\s*(?:%|people|students|times))"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b"
    r"|\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
)
_ONLY_ONE = re.compile(
    r"\b(?:the|am|was|i['’]?m)\s+only\s+(?:[\w-]+\s+){0,3}?"
    r"(?:teacher|student|girl|boy|kid|parent|mom|mum|dad|staff|woman|man|child|family|officer|nurse|coach|guy"
    r"|employee|worker|teen|member)s?\b",
    re.IGNORECASE,
)
_OWN_ROLE = re.compile(
    r"\b(?:i\s+am|i['’]?m|as)\s+(?:the|a|an)\s+(?:school\s+)?(?:vice[- ]principal|principal|librarian|custodian"
    r"|janitor|caretaker|nurse|counsell?or|secretary|chaplain|social\s+worker|youth\s+worker|psychologist|coach"
    r"|(?:band|music|gym|art|drama)\s+teacher|department\s+head|head\s+of\s+\w+|crossing\s+guard|bus\s+driver"
    r"|trustee|superintendent)\b",
    re.IGNORECASE,
)
_RARE_PATTERNS = (
    (_AGE, N_("Gives an exact age: %(details)s.")),
    (_GRADE, N_("Gives a grade: %(details)s. With other details, a grade can narrow down who wrote this.")),
    (_DATE, N_("Gives an exact date: %(details)s.")),
    (_ONLY_ONE, N_("Describes someone few people could be: %(details)s.")),
    (_OWN_ROLE, N_("Gives a job few people have: %(details)s.")),
)
_MESSAGES = {
    "person": N_("May name a person: %(details)s. A name can identify the writer or the person they write about."),
    "school": N_("Names a school: %(details)s. In a small school this can point to the writer."),
    "place": N_("Names a place: %(details)s. A street, neighbourhood or landmark can point to the writer."),
    "contact": N_("Still holds personal details (%(details)s). Redact the comment before quoting it."),
    "rare": N_("Uses words few other respondents used: %(details)s. Unusual details can point to one person."),
}
_LABEL_MESSAGE = N_("Fewer than %(minimum)s respondents chose “%(label)s”. Showing that group with the quote could "
                    "point to the writer: show the quote without it.")


def _quoted(items) -> str:
    return ", ".join(f"“{item}”" for item in list(dict.fromkeys(items))[:4])


class WordUsage:
    """How many respondents use each unusual word, and how many write it in lower case (then it is no name).

    Built from every comment at once for bulk work, or asked word by word of the database for one quote.
    Only words outside the common-English list are counted; the rest are never rare.
    """

    SAMPLE = 60  # enough rows to tell "a few people" from "many"

    def __init__(self, consultation_id: int, rows=None):
        self.consultation_id = consultation_id
        self.counts: dict[str, tuple[int, int]] = {}
        self.complete = rows is not None
        if rows is not None:
            self._count(rows, None)

    def _count(self, rows, wanted: set[str] | None) -> None:
        common = _common_words()
        users, lower_users = defaultdict(set), defaultdict(set)
        for response_id, text in rows:
            for match in _WORD.finditer(text or ""):
                word = _POSSESSIVE.sub("", match.group())
                lower = word.lower()
                if (wanted is not None and lower not in wanted) or (wanted is None and lower in common):
                    continue
                users[lower].add(response_id)
                if word.islower():
                    lower_users[lower].add(response_id)
        for lower in (wanted if wanted is not None else users):
            self.counts[lower] = (len(users.get(lower, ())), len(lower_users.get(lower, ())))

    def lookup(self, words: set[str]) -> dict[str, tuple[int, int]]:
        missing = {w for w in words if w not in self.counts}
        if missing and not self.complete:
            shown = func.coalesce(Answer.redacted_text, Answer.text)
            for word in missing:  # letters and apostrophes only, so no LIKE wildcards
                rows = db.session.execute(
                    select(Answer.response_id, shown).join(Response, Response.id == Answer.response_id)
                    .where(Response.consultation_id == self.consultation_id, Answer.text.is_not(None),
                           func.lower(shown).like(f"%{word}%")).limit(self.SAMPLE)
                ).all()
                self._count(rows, {word})
        return {w: self.counts.get(w, (0, 0)) for w in words}


class QuoteChecker:
    """The re-identification check for one consultation, built once and applied to many quotes."""

    def __init__(self, consultation: Consultation, *, usage: WordUsage | None = None):
        self.consultation = consultation
        self.schools = tuple(consultation.school_names)
        common, self.school_words = _common_words(), {}
        for school in self.schools:
            for word in _WORD.findall(school):
                if word.lower() not in _SCHOOL_GENERIC and len(word) > 2:
                    # True: an everyday word that names the school only when capitalised
                    self.school_words[word.lower()] = word.lower() in common or word.lower() in _LANDSCAPE
        public = " ".join([consultation.title, consultation.summary, consultation.description, consultation.purpose,
                           consultation.audience] + [q.prompt for q in consultation.questions])
        self.public_words = frozenset(w.lower() for w in _WORD.findall(public)) - set(self.school_words)
        self.minimum = consultation.public_minimum()
        self.usage = usage or WordUsage(consultation.id)

    def warnings(self, text: str, *, segment_label: str = "", group_size: int | None = None,
                 identity: bool = False) -> list[dict]:
        found: dict[str, list[str]] = defaultdict(list)
        for school in _SCHOOL_PHRASE.finditer(text):
            words = _WORD.findall(school.group())
            while words and words[0].lower() in stopwords("english"):  # "At Lincoln High" names "Lincoln High"
                words.pop(0)
            if any(w.lower() not in _SCHOOL_GENERIC for w in words):
                found["school"].append(" ".join(words))
        for street in _STREET_NAME.finditer(text):
            if any(w.lower() not in _NOT_NAMES and w.lower() not in self.public_words and w.lower() not in stopwords("english")
                   for w in _WORD.findall(street.group("name"))):
                found["place"].append(street.group().strip())
        rare = [(message, match.group()) for pattern, message in _RARE_PATTERNS if (match := pattern.search(text))]
        covered = {w.lower() for items in [*found.values(), [m for _, m in rare]] for item in items
                   for w in _WORD.findall(item)}
        for match in find_pii(text, schools=self.schools):  # scrubbed text should hold none; say so if it does
            kind = {"name": "person", "school": "school", "address": "place"}.get(match.kind, "contact")
            if kind == "contact" or not {w.lower() for w in _WORD.findall(match.text)} <= covered:
                found[kind].append(match.text if kind != "contact" else match.kind)
        covered |= {w.lower() for items in found.values() for item in items for w in _WORD.findall(item)}
        self._words(text, found, covered)
        # Stored with the quote, so in English; ``warning_message`` translates one where it is shown.
        warnings = [{"kind": kind, "message": _MESSAGES[kind] % {"details": _quoted(found[kind])}}
                    for kind in ("person", "school", "place", "contact") if found[kind]]
        warnings += [{"kind": "rare", "message": message % {"details": f"“{detail}”"}} for message, detail in rare]
        if found["rare"]:
            warnings.append({"kind": "rare", "message": _MESSAGES["rare"] % {"details": _quoted(found["rare"])}})
        minimum = self.consultation.public_minimum(identity=identity)
        if segment_label and group_size is not None and group_size < minimum:
            warnings.append({"kind": "label", "message": _LABEL_MESSAGE % {"minimum": minimum,
                                                                           "label": segment_label}})
        return warnings

    def _words(self, text: str, found: dict[str, list[str]], covered: set[str]) -> None:
        """Names, schools and places by single capitalised words, and rare words, from how the consultation writes.

        ``covered`` holds words already reported, which are not reported again.
        """
        common = _common_words()
        proper, plain = [], []
        for match in _WORD.finditer(text):
            word = _POSSESSIVE.sub("", match.group())
            lower = word.lower()
            if len(lower) < 3 or lower in covered or lower in self.public_words:
                continue
            if lower in self.school_words and (not self.school_words[lower] or word[0].isupper()):
                found["school"].append(word)
            elif lower in common or (word.isupper() and len(word) > 1):
                continue  # ordinary English, or an acronym
            elif word[0].isupper() and not _at_sentence_start(text, match.start()):
                if lower not in _NOT_NAMES and lower not in _HONORIFIC_WORDS and lower not in _NOT_PROPER:
                    proper.append((match, word, lower))
            elif len(lower) >= 4 and lower not in _NOT_PROPER:
                plain.append((word, lower))
        usage = self.usage.lookup({lower for *_, lower in proper} | {lower for _, lower in plain})
        for match, word, lower in proper:
            users, lower_users = usage[lower]
            if lower_users >= 2:  # others write it in lower case: an ordinary word, capitalised here
                plain.append((word, lower))
            elif _PLACE_BEFORE.search(text[max(0, match.start() - 30):match.start()]) or _PLACE_SUFFIX.search(lower):
                if users < self.minimum:  # a place many respondents name is not a clue to one of them
                    found["place"].append(word)
            else:
                found["person"].append(word)
        found["rare"] += [word for word, lower in plain if usage[lower][0] <= RARE_RESPONDENTS]


def reidentification_warnings(*, consultation: Consultation, text: str, segment_label: str = "",
                              group_size: int | None = None, identity: bool = False) -> list[dict]:
    """What in a (scrubbed) quote could point to the writer: ``[{"kind", "message"}]``, in plain language.

    Kinds: "person", "school", "place", "contact", "rare" (ages, grades, dates, unusual roles, words few
    respondents used) and "label" (the writer's group is smaller than the public minimum).
    """
    return QuoteChecker(consultation).warnings(text, segment_label=segment_label, group_size=group_size,
                                               identity=identity)


def _pattern(message: str) -> re.Pattern:
    """A stored English warning's shape: its message with each placeholder as a named group."""
    parts = re.split(r"%\((\w+)\)s", message)
    return re.compile("".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.*)" for i, part in enumerate(parts)),
                      re.DOTALL)


_SHAPES = [(message, _pattern(message))
           for message in [m for _, m in _RARE_PATTERNS] + list(_MESSAGES.values()) + [_LABEL_MESSAGE]]


def warning_message(warning: dict) -> str:
    """A stored warning's message in the page's language (as stored when it matches no known message)."""
    stored = warning.get("message") or ""
    for message, shape in _SHAPES:
        if match := shape.fullmatch(stored):
            return _(message, **match.groupdict())
    return stored
