"""Quotes for the What We Heard report: proposing, the re-identification check, approval."""
from engage.review.views import bp  # noqa: F401
