"""Settings values that come from the command line or the environment: base URLs,
SOURCE_DATE_EPOCH and the one resolution every command uses (site.yaml as a whole is fuzzed
in test_fuzz.py)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given, settings, strategies as st

from sitegen.diagnostics import SitegenError
from sitegen.settings import Overrides, Settings, effective_settings, normalise_base_url, source_date_epoch


@pytest.mark.parametrize("value, url", [
    ("https://someone.github.io/reading-list", "https://someone.github.io/reading-list/"),
    ("http://localhost:8000/", "http://localhost:8000/"),
    ("https://[::1]/x/", "https://[::1]/x/"),
    ("https://127.0.0.1/", "https://127.0.0.1/"),
    ("https://Papers.Example.org/", "https://Papers.Example.org/"),
    ("/repo", "/repo/"),
])
def test_accepts_urls_and_paths(value, url):
    assert normalise_base_url(value) == (url, None)


@pytest.mark.parametrize("value, says", [
    ("someone.github.io/x", "base_url 'someone.github.io/x' lacks its https:// at the start;"
                            " write https://someone.github.io/x/"),
    ("example.org", "lacks its https:// at the start; write https://example.org/"),
    ("https://exa_mple.org/", "'exa_mple.org' is not a host name"),
    ("https://a..b/", "'a..b' is not a host name"),
    ("https://-x.org/", "'-x.org' is not a host name"),
    ("https://ex ample.org/", "'ex ample.org' is not a host name"),
    ("https://" + "a" * 64 + ".org/", "is not a host name"),
    ("http://localhost:99999/", "the port must be a number from 0 to 65535"),
    ("https://user:secret@example.org/", "a user name or password does not belong in a base URL"),
    ("https://example.org./", "'example.org.' is not a host name"),
    ("https://[::1/", "base_url must look like https://user.github.io/repo/, got 'https://[::1/'"),  # was a ValueError
    ("//[", "base_url must look like https://user.github.io/repo/, got '//['"),
])
def test_refuses_bad_hosts_with_a_reason(value, says):
    url, problem = normalise_base_url(value)
    assert url == "/" and says in problem


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet=st.sampled_from(list("htps:/.-_[]@%0123456789abcxyzAB ~")), max_size=40))
def test_every_accepted_absolute_url_has_a_valid_host(value):
    url, problem = normalise_base_url(value)
    if problem is None and "://" in url:
        host = urlsplit(url).hostname
        try:
            ipaddress.ip_address(host)
        except ValueError:
            assert all(0 < len(label) < 64 and not label.startswith("-") for label in host.split("."))


@pytest.mark.parametrize("value, seconds", [(None, None), ("", None), ("0", 0), (" 1700000000\n", 1700000000),
                                            ("253402300799", 253402300799)])
def test_source_date_epoch_values(value, seconds):
    assert source_date_epoch(value) == seconds


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(st.text(max_size=30), st.text(alphabet="-0123456789", max_size=5000)))
@example("0000000000\x1f\x1f\U00018cd6\U00018d09\U00018d09\U00018d09\U0001b2fc\U0001ed3e\U0001f249\U0002ebe1")
def test_source_date_epoch_is_a_number_or_one_located_error(value):
    try:
        seconds = source_date_epoch(value)
    except SitegenError as refusal:
        [diagnostic] = refusal.diagnostics
        assert diagnostic.path == "SOURCE_DATE_EPOCH" and len(diagnostic.message) < 200
    else:
        assert seconds is None or 0 <= seconds <= 253402300799


def test_effective_settings_are_the_file_then_the_options_then_the_environment(tmp_path, monkeypatch):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "site.yaml").write_text("base_url: https://a.example/x/\noutput: out\nsearch: true\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    settings, warnings = effective_settings(tmp_path, Overrides(base_url="https://b.example/y", search=False))
    assert (settings.base_url, settings.output, settings.search, settings.epoch, warnings) == (
        "https://b.example/y/", "out", False, 1700000000, ())


def test_a_broken_settings_file_raises_unless_defaults_are_asked_for(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "site.yaml").write_text("page_size: many\n")
    with pytest.raises(SitegenError, match="page_size"):
        effective_settings(tmp_path, Overrides(output="elsewhere"))
    settings, _ = effective_settings(tmp_path, Overrides(output="elsewhere"), defaults_if_broken=True)
    assert settings == Settings(output="elsewhere")

