"""Domain operations shared by views, CLI commands and background jobs. They flush; callers commit."""
