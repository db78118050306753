"""Review workspace: themes (routes are registered on engage.review.views.bp)."""
