"""Which Host headers the preview server answers, and when it warns that others can reach it."""

from __future__ import annotations

import pytest

from sitegen.dev.hosts import exposure_warning, host_name


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("localhost", "localhost"),
        ("LocalHost:8000", "localhost"),
        ("[::1]:8000", "::1"),
        ("[::1]", "::1"),
        ("[::1", ""),
    ],
)
def test_host_name(header: str, expected: str) -> None:
    assert host_name(header) == expected


def test_exposure_warning_only_for_non_loopback_hosts() -> None:
    assert exposure_warning("127.0.0.1") is None
    assert exposure_warning("localhost") is None
    assert exposure_warning("::1") is None
    assert "other machines" in exposure_warning("0.0.0.0")
    assert "all interfaces" in exposure_warning("")
