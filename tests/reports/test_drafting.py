"""Drafting What We Heard sections: tokens, facts, stale numbers and hand-typed quotes (pure functions)."""
import copy

from engage.services import reports


def sample_data() -> dict:
    """A small report data dict of schema 1, with a hidden theme count and a hidden participation row."""
    theme = lambda i, name, n, share, label: {  # noqa: E731
        "id": i, "name": name, "description": f"About {name.lower()}.", "n": n, "share": share,
        "sentiment": {"mean": 0.1, "label": label, "positive": None, "neutral": None, "negative": None}}
    return {
        "schema": 1, "generated_on": "2026-11-24",
        "consultation": {"slug": "sro", "title": "SRO review", "summary": "A review.", "description": "We asked.",
                         "purpose": "To decide.", "audience": "The working group.", "opens_on": "2026-09-01",
                         "closes_on": "2026-10-01"},
        "public_min": 10, "identity_min": 15,
        "participation": {
            "respondents": 120, "comments": 110, "sessions": 2, "session_comments": 31,
            "first_day": "2026-09-02", "last_day": "2026-09-30", "channels": ["Online form", "Focus groups"],
            "tables": [{"key": "channel", "label": "Channel", "identity": False, "min": 10, "note": "", "total": 120,
                        "rows": [{"label": "Online form", "n": 112, "share": 0.9333},
                                 {"label": "Paper form", "n": None, "share": None},
                                 {"label": "Email", "n": None, "share": None}]}]},
        "method": {"source": "codes", "themes": 3, "coded_comments": 100, "run": None,
                   "agreement": [{"sample": 1, "items": 40, "kappa": 0.71, "percent": 0.9}]},
        "questions": [
            {"id": 7, "position": 1, "prompt": "What do you think of the program?", "kind": "text",
             "required": True, "respondents": 110, "options": [],
             "themes": [theme(1, "Safety", 64, 0.5818, "positive"), theme(2, "Fear", 23, 0.2091, "negative"),
                        theme(3, "Tickets", None, None, None)]},
            {"id": 8, "position": 2, "prompt": "The officer makes school safer.", "kind": "scale",
             "required": False, "respondents": 100, "themes": [],
             "options": [{"label": "Agree", "n": 60, "share": 0.6}, {"label": "Disagree", "n": None, "share": None},
                         {"label": "Strongly disagree", "n": None, "share": None}]}],
        "themes": [dict(theme(1, "Safety", 64, 0.5818, "positive"), question_ids=[7]),
                   dict(theme(2, "Fear", 23, 0.2091, "negative"), question_ids=[7]),
                   dict(theme(3, "Tickets", None, None, None), question_ids=[7])],
        "segments": [], "findings": [], "quotes": [{"id": 5, "theme_id": 2, "question_id": 7,
                                                    "text": "I get nervous when the officer walks by our class.",
                                                    "label": "Student"}],
        "commitments": [], "appendix": [],
    }


def test_every_token_in_every_machine_draft_is_known():
    data = sample_data()
    fact_map = reports.facts(data)
    for key, _title in reports.SECTIONS:
        body = reports.draft_section(key, data)
        problems = reports.section_problems(key, body, data=data, fact_map=fact_map, facts_at_save={},
                                            approved_texts=set())
        assert problems == [], (key, problems)


def test_hidden_figures_print_as_a_range_and_never_as_a_value():
    fact_map = reports.facts(sample_data())
    # Hidden, and not "fewer than 10": some figures are hidden only to protect a small one, and are not small.
    assert fact_map["t3.n"].text == reports.HIDDEN_TEXT and fact_map["t3.n"].hidden
    assert fact_map["t3.share"].hidden
    assert fact_map["p.channel.paper_form.n"].text == reports.HIDDEN_TEXT
    assert fact_map["t1.n"].text == "64" and fact_map["t1.share"].text == "58%"
    assert fact_map["respondents"].text == "120"
    assert fact_map["agreement.kappa"].text == "0.71"
    assert fact_map["first_day"].text == "September 2, 2026"


def test_summary_draft_ranks_shown_themes_and_uses_tokens_not_numbers():
    body = reports.draft_section("executive_summary", sample_data())
    assert "{{ respondents }}" in body
    assert body.index("Safety") < body.index("Fear")
    assert "Tickets" not in body  # a hidden count cannot be ranked
    assert "64" not in body and "120" not in body  # numbers are tokens, filled in at render time


def test_a_typed_number_is_flagged_once_the_data_it_copied_changes():
    data = sample_data()
    saved = reports.facts_snapshot(reports.facts(data))
    body = "We heard from 120 people, and 64 of them talked about safety. Grade 5 students came too."
    same = reports.section_problems("about", body, data=data, fact_map=reports.facts(data), facts_at_save=saved,
                                    approved_texts=set())
    assert same == []
    changed = copy.deepcopy(data)
    changed["participation"]["respondents"] = 121
    problems = reports.section_problems("about", body, data=changed, fact_map=reports.facts(changed),
                                        facts_at_save=saved, approved_texts=set())
    assert len(problems) == 1
    assert "120" in problems[0].message and "121" in problems[0].message and "{{ respondents }}" in problems[0].message


def test_unknown_tokens_and_misplaced_blocks_are_problems():
    data = sample_data()
    body = "We heard from {{ respondants }} people. {{ block:themes:7 }} inline."
    problems = reports.section_problems("about", body, data=data, fact_map=reports.facts(data), facts_at_save={},
                                        approved_texts=set())
    messages = " ".join(p.message for p in problems)
    assert "respondants" in messages and "line of its own" in messages


def test_quotes_typed_by_hand_are_refused_but_approved_text_is_not():
    data = sample_data()
    fact_map = reports.facts(data)
    typed = 'One student said "the officer scares me when he walks past our class".\n\n> Police make me nervous.'
    problems = reports.section_problems("what_we_heard", typed, data=data, fact_map=fact_map, facts_at_save={},
                                        approved_texts=set())
    assert len(problems) == 2 and all(p.blocking for p in problems)
    approved = 'A student wrote: "I get nervous when the officer walks by our class."'
    assert reports.section_problems("what_we_heard", approved, data=data, fact_map=fact_map, facts_at_save={},
                                    approved_texts={q["text"] for q in data["quotes"]}) == []


def test_rendered_sections_fill_numbers_and_escape_markup():
    data = sample_data()
    html = reports.render_section(
        "We heard from **{{ respondents }}** people; {{ t3.n }} about tickets.\n\n<script>alert(1)</script>\n\n"
        "{{ block:quotes:2 }}\n", data)
    assert "<strong>120</strong>" in html and f"{reports.HIDDEN_TEXT} about tickets" in html
    assert "<script" not in html
    assert "I get nervous when the officer walks by our class." in html


def test_theme_names_cannot_inject_markdown_or_tokens():
    data = sample_data()
    data["themes"][0]["name"] = "[click](javascript:alert(1)) {{ respondents }}"
    data["questions"][0]["themes"][0]["name"] = data["themes"][0]["name"]
    html = reports.render_section(reports.draft_section("what_we_heard", data), data)

    assert 'href="javascript' not in html
