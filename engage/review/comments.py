"""Review workspace: comments (routes are registered on engage.review.views.bp)."""
