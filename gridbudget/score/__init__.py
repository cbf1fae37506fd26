"""Scoring a submission by a profile (``score/profiles/*.toml``)."""
