"""Request targets decoded once and refused when unsafe, base paths, and the live-reload script
added to served HTML (the answers themselves are tested through a running server in test_server)."""

from __future__ import annotations

import pytest

from sitegen.dev.responses import canonical_path, inject_script, normalise_base_path


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/", "/"),
        ("/repo/papers/", "/repo/papers/"),
        ("/repo/a%20b.html?x=1#top", "/repo/a b.html"),
        ("/repo/%252f", "/repo/%2f"),
        ("/repo/..", None),
        ("/repo/../x", None),
        ("/repo/%2e%2e%2fx", None),
        ("/repo/./index.html", None),
        ("/repo//etc/passwd", None),
        ("/repo/%2Fetc%2Fpasswd", None),
        ("/repo/a%5cb", None),
        ("/repo/a\\b", None),
        ("/repo/a%00b", None),
        ("/repo/%ff", None),
        ("repo/index.html", None),
        ("http://evil.example/repo/", None),
    ],
)
def test_canonical_path(target: str, expected: str | None) -> None:
    assert canonical_path(target) == expected


@pytest.mark.parametrize(
    ("given", "expected"), [("/", "/"), ("", "/"), ("repo", "/repo/"), ("/my%20repo/", "/my repo/")]
)
def test_normalise_base_path(given: str, expected: str) -> None:
    assert normalise_base_path(given) == expected


def test_inject_script_goes_before_the_last_body_end() -> None:
    assert inject_script(b"<body>a</BODY >", b"<s>") == b"<body>a<s></BODY >"
    assert inject_script(b"<p>a</body><!-- </body> -->", b"<s>") == b"<p>a</body><!-- <s></body> -->"
    assert inject_script(b"<p>fragment</p>", b"<s>") == b"<p>fragment</p><s>"
