"""Tests of `sitegen.text`, one file per module."""
