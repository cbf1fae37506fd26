"""Collection for a bureau (issue 14, part 3): tasks, units with their own upload links, status."""

from __future__ import annotations


def collection_routes(cfg, sessions, page, form_of, store_upload, run_check, Refused) -> list:
    return []
