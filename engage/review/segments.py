"""Review workspace: segments (routes are registered on engage.review.views.bp)."""
