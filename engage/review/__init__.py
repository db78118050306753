"""The review workspace for review working groups (reviewer role)."""
