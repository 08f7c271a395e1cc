"""Tests of `sitegen.sources`, one file per module."""
