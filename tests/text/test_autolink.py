"""Bare-URL autolinks: the same links as GFM's extension (the plugin sitegen used before),
made in linear time. The timing side is in tests/test_fuzz.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin

from sitegen.text.autolink import autolink_plugin

OURS = MarkdownIt("js-default").use(autolink_plugin)
PLUGIN = MarkdownIt("js-default").use(gfm_autolink_plugin)


@pytest.mark.parametrize("text, html", [
    ("See https://github.com/x/y.", '<p>See <a href="https://github.com/x/y">https://github.com/x/y</a>.</p>\n'),
    ("(www.x.org/a_(b))", '<p>(<a href="http://www.x.org/a_(b)">www.x.org/a_(b)</a>)</p>\n'),
    ("mail me@x.org, or mailto:me@x.org", '<p>mail <a href="mailto:me@x.org">me@x.org</a>, or '
                                         '<a href="mailto:me@x.org">mailto:me@x.org</a></p>\n'),
    ("xmpp:me@x.org/phone", '<p><a href="xmpp:me@x.org/phone">xmpp:me@x.org/phone</a></p>\n'),
    ("https://x.org/?a=1&amp;", '<p><a href="https://x.org/?a=1">https://x.org/?a=1</a>&amp;</p>\n'),
    ("https://github.com/a/b" + ")" * 5, '<p><a href="https://github.com/a/b">https://github.com/a/b</a>)))))</p>\n'),
    ("a:b http:/x x@y _www.x.org", "<p>a:b http:/x x@y _www.x.org</p>\n".replace(
        "_www.x.org", '_<a href="http://www.x.org">www.x.org</a>')),
    ("nowww.x.org [https://x.org](https://y.org) `https://x.org`",
     '<p>nowww.x.org <a href="https://y.org">https://x.org</a> <code>https://x.org</code></p>\n'),
])
def test_bare_urls_and_addresses_become_links(text, html):
    assert OURS.render(text) == html


_PIECES = st.sampled_from([
    "http", "https", "://", ":", "//", "www.", "w", "mailto:", "xmpp:", "@", ".", "..", "a", "x1", "_", "-", "+",
    "/", "(", ")", "[", "]", "<", ">", "&amp;", "&", ";", "*", "~", "?", "!", ",", "'", "\"", " ", "\n", "\t",
    "\\", "`", "é", "Ω", "–", "org", "example", "[x](", "<https://a.b>", "**",
])


@settings(max_examples=1000, deadline=None, database=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_links_are_the_ones_the_gfm_plugin_made(text):
    """Same HTML as mdit-py-plugins' gfm_autolink_plugin on any mix of URL pieces: a
    change in behaviour would change curators' pages."""
    assert OURS.render(text) == PLUGIN.render(text)
