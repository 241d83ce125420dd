"""Widgets of the review app: card view, grade bar and session bar."""
