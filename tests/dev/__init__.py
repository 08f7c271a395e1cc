"""Tests of `sitegen.dev`, one file per module."""
