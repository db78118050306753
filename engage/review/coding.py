"""Review workspace: coding (routes are registered on engage.review.views.bp)."""
