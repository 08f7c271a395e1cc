"""Tests that run the built site in a real browser (package: keeps this conftest apart)."""
