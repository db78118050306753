"""Engage's text-analysis library: pure Python, NLTK and scikit-learn, with no Flask or database imports."""
