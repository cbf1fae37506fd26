"""Reading workbooks: safe bytes to a :class:`~gridbudget.read.book.Book`, then tables to a Submission.

The main entry points are re-exported here and imported on first use, so importing a
submodule (``gridbudget.read.values`` from the data model, say) stays light.
"""

from __future__ import annotations

_EXPORTS = {"open_book": "book", "Book": "book", "Sheet": "book", "Cell": "book", "ReadError": "book",
            "read_submission": "tables", "export_submission": "export"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{mod}"), name)
