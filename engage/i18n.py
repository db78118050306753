"""Languages: which one a page is served in, the switcher, and consultation content per language.

The participant's language comes from, in order: a `?lang=` choice from the switcher, the `lang` cookie that
remembers it (it holds only "en" or "fr", no identifier, so it tracks no one), and the browser's
Accept-Language. Content written for a consultation (titles, questions, options) is looked up per language
and falls back to the consultation's own language, saying so on the page.
"""
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, g, has_request_context, request
from flask_babel import Babel, format_number, get_locale, gettext
from markupsafe import Markup

LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT_LANGUAGE = "en"
COOKIE = "lang"
_COOKIE_AGE = 365 * 24 * 3600

babel = Babel()


def _valid(code: str | None) -> str | None:
    code = (code or "").strip().lower()[:5].split("-")[0].split("_")[0]
    return code if code in LANGUAGES else None


def select_locale() -> str:
    if not has_request_context():  # CLI commands and jobs: messages from shared services stay in English
        return DEFAULT_LANGUAGE
    chosen = _valid(request.args.get("lang"))
    if chosen:
        g.chosen_language = chosen
        return chosen
    return (_valid(request.cookies.get(COOKIE))
            or request.accept_languages.best_match(LANGUAGES)
            or DEFAULT_LANGUAGE)


def current_language() -> str:
    """The page's language as a two-letter code ("en" or "fr")."""
    locale = get_locale()
    return locale.language if locale else DEFAULT_LANGUAGE


def localized(obj, field: str, language: str | None = None) -> str:
    """`obj.field` in `language` (default: the page's), or the original wording if not translated."""
    text, _ = localized_with_fallback(obj, field, language)
    return text


def localized_with_fallback(obj, field: str, language: str | None = None) -> tuple[str, bool]:
    """(text, fell_back): fell_back is True when the wording shown is not in the requested language."""
    language = language or current_language()
    original = getattr(obj, field) or ""
    source = _source_language(obj)
    if language == source:
        return original, False
    translated = ((getattr(obj, "translations", None) or {}).get(language) or {}).get(field) or ""
    if translated.strip():
        return translated, False
    return original, bool(original)


class Localized(str):
    """Consultation wording for a page: a plain string that also knows its language when it is not the page's.

    `lang` is the language code of a fallback (the original wording), or "" when the text is in the page's
    language; `lang_attr` renders ` lang="en"` for such text so screen readers pronounce it right.
    """

    lang = ""


def tr(obj, field: str, language: str | None = None) -> Localized:
    """`obj.field` in the page's language (or `language`), marked with its own language when it falls back."""
    language = language or current_language()
    text, fell_back = localized_with_fallback(obj, field, language)
    result = Localized(text)
    if fell_back:
        result.lang = _source_language(obj)
    return result


def as_written(text, language: str | None) -> Localized:
    """Wording that has no translations (a commitment, a report): marked with its language if not the page's."""
    result = Localized(text or "")
    if language and language != current_language() and result:
        result.lang = language
    return result


def source_language(consultation) -> str:
    """The language a consultation's own content is written in."""
    return _source_language(consultation)


def lang_of(text) -> Markup:
    """` lang="en"` for wording shown in its original language (and noted, so the page says so once), else ""."""
    lang = getattr(text, "lang", "")
    if not lang:
        return Markup("")
    g.setdefault("content_fallbacks", set()).add(lang)
    return Markup(' lang="%s"') % lang


def content_fallbacks() -> list[str]:
    """Languages of the original wording shown on this page because a translation was missing."""
    return sorted(g.get("content_fallbacks", ()))


def offered_languages(consultation=None) -> dict[str, str]:
    """The switcher's languages: the consultation's own list on its pages (the page's language always stays)."""
    listed = [code for code in (getattr(consultation, "languages", None) or ()) if code in LANGUAGES]
    if not listed:
        return LANGUAGES
    current = current_language()
    return {code: name for code, name in LANGUAGES.items() if code in listed or code == current}


def _source_language(obj) -> str:
    if getattr(obj, "source_language", None):
        return obj.source_language
    consultation = getattr(obj, "consultation", None) or getattr(getattr(obj, "question", None), "consultation",
                                                                 None) \
        or getattr(getattr(obj, "field", None), "consultation", None)
    languages = getattr(obj, "languages", None) or getattr(consultation, "languages", None) or [DEFAULT_LANGUAGE]
    return languages[0]


def translate_stored(text: str | None) -> str:
    """A message stored in English (a run's status, a rejection reason) in the page's language if the catalogue
    knows it, else as stored. Unlike `_()` in a template, this never %-formats, so any stored text is safe."""
    return gettext(text) if text else ""


def _remember_choice(response):
    chosen = g.get("chosen_language")
    if chosen and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=_COOKIE_AGE, secure=request.is_secure, httponly=True,
                            samesite="Lax")
    if request.endpoint != "static":  # a stylesheet or script is the same in every language
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def switch_url(language: str) -> str:
    """The current page in another language (keeps the other query arguments)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [language]
    return request.path + "?" + urlencode(args, doseq=True)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(app.root_path).parent / "translations"))
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_remember_choice)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES, current_language=current_language, switch_url=switch_url, localized=localized,
        localized_with_fallback=localized_with_fallback, tr=tr, lang_of=lang_of, as_written=as_written, source_language=source_language, content_fallbacks=content_fallbacks,
        offered_languages=offered_languages,
    )
    app.jinja_env.filters["translated"] = translate_stored
    from engage.reporting.blocks import long_date  # one way to write a date, for pages and report files alike

    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["number"] = format_number
