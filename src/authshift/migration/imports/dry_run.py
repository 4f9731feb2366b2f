"""How a dry run states its outcomes, in the CLI's report and in the admin API's results alike.

A dry run writes nothing, so its report says what a real run *would* do (``would_insert``,
``would_update``, ``would_skip``; ``failed`` stays ``failed``) and gives no id for a user it would
create: the planner draws one to classify the record, but that id never exists, and a team that
copies it into a ticket or a script is misled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["DRY_RUN_OUTCOMES", "dry_run_view", "stored_outcome"]

DRY_RUN_OUTCOMES: Mapping[str, str] = {
    "inserted": "would_insert", "updated": "would_update", "skipped": "would_skip", "failed": "failed",
}
_STORED = {shown: stored for stored, shown in DRY_RUN_OUTCOMES.items()}


def dry_run_view(outcome: Mapping[str, Any]) -> dict[str, Any]:
    """One record's outcome as a dry run states it: what would happen, no id for a user not created."""
    view = dict(outcome)
    view["outcome"] = DRY_RUN_OUTCOMES.get(view["outcome"], view["outcome"])
    if view["outcome"] == "would_insert":
        view["user_id"] = None
    return view


def stored_outcome(name: str) -> str:
    """The outcome as stored, for a filter that may use either name (``would_insert`` = ``inserted``)."""
    return _STORED.get(name, name)
