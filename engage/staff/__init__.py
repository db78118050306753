"""The signed-in staff home page, for every staff role."""
