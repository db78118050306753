"""Review workspace: flags (routes are registered on engage.review.views.bp)."""
