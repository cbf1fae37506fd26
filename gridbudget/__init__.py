"""gridbudget: 预算绩效自评 workbooks: templates, reading, validation, scoring, summaries."""

__version__ = "0.1.0"
