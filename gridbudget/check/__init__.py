"""Checking a submission: findings, the rule engine and its rules, indicators, report prose."""
