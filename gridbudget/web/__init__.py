"""``gridbudget serve``: check a workbook in the browser (Starlette + Jinja2, served by uvicorn).

Needs the optional extra ``web``: ``python3 -m pip install -e '.[web]'``.
"""

from __future__ import annotations
