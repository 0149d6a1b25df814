"""RF9xx: about waivers and the tool itself."""
from __future__ import annotations

from rackforge.rules import rule


@rule("RF901", "waiver-expired", "warning", "A waiver's expiry date has passed.", check=False)
def _rf901(ctx):
    """
    **What**: a waiver in the design has an `expires` date in the past. It no longer waives anything, and the
    findings it used to cover are reported again.

    **Why**: waivers are debts with a due date; an expired one must be settled or consciously renewed.

    **Fix**: fix what it covered and delete it, or renew it with a new date and an updated reason.
    """
    return ()


@rule("RF902", "waiver-unused", "warning", "A waiver matches no finding.", check=False)
def _rf902(ctx):
    """
    **What**: a waiver names a rule and a target (a JSON Pointer prefix or a rack/mount id) but no finding of
    that rule is at that target.

    **Why**: the problem it excused is gone (or the target is misspelt, so it never worked); stale waivers
    hide future problems at the same place.

    **Fix**: delete it, or correct its target.
    """
    return ()
