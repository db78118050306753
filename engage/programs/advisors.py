"""Program reviews: advisors (routes on the programs blueprint)."""
from engage.programs.views import bp  # noqa: F401
