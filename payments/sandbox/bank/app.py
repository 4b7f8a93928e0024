"""The sandbox bank's HTTP face: `POST /v1/pain.001` (a credit transfer initiation, answered with a
pain.002), `GET /v1/camt.053?date=&iban=` (an account's statement of a day) and `GET /health`.

XML in and out (`application/xml`); the work is the book's (`book.Book`). Bodies are bounded before they
are read.
"""

import datetime
from typing import Annotated, Final

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from payments.sandbox.bank.book import Book

XML: Final = "application/xml"
MAX_BODY_BYTES: Final = 256 * 1024


def create_app(book: Book) -> FastAPI:
    app = FastAPI(title="TPWallet sandbox bank (ISO 20022)", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/pain.001")
    async def initiate(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(413, f"a pain.001 here is at most {MAX_BODY_BYTES} bytes")
        answer = await run_in_threadpool(book.submit, body)
        return Response(answer.body, status_code=answer.status_code, media_type=XML)

    @app.get("/v1/camt.053")
    def statement(
        date: Annotated[datetime.date, Query(description="The statement's day (UTC).")],
        iban: Annotated[str, Query(min_length=5, max_length=34, pattern="^[A-Z0-9]+$")],
    ) -> Response:
        document = book.statement(iban, date)
        if document is None:
            raise HTTPException(404, "this bank holds no such account")
        return Response(document, media_type=XML)

    return app
