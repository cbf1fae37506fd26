"""Shared pytest configuration."""


def pytest_configure(config):
    # Also declared in pyproject.toml; registering here keeps `--strict-markers` happy
    # when the tests are run from another rootdir.
    config.addinivalue_line("markers", "libreoffice: needs LibreOffice headless (soffice)")
