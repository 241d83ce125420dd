"""Screens of the review app: home, review, summary and help."""
