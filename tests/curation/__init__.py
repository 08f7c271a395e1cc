"""Tests of `sitegen.curation`, one file per module."""
