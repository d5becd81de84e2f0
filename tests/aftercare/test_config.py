"""Settings read from the environment the way an operator writes them (comma lists, not JSON)."""

from __future__ import annotations

import pytest

from aftercare.config import Settings


def test_languages_from_a_comma_separated_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERCARE_LANGUAGES", "en, pl,th")

    assert Settings().languages == ["en", "pl", "th"]
