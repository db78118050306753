"""What We Heard output: safe Markdown, SVG charts, the printable HTML document, the PDF and the open-data CSV.

Everything here renders from a *report data* dict, never from the database, so that a published version (whose
data is frozen in ``ReportVersion.data``) renders the same page, PDF, CSV and charts for as long as it is kept,
even after raw comments are purged. ``engage.services.report_data.build_report_data`` makes the dict; every
count in it is already suppressed (``None`` means hidden). The shape (``schema`` 1)::

    {
      "schema": 1,
      "generated_on": "YYYY-MM-DD",
      "consultation": {"slug", "title", "summary", "description", "purpose", "audience",
                       "opens_on": "YYYY-MM-DD" | None, "closes_on": ...},
      "public_min": int,              # the public minimum group size used for every breakdown
      "identity_min": int,            # the (possibly stricter) minimum for identity groups
      "participation": {
        "respondents": int,           # people (responses), the published overall total
        "comments": int,              # open-text comments from respondents
        "sessions": int,              # focus groups and roundtables (their notes are not people)
        "session_comments": int,
        "first_day": "YYYY-MM-DD" | None, "last_day": ...,
        "channels": [str, ...],       # channel labels that were used
        "tables": [                   # suppressed breakdowns of respondents
          {"key": "channel" | "f<field id>" | "o<option id>", "label": str, "identity": bool, "min": int,
           "note": str, "total": int,
           "rows": [{"label": str, "n": int | None, "share": float | None}]}
        ]
      },
      "method": {
        "source": "codes" | "machine",
        "themes": int, "coded_comments": int,
        "run": {"version": int, "finished_on": "YYYY-MM-DD", "themes": int} | None,
        "agreement": [{"sample": int, "items": int, "kappa": float | None, "percent": float}]
      },
      "questions": [
        {"id": int, "position": int, "prompt": str, "kind": "text" | "single" | "multiple" | "scale",
         "required": bool,
         "respondents": int,          # people who answered it (published overall total)
         "themes": [                  # text questions: respondents mentioning each theme, suppressed
           {"id": int, "name": str, "description": str, "n": int | None, "share": float | None,
            "sentiment": {"mean": float | None, "label": str | None,
                          "positive": int | None, "neutral": int | None, "negative": int | None}}
         ],
         "options": [{"label": str, "n": int | None, "share": float | None}]   # choice and scale questions
        }
      ],
      "themes": [ same shape as a question's theme, over every question, plus "question_ids": [int] ],
      "segments": [                   # theme x segment tables over every text question, suppressed
        {"key": str, "label": str, "identity": bool, "min": int, "total": int,
         "theme_ids": [int],
         "rows": [{"label": str, "n": int | None, "mean_sentiment": float | None,
                   "themes": {"<theme id>": {"n": int | None, "share": float | None}}}]}
      ],
      "findings": [                   # pinned "where groups differ" findings still safe at the public minimum
        {"id": int, "title": str, "note": str, "dimension": str, "value": str, "feature": str,
         "group_n": int, "group_share": float, "rest_n": int, "rest_share": float}
      ],
      "quotes": [                     # approved quotes only: verbatim scrubbed text
        {"id": int, "theme_id": int | None, "question_id": int | None, "text": str, "label": str | None}
      ],
      "commitments": [
        {"id": int, "title": str, "description": str, "status": str, "status_label": str, "reason": str,
         "owner": str, "target_on": "YYYY-MM-DD" | None, "status_changed_on": "YYYY-MM-DD" | None,
         "theme_ids": [int]}
      ],
      "appendix": [{"question_id": int | None, "text": str}]   # approved comments; [] unless included
    }
"""
