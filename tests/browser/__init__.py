"""Tests that drive `quiz serve` from a real headless Chromium."""
