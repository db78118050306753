"""French comments: French stopwords, elisions and Snowball stems for themes, no sentiment score, safeguarding flags."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from engage.analysis.pii import find_safeguarding
from engage.analysis.pipeline import analyse_comments
from engage.analysis.resources import language_name, stopwords
from engage.analysis.sentiment import score_sentiment, sentiment_available
from engage.analysis.text import TextPreparer
from engage.analysis.themes import discover_themes

# Written for these tests: what students might say about the officers and about lunch.
POLICE = [
    "Les policiers dans l'école me rendent nerveux.",
    "Le policier de l'école est gentil avec les élèves.",
    "J'ai peur quand les policiers marchent dans le couloir.",
    "Un policier à l'école, c'est rassurant pour mes parents.",
    "Les policiers devraient parler plus souvent avec les élèves.",
    "Je ne veux pas de policier dans mon école.",
]
LUNCH = [
    "La cafétéria sert des repas froids.",
    "Les repas de la cafétéria coûtent trop cher.",
    "Le temps pour manger à la cafétéria est trop court.",
    "La cafétéria devrait offrir des repas végétariens.",
    "Il faut plus de tables à la cafétéria pour les repas.",
    "Les repas chauds de la cafétéria sont meilleurs en hiver.",
]


def _corpus():
    return (POLICE + LUNCH) * 3 + ["Rien à signaler", "Je ne sais pas"]


def test_language_is_accepted_as_a_code_or_a_name():
    assert language_name("fr") == language_name("French") == language_name(" FR-ca ") == "french"
    assert language_name("en") == language_name("english") == "english"
    with pytest.raises(ValueError, match="unsupported language"):
        language_name("de")
    assert stopwords("fr") is stopwords("french")


def test_french_words_are_stemmed_together_and_elisions_and_stopwords_dropped():
    preparer = TextPreparer("fr")
    stems, surfaces = preparer.analyse("Les policiers de l'école et le policier dont je parle.")
    kept = [s for s in stems if s]
    # "policiers" and "policier" share one stem; "l'école" is read as "école".
    assert kept.count(preparer._stemmer.stem("policier")) == 2
    assert "école" in surfaces
    # Function words ("les", "de", "et", "le", "je", "dont") are not features, and French
    # "dont" is never read as the English "don't".
    assert not {"les", "de", "et", "le", "je", "dont", "not", "l"} & set(surfaces)
    assert len(kept) == 4  # policiers, école, policier, parle


def test_french_themes_group_word_forms_and_leave_out_stopwords():
    texts = _corpus()
    result = discover_themes(texts, n_themes=2, language="fr", random_state=0)
    french_stop = stopwords("french")
    police = result.memberships[0][0][0]
    lunch = result.memberships[len(POLICE)][0][0]
    assert police != lunch
    # Every comment about the officers, whether it says "policier" or "policiers", is in one theme.
    for i, text in enumerate(texts[: len(POLICE + LUNCH)]):
        expected = police if text in POLICE else lunch
        assert result.memberships[i][0][0] == expected, text
    police_theme = next(t for t in result.themes if t.id == police)
    # The two forms are one keyword, shown in the form people used most.
    assert ("policiers" in police_theme.keywords) != ("policier" in police_theme.keywords)
    for theme in result.themes:
        assert not french_stop & set(theme.keywords), theme.keywords
        assert not french_stop & set(theme.label.split(" / ")), theme.label
    assert result.non_answer[-2:] == (True, True)


def test_english_comments_are_still_read_as_english():
    english = ["I don't feel safe with the officer.", "The officers don't listen."] * 3
    assert (discover_themes(english, n_themes=1, language="en").themes
            == discover_themes(english, n_themes=1, language="english").themes)
    preparer = TextPreparer("english")
    assert "not" in preparer.tokens("I don't like it")


def test_sentiment_is_unavailable_for_french():
    assert sentiment_available("en") and sentiment_available("english")
    assert not sentiment_available("fr") and not sentiment_available("french") and not sentiment_available("xx")
    assert score_sentiment(["J'adore cette école.", "Je déteste la cafétéria."], language="fr") == [None, None]


def test_pipeline_on_french_comments_has_french_themes_and_no_sentiment():
    texts = _corpus()
    grades = (["9"] * 6 + ["10"] * 6) * 3 + [None, None]
    result = analyse_comments(texts, segments={"grade": grades}, n_themes=2, min_cell=3, language="fr")
    assert result.language == "french"
    assert all(d.sentiment is None for d in result.documents)
    assert result.sentiment.n == 0 and result.sentiment.mean is None
    assert all(summary.mean is None for summary in result.theme_sentiment.values())
    assert result.documents[0].themes and result.documents[-1].non_answer
    assert result == analyse_comments(texts, segments={"grade": grades}, n_themes=2, min_cell=3, language="french")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "engage.analysis", *map(str, args)], capture_output=True, text=True)


def test_cli_takes_a_language_and_says_sentiment_is_unavailable(tmp_path):
    source = tmp_path / "commentaires.csv"
    with open(source, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["commentaire"])
        writer.writerows([text] for text in _corpus())
    out = tmp_path / "out.json"
    done = _cli("themes", source, "--text-column", "commentaire", "--themes", "2", "--language", "fr", "--out", out)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["language"] == "french" and result["sentiment_available"] is False
    assert all(doc["sentiment"] is None for doc in result["documents"])
    keywords = {word for theme in result["themes"] for word in theme["keywords"]}
    assert not {"policier", "policiers"} <= keywords  # one keyword for both forms
    assert not stopwords("french") & keywords

    bad = _cli("themes", source, "--text-column", "commentaire", "--language", "klingon", "--out", out)
    assert bad.returncode == 2 and "unsupported language" in bad.stderr


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Mon père me frappe quand il boit.", "violence"),
        ("Le policier m'a poussé contre le mur.", "violence"),
        ("J'ai été frappé par un élève dans le couloir.", "violence"),
        ("Je me fais harceler tous les jours.", "violence"),
        ("J'ai envie de mourir.", "self_harm"),
        ("Des fois je veux me tuer.", "self_harm"),
        ("Mon entraîneur m’a touchée.", "sexual_abuse"),
        ("J'ai peur de rentrer à la maison.", "abuse"),
        ("Un gars va apporter un couteau à l'école.", "threat"),
        ("Je vais tous les tuer.", "threat"),
    ],
)
def test_french_disclosures_are_flagged_for_safeguarding(text, kind):
    assert kind in {flag.kind for flag in find_safeguarding(text)}


def test_ordinary_french_comments_raise_no_safeguarding_flag():
    for text in POLICE + LUNCH + ["La violence à l'école me fait peur.", "Il y a une arme de service sur le policier.",
                                  "La cafétéria me plaît.", "Je veux me faire des amis."]:
        assert find_safeguarding(text) == [], text
    assert {flag.kind for flag in find_safeguarding("Je veux me tuer.")} == {"self_harm"}  # not a threat to others
