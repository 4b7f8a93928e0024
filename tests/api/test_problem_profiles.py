"""`custody.problems`: the two services' profiles differ only in what they state, and a document's members
keep RFC 9457's order with the extensions after them."""

from http import HTTPStatus

from api.custody.errors import CustodyValidationError
from api.errors import API_PROBLEMS, ApiError, InvalidRequest
from custody.node.http.problems import NODE_PROBLEMS
from custody.problems import problem_body
from custody.protocol.errors import MalformedRequest, NodeError

ERRORS = [{"loc": ("body", "intent", "chain_id"), "msg": "bad"}, {"loc": ("body", "amount"), "msg": "worse"}]


def test_a_document_lists_the_standard_members_first_then_the_extensions() -> None:
    body = problem_body(HTTPStatus.CONFLICT, "urn:x:y", "Y", "what", "/path", {"extra": 1})

    assert list(body) == ["type", "title", "status", "detail", "instance", "extra"]
    assert type(body["status"]) is int


def test_the_profiles_state_the_prefix_and_the_validation_status() -> None:
    assert (API_PROBLEMS.type_prefix, API_PROBLEMS.validation_status) == ("urn:tpwallet:problem:", 422)
    assert (NODE_PROBLEMS.type_prefix, NODE_PROBLEMS.validation_status) == ("urn:tpwallet:custody:", 400)
    assert ApiError.problem_type() == "urn:tpwallet:problem:internal-error"
    assert NodeError.problem_type() == "urn:tpwallet:custody:node-error"


def test_a_field_is_named_with_its_location_on_a_node_and_without_it_on_the_api() -> None:
    node = NODE_PROBLEMS.validation_body("/v1/sign/round1", ERRORS)
    api = API_PROBLEMS.validation_body("/orders", ERRORS)

    assert node["type"] == MalformedRequest.problem_type()
    assert node["detail"] == "invalid value for: body.amount, body.intent.chain_id"
    assert [error["field"] for error in node["errors"]] == ["body.intent.chain_id", "body.amount"]
    assert api["type"] == InvalidRequest.problem_type()
    assert api["detail"] == "invalid value for: amount, intent.chain_id"
    assert list(api) == ["type", "title", "status", "detail", "instance", "request_id", "errors"]


def test_a_refusal_the_api_raises_itself_reads_like_a_validation_error() -> None:
    refused = API_PROBLEMS.error_body("/v1/custody/keys", CustodyValidationError("threshold", "above n"))
    invalid = API_PROBLEMS.validation_body(
        "/v1/custody/keys", [{"loc": ("body", "threshold"), "msg": "above n"}]
    )

    assert refused == invalid
