"""The sandbox KYC provider's HTTP face: `POST /v1/checks` (submit an applicant, and for `full` an identity
document, keyed by the platform's `reference`), `GET /v1/checks/{id}` and `GET /health`. JSON in and out;
a malformed submission answers 422 naming the field."""

import datetime
from typing import Annotated, Literal

from fastapi import FastAPI, HTTPException, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool

from payments.sandbox.kyc.outcomes import Applicant
from payments.sandbox.kyc.store import Store


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(min_length=1, max_length=64)
    expires_on: datetime.date | None = None


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    level: Literal["light", "full"]
    full_name: str = Field(min_length=1, max_length=256)
    date_of_birth: datetime.date
    country: str = Field(pattern=r"^[A-Z]{2}$")
    document: DocumentIn | None = None

    @model_validator(mode="after")
    def _full_needs_document(self) -> "SubmissionIn":
        if self.level == "full" and self.document is None:
            raise ValueError("a full check needs a document")
        return self


def create_app(store: Store) -> FastAPI:
    app = FastAPI(title="TPWallet sandbox KYC provider", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/checks")
    async def submit(body: SubmissionIn) -> JSONResponse:
        applicant = Applicant(
            level=body.level,
            full_name=body.full_name,
            date_of_birth=body.date_of_birth,
            country=body.country,
            document_number=body.document.number if body.document else None,
            document_expires_on=body.document.expires_on if body.document else None,
        )
        check, created = await run_in_threadpool(store.submit, body.reference, applicant)
        return JSONResponse(check.to_json(), status_code=201 if created else 200)

    @app.get("/v1/checks/{check_id}")
    def read(check_id: Annotated[str, Path(max_length=40)]) -> JSONResponse:
        check = store.get(check_id)
        if check is None:
            raise HTTPException(404, "no such check")
        return JSONResponse(check.to_json())

    return app
