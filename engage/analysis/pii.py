"""Find and scrub personal information in comments, and flag possible safeguarding disclosures."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "PII_KINDS",
    "PIIMatch",
    "SafeguardingFlag",
    "find_pii",
    "find_safeguarding",
    "pii_kinds",
    "scrub_pii",
]

PII_KINDS = ("email", "url", "handle", "phone", "address", "number", "school", "name")


@dataclass(frozen=True)
class PIIMatch:
    """One piece of personal information: its kind (see ``PII_KINDS``) and where it sits in the text."""

    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class SafeguardingFlag:
    """A phrase that may disclose harm, abuse or a threat, for a designated person to read in context."""

    kind: str
    phrase: str
    start: int = -1
    end: int = -1


_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][\w.+-]*\s*(?:@|\(at\)|\[at\])\s*[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
)
_TLDS = "com|org|net|edu|gov|ca|us|uk|io|co|info|biz|me|ly|tv|fr|be|ch|au|nz|ie|app|school|ac"
_URL = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"]+"
    rf"|\b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:{_TLDS})(?:/[^\s<>\"]*)?(?![\w@]|\.\w)",
    re.IGNORECASE,
)
_URL_GATE = re.compile(rf"https?:|www\.|\.(?:{_TLDS})", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?")
_PHONE = re.compile(
    # North American: (555) 123-4567, 555.123.4567, +1 555 123 4567, with an optional extension.
    r"(?<![\w+])(?:\+?1[\s.-]?)?(?:\(\d{3}\)|\d{3})[\s.-]?\d{3}[\s.-]?\d{4}(?:\s*(?:x|ext\.?)\s*\d{1,5})?(?!\d)"
    # International with a leading +: +44 20 7946 0958, +33 1 23 45 67 89.
    r"|\+\d{1,3}(?:[\s.-]?\(?\d{1,5}\)?){2,6}(?!\d)"
    # Trunk-prefixed national numbers: 07700 900123, 01632 960 001.
    r"|(?<![\w+])0\d{2,4}[\s.-]?\d{3,4}[\s.-]?\d{3,4}(?!\d)"
    # Seven-digit local numbers: 555-1234.
    r"|(?<![\w.-])\d{3}[.-]\d{4}(?![\w-])"
)
_STREET_SUFFIXES = (
    "Street|St|Avenue|Ave|Av|Road|Rd|Drive|Dr|Boulevard|Blvd|Crescent|Cres|Lane|Ln|Way|Court|Ct|Place|Pl"
    "|Terrace|Terr|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Trl|Square|Sq|Close|Gardens|Grove|Row|Line"
    "|Sideroad|Concession|Gate|Heights|Hts|Mews|Path|Walk|Rue|Chemin|Boul"
)
_ADDRESS = re.compile(
    r"(?<![\w-])\d{1,6}[A-Za-z]?(?:[-\s]\d{1,5})?,?\s+"  # civic number, maybe a unit: 12, 12B, 4-120
    r"(?:(?:[A-Z][\w'’.-]*|\d{1,3}(?:st|nd|rd|th))\s+){1,4}"  # capitalised street name words, or 5th
    rf"(?:{_STREET_SUFFIXES})\b\.?"
    r"|(?<![\w-])\d{1,6},?\s+(?:rue|avenue|boulevard|chemin)\s+(?:[\w'’-]+\s?){1,4}",  # 12 rue des Lilas
)
_LONG_NUMBER = re.compile(r"(?<![\w-])[A-Za-z]{0,3}\d{6,}(?![\w-])")

# Titles that introduce a person: the name after them is scrubbed, the title kept,
# so "Officer [name]" still says who the comment is about.
_HONORIFICS = (
    r"Mr|Mrs|Ms|Miss|Mx|Mister|Dr|Doctor|Prof|Professor|Officer|Constable|Const|Cst|Sgt|Sergeant|Sarge"
    r"|Detective|Det|Deputy|Sheriff|Inspector|Superintendent|Supt|Chief|Principal|Vice[- ]Principal|VP"
    r"|Coach|Teacher|Counsellor|Counselor|Nurse|Trustee|Pastor|Father|Rev|Madame|Mme|Mlle|Monsieur"
    r"|Professeur|Agent|Agente|Directeur|Directrice"
)
# A capitalised word as names are spelt: Smith, O'Neil, McDonald, Jean-Luc.
_NAME_WORD = r"(?:[A-Z]['’])?[A-Z][a-zà-öø-ÿ]+(?:[A-Z][a-zà-öø-ÿ]+)?(?:-[A-Z][a-zà-öø-ÿ]+)?(?![\w'’-])"
_HONORIFIC_NAME = re.compile(
    rf"\b(?:{_HONORIFICS}|M)\.?\s+(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD})?|[A-Z]\.(?:\s?[A-Z]\.)?)"
)
_CAPITALISED_PAIR = re.compile(rf"(?<![\w'’-])(?P<first>{_NAME_WORD})\s+(?P<second>{_NAME_WORD})\b")

# Capitalised words that name roles or institutions rather than people; a pair of
# capitalised words containing one is not taken for a personal name.
_NOT_NAMES = frozenset(
    """
    police school schools board district department service services university college hospital centre
    center high middle elementary secondary public catholic council city county street avenue road program
    programme resource resources officer officers office community association committee club team group
    church canada ontario toronto america american canadian english french trust nhs ministry government
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december covid instagram facebook tiktok snapchat twitter youtube
    google microsoft teams zoom black indigenous lgbtq lgbtq2s asian latino latina muslim jewish christian
    """.split()
)


@functools.cache
def _common_words() -> frozenset[str]:
    """Words seen lower-case in ordinary prose: a capitalised one is probably not a name.

    Read from the English Punkt model's orthographic table (words it saw lower-case
    mid-sentence) plus the stopword list, both shipped in installed packages.
    """
    import punkt

    from engage.analysis.resources import stopwords

    lower_case = 0b111 << 4  # BEG_LC | MID_LC | UNK_LC, as NLTK and punkt number them
    seen = {word for word, flags in punkt.load_model("english").ortho_context.items() if flags & lower_case}
    return frozenset(seen | stopwords("english"))


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """Case-insensitive whole-word pattern for listed phrases, longest first, any spacing."""
    cleaned = sorted({" ".join(p.split()) for p in phrases if p and p.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    alternatives = [r"\s+".join(re.escape(word) for word in phrase.split()) for phrase in cleaned]
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def _listed_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    return _phrase_pattern(phrases)


def _at_sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:;\"“(\n-–—•*"


_HONORIFIC_WORDS = frozenset(word.lower() for word in re.findall(r"[A-Za-z]+", _HONORIFICS))


def _heuristic_names(text: str) -> list[tuple[int, int]]:
    spans = [
        match.span("name")
        for match in _HONORIFIC_NAME.finditer(text)
        # "School Resource Officer Program" names a programme, not a person.
        if match.group("name").split()[0].lower() not in _NOT_NAMES
    ]
    common = _common_words()
    for match in _CAPITALISED_PAIR.finditer(text):
        first, second = match.group("first").lower(), match.group("second").lower()
        if first in _HONORIFIC_WORDS or first in _NOT_NAMES or second in _NOT_NAMES or first in common:
            continue
        # At a sentence start the first word is capitalised anyway, so ask more of the second.
        if _at_sentence_start(text, match.start()) and second in common:
            continue
        spans.append(match.span())
    return spans


def find_pii(text: str, *, names: Iterable[str] = (), schools: Iterable[str] = ()) -> list[PIIMatch]:
    """Return the personal information in ``text``: non-overlapping matches in text order.

    ``names`` (staff, officers, students) and ``schools`` are matched whole-word and
    case-insensitively; capitalised names are also found by heuristics (after a title
    such as "Officer" or "Ms.", or two capitalised words that are not common words).
    Where candidates overlap, the longest wins, so "12 Main Street" is one address.
    """
    if not text:
        return []
    candidates: list[tuple[str, int, int]] = []
    # Cheap gates first: most comments hold no digit, "@" or web address, and
    # skipping those patterns is most of the speed on 100,000 comments.
    patterns: list[tuple[str, re.Pattern[str]]] = []
    if "@" in text or "(at)" in text or "[at]" in text:
        patterns += [("email", _EMAIL), ("handle", _HANDLE)]
    if _URL_GATE.search(text):
        patterns.append(("url", _URL))
    if _DIGIT.search(text):
        patterns += [("phone", _PHONE), ("address", _ADDRESS), ("number", _LONG_NUMBER)]
    for kind, pattern in patterns:
        candidates.extend((kind, *m.span()) for m in pattern.finditer(text))
    for kind, phrases in (("school", schools), ("name", names)):
        pattern = _listed_pattern(tuple(phrases))
        if pattern is not None:
            candidates.extend((kind, *m.span()) for m in pattern.finditer(text))
    candidates.extend(("name", start, end) for start, end in _heuristic_names(text))

    priority = {kind: rank for rank, kind in enumerate(PII_KINDS)}
    chosen: list[tuple[str, int, int]] = []
    # Longest first, then the more specific kind, then the earlier one: deterministic.
    for kind, start, end in sorted(candidates, key=lambda c: (c[1] - c[2], priority[c[0]], c[1])):
        end = _trim_trailing_punctuation(text, start, end) if kind == "url" else end
        if end > start and all(end <= s or start >= e for _, s, e in chosen):
            chosen.append((kind, start, end))
    chosen.sort(key=lambda c: c[1])
    return [PIIMatch(kind, start, end, text[start:end]) for kind, start, end in chosen]


def _trim_trailing_punctuation(text: str, start: int, end: int) -> int:
    # "see www.example.com." ends a sentence; the full stop is not part of the address.
    while end > start and text[end - 1] in ".,;:!?)]}'\"":
        end -= 1
    return end


def scrub_pii(text: str, *, names: Iterable[str] = (), schools: Iterable[str] = ()) -> str:
    """Replace personal information with typed placeholders such as ``[name]`` and ``[phone]``."""
    parts: list[str] = []
    position = 0
    for match in find_pii(text, names=names, schools=schools):
        parts.append(text[position : match.start])
        parts.append(f"[{match.kind}]")
        position = match.end
    parts.append(text[position:])
    return "".join(parts)


def pii_kinds(text: str, *, names: Iterable[str] = (), schools: Iterable[str] = ()) -> list[str]:
    """The distinct kinds of personal information in ``text``, in the order of ``PII_KINDS``."""
    found = {match.kind for match in find_pii(text, names=names, schools=schools)}
    return [kind for kind in PII_KINDS if kind in found]


# Safeguarding: recall matters more than precision (a person reads every flag), so
# the patterns are broad and negation ("nobody ever hit me") does not suppress a flag.
# They run on lower-cased text without IGNORECASE, which is several times faster.
_ME = r"(?:me|my\s+(?:friend|sister|brother|kid|child|son|daughter|body|mom|mum|dad))"
_HURT_VERBS = (
    r"(?:hit|hits|hitting|punch(?:ed|es|ing)?|kick(?:ed|s|ing)?|slap(?:ped|s|ping)?|beat(?:s|ing)?|"
    r"chok(?:e|ed|es|ing)|strangl(?:ed|es|ing)|grab(?:bed|s|bing)?|shov(?:ed|es|ing)|push(?:ed|es|ing)|"
    r"hurt(?:s|ing)?|assault(?:ed|s|ing)?|attack(?:ed|s|ing)?|threaten(?:ed|s|ing)?|tased|tasered|"
    r"pepper[- ]sprayed|handcuffed|slammed|tackled|harass(?:ed|es|ing)?|stalk(?:ed|s|ing)?|bull(?:y|ied|ies|ying)|"
    r"rap(?:e|ed|es|ing)|molest(?:ed|s|ing)?|touch(?:ed|es|ing)?|grop(?:e|ed|es|ing)|abus(?:e|ed|es|ing)|burn(?:ed|t)|"
    r"stab(?:bed|s|bing)?|shot|shoot(?:s|ing)?|spit\s+on|spat\s+on)"
)
_HURT_PARTICIPLES = (
    r"(?:hit|punched|kicked|slapped|beaten|beat\s+up|choked|strangled|grabbed|shoved|pushed|hurt|assaulted|"
    r"attacked|threatened|tased|tasered|pepper[- ]sprayed|handcuffed|slammed|tackled|harassed|stalked|bullied|"
    r"raped|molested|touched|groped|abused|burned|burnt|stabbed|shot|followed|cornered)"
)
_SAFEGUARDING: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (
            "self_harm",
            r"\b(?:kill(?:ing)?|hurt(?:ing)?|cut(?:ting)?|harm(?:ing)?|hang(?:ing)?|starv(?:e|ing)|burn(?:ing)?)\s+myself\b"
            r"|\bsuicid\w*|\bself[- ]?harm\w*|\bend(?:ing)?\s+(?:my\s+life|it\s+all)\b|\btake\s+my\s+(?:own\s+)?life\b"
            r"|\b(?:want|wanna|wanted|going|gonna)\s+(?:to\s+)?die\b|\bbetter\s+off\s+dead\b"
            r"|\b(?:don'?t|do\s+not|no\s+longer)\s+want\s+to\s+(?:live|be\s+(?:alive|here))\b"
            r"|\bno\s+reason\s+to\s+live\b|\boverdos\w*|\bkms\b|\bunalive\w*",
        ),
        (
            "sexual_abuse",
            r"\btouch(?:ed|es|ing)\s+(?:me|my|her|him)\b|\binappropriate(?:ly)?\s+touch\w*|\bmolest\w*|\brap(?:e|ed|ing|ist)\b"
            r"|\bsexual(?:ly)?\s+(?:assault|abus|harass|touch)\w*|\bgroom(?:ed|ing)\b|\bgrop\w*"
            r"|\b(?:sent|send|asked\s+(?:me\s+)?for|wanted)\s+(?:me\s+)?(?:nudes|naked\s+(?:pictures|pics|photos))\b",
        ),
        (
            "abuse",
            r"\babus(?:e|ed|es|ing|ive)\b|\bneglect(?:ed|s|ing)?\b|\b(?:scared|afraid|terrified)\s+(?:to\s+go\s+home|of\s+my\s+\w+)"
            r"|\bforced\s+me\b|\bmade\s+me\s+(?:do|take\s+off|undress)\b|\blocked\s+me\s+(?:in|out|up)\b"
            r"|\b(?:doesn'?t|don'?t|didn'?t)\s+feed\s+me\b",
        ),
        (
            "violence",
            rf"\b{_HURT_VERBS}\s+{_ME}\b|\bbeat\s+me\s+up\b"
            rf"|\bi(?:\s+(?:was|got|get|have\s+been|had\s+been|am\s+being|am)|'?ve\s+been|'?m\s+being|'?m)"
            rf"\s+(?:\w+\s+)?{_HURT_PARTICIPLES}\b",
        ),
        (
            "threat",
            r"\b(?:bring|bringing|brought|got|have|has|carry|carrying)\s+(?:a|my|his|her|their)?\s*(?:\w+\s+)?"
            r"(?:gun|knife|knives|weapon|pistol|rifle|bomb|blade)s?\b"
            r"|\b(?:shoot|shooting|bomb|blow)\s+up\s+(?:the|this|our|my)?\s*(?:\w+\s+)?(?:school|class|place|building)\b"
            r"|\b(?:i'?m|i\s+am|i'?ll|i\s+will|going\s+to|gonna|want\s+to|wanna)\s+(?:\w+\s+)?"
            r"(?:kill|shoot|stab|hurt|murder|beat\s+up|attack|bomb)\s+"
            r"(?:him|her|them|you|everyone|everybody|someone|somebody|people|all|the|that|this|my|his|their)\b"
            r"|\bschool\s+shoot\w*|\bshoot\s+(?:everyone|everybody|people|them)\b",
        ),
    )
)
# The same kinds in French (students may answer in French), matched on every comment whatever its language:
# a French phrase in an English answer is still read. "m'a" / "m'ont" / "me" before the verb is the writer.
_FR_ME = r"(?:m'a|m'ont|m'avait|me|nous\s+a|nous\s+ont)"
_FR_HURT = (
    r"(?:frapp\w*|battu\w*|bat|battent|cogn\w*|gifl\w*|pouss\w*|bouscul\w*|étrangl\w*|bless\w*|menac\w*|"
    r"harc[eè]l\w*|intimid\w*|agress\w*|plaqu\w*|menott\w*|tap[ée]\w*|tabass\w*|fait\s+mal|brûl\w*|poignard\w*)"
)
_FRENCH_SAFEGUARDING: tuple[tuple[str, str], ...] = (
    (
        "self_harm",
        r"\bme\s+(?:tuer|suicider|faire\s+du\s+mal|couper|blesser|pendre|scarifier)\b|\bautomutil\w*|\bscarifi\w*"
        r"|\b(?:envie\s+de|veux|voulais|vais|aimerais)\s+mourir\b|\bmettre\s+fin\s+à\s+(?:mes\s+jours|ma\s+vie)\b"
        r"|\ben\s+finir\s+avec\s+la\s+vie\b|\bplus\s+envie\s+de\s+vivre\b",
    ),
    (
        "sexual_abuse",
        rf"\b{_FR_ME}\s+(?:touch\w*|tripot\w*|pelot\w*)|\battouch\w*|\bviol(?:é|ée|és|ées|er|ait|eur)\b"
        r"|\bagress\w*\s+sexuel\w*|\bharc[eè]lement\s+sexuel|\bphotos?\s+(?:de\s+moi\s+)?nue?s?\b",
    ),
    (
        "abuse",
        r"\bmaltrait\w*|\bnégligée?s?\b|\b(?:peur|pas\s+envie)\s+de\s+rentrer\s+(?:à\s+la\s+maison|chez\s+moi)\b"
        r"|\bm'(?:a|ont)\s+(?:forcée?|obligée?)\b|\bm'(?:a|ont)\s+enferm\w*|\bne\s+me\s+(?:donne|donnent)\s+pas\s+à\s+manger\b",
    ),
    (
        "violence",
        rf"\b{_FR_ME}\s+{_FR_HURT}|\bje\s+me\s+(?:fais|suis\s+fait|suis\s+faite)\s+{_FR_HURT}"
        rf"|\bj'ai\s+été\s+(?:\w+\s+)?{_FR_HURT}",
    ),
    (
        "threat",
        r"\b(?:apporter|amener|apporte|amène|apporterai|amènerai|avoir|ai)\s+(?:un|une|mon|ma|son|sa|des)\s+"
        r"(?:couteau|couteaux|arme|armes|fusil|fusils|pistolet|bombe|lame)\b"
        r"|\b(?:vais|veux|va|vont)\s+(?:(?!me\b)\w+\s+){0,2}(?:tuer|poignarder|faire\s+sauter)\b"
        r"|\btirer\s+sur\s+(?:tout|les|des|lui|elle|eux|quelqu)\w*|\btuer\s+tout\s+le\s+monde\b",
    ),
)
_SAFEGUARDING += tuple((kind, re.compile(pattern)) for kind, pattern in _FRENCH_SAFEGUARDING)
# Every pattern above needs one of these fragments; a comment with none (most of
# them) skips the patterns entirely. Keep in step when adding patterns.
def _literal_gate(fragments: str) -> re.Pattern[str]:
    """One regex for any of the "|"-separated literal fragments, as a trie of shared prefixes.

    ``re`` tries every branch of a plain alternation at every position; the trie tries one
    branch per first letter, which scans English and French comments several times faster.
    """
    trie: dict = {}
    for fragment in fragments.split("|"):
        node = trie
        for char in fragment:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return re.compile(build(trie))


_SAFEGUARDING_GATE = _literal_gate(
    "myself|suicid|harm|life|it all|die|dead|want to|live|overdos|kms|unaliv|touch|molest|rap|sexual|groom|grop|nude|"
    "naked|abus|neglect|scared|afraid|terrified|forced|made me|locked|feed|hit|punch|kick|slap|beat|chok|strangl|grab|"
    "shov|push|hurt|assault|attack|threat|tase|pepper|handcuff|slam|tackl|harass|stalk|bull|burn|stab|shot|shoot|"
    "spit|spat|follow|corner|gun|kni|weapon|pistol|rifle|bomb|blade|blow|kill|murder|"
    # French, chosen not to open the gate for common English words ("recognize", "blame", "farmer")
    "frapp|battu|battent|me bat|cogné|cogne|gifl|pouss|bouscul|étrangl|bless|menac|harcel|harcèl|intimid|agress|"
    "plaqu|menott|tapé|me tape|tabass|fait mal|faire du mal|brûl|poignard|tripot|pelot|attouch|violé|violer|"
    "violait|violeur|sexuel|photo|suicid|me couper|me pendre|scarifi|automutil|mourir|fin à|avec la vie|de vivre|"
    "maltrait|négligé|rentrer|forcé|obligé|enferm|à manger|couteau| arme|fusil| lame|tuer|sauter|tirer sur"
)
_CONTEXT_WORDS = 3


def _with_context(text: str, start: int, end: int) -> int:
    """Start of the phrase widened to the few words before it ("the officer" + "grabbed me")."""
    words = list(re.finditer(r"\S+", text[max(0, start - 80) : start]))
    if len(words) >= _CONTEXT_WORDS:
        return max(0, start - 80) + words[-_CONTEXT_WORDS].start()
    return max(0, start - 80) + words[0].start() if words else start


# "Officers should not carry a gun in school" is the policy question an SRO review asks, not a threat: a weapon
# phrase whose few words before it name police, or say what someone should or should not do, is opinion.
_WEAPON = re.compile(r"(?:gun|knife|knives|weapon|pistol|rifle|blade|couteau|arme|fusil|pistolet)s?\b")
_ARMED_OFFICERS = re.compile(
    r"\b(?:police|polices|officers?|cops?|sros?|constables?|guards?|security|policiers?|policières?|agents?)\b"
    r"|\b(?:should|shouldn'?t|must|mustn'?t|need\s+to|needs\s+to|allowed\s+to|supposed\s+to|"
    r"devraient|doivent|devrait|doit)\b"
)


def _about_armed_officers(lowered: str, match: re.Match[str]) -> bool:
    """Whether a "threat" match is a weapon phrase about police, or about what people should carry."""
    if not _WEAPON.search(match.group(0)) or re.search(r"\b(?:kill|shoot|stab|murder|attack|bomb|tuer)", match.group(0)):
        return False
    before = lowered[max(0, match.start() - 60):match.start()]
    before = re.split(r"[.!?;\n]", before)[-1]  # this sentence only
    return bool(_ARMED_OFFICERS.search(before + " " + match.group(0)))


def find_safeguarding(text: str) -> list[SafeguardingFlag]:
    """Flag phrases that may disclose self-harm, abuse, violence against the writer, or a threat.

    Kinds: "self_harm", "sexual_abuse", "abuse", "violence", "threat". Built for recall:
    a designated person reviews every flag, so false alarms are expected and cheap.
    A "violence" phrase includes the few words before the verb, to show who did it.
    """
    if not text:
        return []
    lowered = text.lower().replace("’", "'").replace("‘", "'")
    if len(lowered) != len(text):  # a few characters lower-case to two; keep offsets true
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text).replace("’", "'").replace("‘", "'")
    if not _SAFEGUARDING_GATE.search(lowered):
        return []
    flags = []
    for kind, pattern in _SAFEGUARDING:
        for match in pattern.finditer(lowered):
            if kind == "threat" and _about_armed_officers(lowered, match):
                continue
            start = match.start()
            if kind == "violence" and not lowered.startswith("i", start):
                start = _with_context(text, start, match.end())
            flags.append(SafeguardingFlag(kind, text[start : match.end()], start, match.end()))
    return sorted(flags, key=lambda flag: (flag.start, flag.kind))
