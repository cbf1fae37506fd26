"""The rule catalogue. Each rule is a small function registered with a stable code.

Codes: ``W-`` 表内 (within a table), ``X-`` 表间 (across tables), ``S-`` 计分 (weights
and scores), ``D-`` 偏差说明 (deviation notes, 计分), ``C-`` 完整性 (completeness and
readability), ``Y-`` 跨年 (across years), ``F-`` 下发 (handed-out figures changed, ``handout``); ``plausible`` holds the plausibility checks (a date
or a 元 figure in a 万元 cell, a table on a hidden sheet). Policy sources are in RULES.md (A*, H*, V*, D*).
"""

from . import within, scoring, across, complete, years, rescore, report, plausible, handout  # noqa: F401  (import order is registration order)
