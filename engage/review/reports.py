"""The What We Heard report in the review workspace: drafting, editing, commitments, workflow, publishing."""
from engage.review.views import bp  # noqa: F401
