"""Shared pytest configuration."""


def pytest_configure(config):
    # Also declared in pyproject.toml; registering here keeps `--strict-markers` happy
    # when the tests are run from another rootdir.
    config.addinivalue_line("markers", "libreoffice: needs LibreOffice headless (soffice)")
    config.addinivalue_line("markers", "browser: needs Chromium and chromedriver (Debian packages chromium, chromium-driver)")


# Timing belongs to scripts/bench.py, not to tests: no per-example deadline on slow CI machines.
from hypothesis import settings as _settings  # noqa: E402

_settings.register_profile("gridbudget", deadline=None)
_settings.load_profile("gridbudget")
