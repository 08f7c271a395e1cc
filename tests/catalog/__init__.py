"""Tests of `sitegen.catalog`, one file per module."""
