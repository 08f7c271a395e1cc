"""Tests of `sitegen.output`, one file per module."""
