"""The coordinator's entries in its own audit log: appended as the coordinator, off the event loop."""

import asyncio
from collections.abc import Mapping
from typing import Any

from custody.audit import AuditLog
from custody.tls import COORDINATOR_COMMON_NAME


async def record(audit: AuditLog, action: str, subject: str, details: Mapping[str, Any]) -> None:
    """Append `action` on `subject` with `details` to `audit`, durably, in a worker thread (it fsyncs)."""
    await asyncio.to_thread(
        audit.append, actor=COORDINATOR_COMMON_NAME, action=action, subject=subject, details=details
    )
