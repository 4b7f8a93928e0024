"""Providers for routes that need more than a session: a device-signed request (`api.deps.SignedDevice`,
`api.deps.DeviceCheckDep`), and the device signal of a request for the risk engine
(`api.deps.DeviceSignalDep`).

`SignedDevice` verifies the request's device headers (docs/risk.md, "Devices") for the signed-in customer
(`api.subject.customer_subject`): 401 `device-signature-refused` naming the header at fault otherwise.
`DeviceCheckDep` does the same and adds the request's fingerprint signal (None while the server has no
fingerprint key: a signal is never required). A route whose subject comes from elsewhere calls
`verify_device_request(request, session, subject_id)` itself: the payment confirmation does, for the
intent's customer, whose device signs the merchant's confirm (`api.payment_intents.confirmation`). The
body it hashes is the raw body as received and the target is the path and query exactly as sent
(`raw_path`), so what the device signed is what the server checks, byte for byte. The nonce is recorded and
committed before the route runs: a request refused later (or retried) needs a new signature and nonce;
retrying an operation safely is the Idempotency-Key's job, not the signature's.

`DeviceSignalDep` fingerprints the request's attributes and records the sighting for the subject. The key
is loaded at start from `device_fingerprint_key_path` (`devices_lifespan`); without it, 503.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import Depends, FastAPI, Header, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.customer_sessions import app_clock
from api.db import get_session
from api.devices.service import problem
from api.errors import ServiceUnavailable, problem_doc
from api.subject import Subject, customer_subject
from risk.devices import errors
from risk.devices.canonical import DEVICE_ID_HEADER, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from risk.devices.fingerprint import (
    DeviceSignal,
    Fingerprinter,
    FingerprintKeyError,
    RequestAttributes,
    observe,
)
from risk.devices.verifier import Clock, RequestVerifier, SignedRequest, VerifiedDevice

log = logging.getLogger("api.devices")

TLS_FINGERPRINT_HEADER: Final = "X-TLS-Fingerprint"
"""Where the TLS-terminating proxy passes the client's TLS fingerprint (JA3/JA4) on; it must strip the header
from what clients send. Only ever a signal."""
SIGNATURE_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    401: problem_doc(
        "No valid session, or the request is not validly signed by one of the customer's active devices: "
        "`reason` says why, `errors` names the TPW-Device-* header at fault."
    ),
}
"""Pass as (part of) the ``responses`` of a route that takes `SignedDevice`."""


class DeviceSignalUnavailable(
    ServiceUnavailable, problem="device-signal-unavailable", title="Device signal unavailable"
):
    """The server has no device fingerprint key (no file at its device_fingerprint_key_path)."""


@asynccontextmanager
async def devices_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the fingerprint key for the app's life (`app.state.device_fingerprinter`); a malformed file
    stops the start, a missing one only the routes that ask for a device signal."""
    path = app.state.settings.device_fingerprint_key_path
    fingerprinter: Fingerprinter | None = None
    if path.exists():
        try:
            fingerprinter = Fingerprinter.from_file(path)
        except FingerprintKeyError as error:
            raise RuntimeError(str(error)) from None
    else:
        log.warning("devices: no fingerprint key, device signals are unavailable", extra={"path": str(path)})
    app.state.device_fingerprinter = fingerprinter
    try:
        yield
    finally:
        app.state.device_fingerprinter = None


def _request_target(request: Request) -> str:
    """The request target as sent: the raw path, and `?query` if there is one."""
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope.get("query_string", b"")
    return raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")


def _verify_and_commit(
    session: Session, verifier: RequestVerifier, subject_id: str, signed: SignedRequest
) -> VerifiedDevice:
    try:
        verified = verifier.verify(session, subject_id, signed)
    except errors.SignatureRefused as error:
        session.rollback()
        raise problem(error) from None
    session.commit()
    return verified


def _device_header(name: str, what: str) -> Any:
    return Header(alias=name, description=f"{what} (docs/risk.md, Devices).")


def _signed_request(
    request: Request,
    body: bytes,
    device_id: str | None,
    timestamp: str | None,
    nonce: str | None,
    signature: str | None,
) -> SignedRequest:
    return SignedRequest(
        request.method, _request_target(request), body, device_id, timestamp, nonce, signature
    )


async def verify_device_request(request: Request, session: Session, subject_id: str) -> VerifiedDevice:
    """The device of `subject_id` that signed `request` (its `TPW-Device-*` headers, its raw body), the
    nonce recorded and committed; 401 `device-signature-refused` naming the header otherwise. For routes
    that learn their subject otherwise than from the caller's session."""
    headers = request.headers
    signed = _signed_request(
        request,
        await request.body(),
        headers.get(DEVICE_ID_HEADER),
        headers.get(TIMESTAMP_HEADER),
        headers.get(NONCE_HEADER),
        headers.get(SIGNATURE_HEADER),
    )
    return await _verify(request, session, subject_id, signed)


async def _verify(
    request: Request, session: Session, subject_id: str, signed: SignedRequest
) -> VerifiedDevice:
    tolerance = request.app.state.settings.device_signature_tolerance_seconds
    verifier = RequestVerifier(tolerance, app_clock(request))
    return await run_in_threadpool(_verify_and_commit, session, verifier, subject_id, signed)


async def signed_device(
    request: Request,
    subject: Annotated[Subject, Depends(customer_subject)],
    session: Annotated[Session, Depends(get_session)],
    device_id: Annotated[
        str | None, _device_header(DEVICE_ID_HEADER, "The signing device's id, `dev_...`")
    ] = None,
    timestamp: Annotated[
        str | None, _device_header(TIMESTAMP_HEADER, "Unix seconds when the device signed")
    ] = None,
    nonce: Annotated[
        str | None, _device_header(NONCE_HEADER, "16-64 characters of [A-Za-z0-9_-], new for every request")
    ] = None,
    signature: Annotated[
        str | None,
        _device_header(SIGNATURE_HEADER, "The device's signature over the canonical string, base64url"),
    ] = None,
) -> VerifiedDevice:
    """The customer's device that signed this request; 401 if none did."""
    signed = _signed_request(request, await request.body(), device_id, timestamp, nonce, signature)
    return await _verify(request, session, subject.subject_id, signed)


@dataclass(frozen=True)
class DeviceCheck:
    """A device-signed request: the device that signed it, and the request's fingerprint signal for the
    risk engine (None without a fingerprint key). The signal is never proof; the signature is."""

    device: VerifiedDevice
    signal: DeviceSignal | None

    @property
    def device_id(self) -> str:
        return self.device.device_id


async def device_check(
    request: Request,
    device: Annotated[VerifiedDevice, Depends(signed_device)],
    session: Annotated[Session, Depends(get_session)],
) -> DeviceCheck:
    """The signing device and, where the server can fingerprint, the request's device signal."""
    return DeviceCheck(device, await _signal(request, session, device.subject_id))


async def _signal(request: Request, session: Session, subject_id: str) -> DeviceSignal | None:
    """The request's device signal for `subject_id`, its sighting recorded and committed; None without a
    fingerprint key."""
    fingerprinter: Fingerprinter | None = getattr(request.app.state, "device_fingerprinter", None)
    if fingerprinter is None:
        return None
    attributes = RequestAttributes(
        user_agent=request.headers.get("user-agent"),
        accept_language=request.headers.get("accept-language"),
        ip=request.client.host if request.client else None,
        tls_fingerprint=request.headers.get(TLS_FINGERPRINT_HEADER),
    )
    fingerprint = fingerprinter.fingerprint(attributes)
    return await run_in_threadpool(_observe_and_commit, session, subject_id, fingerprint, app_clock(request))


def _observe_and_commit(session: Session, subject_id: str, fingerprint: str, clock: Clock) -> DeviceSignal:
    signal = observe(session, subject_id, fingerprint, clock())
    session.commit()
    return signal


async def device_signal(
    request: Request,
    subject: Annotated[Subject, Depends(customer_subject)],
    session: Annotated[Session, Depends(get_session)],
) -> DeviceSignal:
    """This request's device signal for the subject (recorded as a sighting); 503 without a key."""
    signal = await _signal(request, session, subject.subject_id)
    if signal is None:
        raise DeviceSignalUnavailable("this server has no device fingerprint key: no file at its key path")
    return signal
