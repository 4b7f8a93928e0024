"""How a signer node's problem documents differ from the API's: `NODE_PROBLEMS`, its `custody.problems`
profile, which the node's handlers and its signing routes answer every refusal with.

A body that does not validate (JSON or not) is a 400 `malformed-request` listing the bad fields with their
location (``body.intent.chain_id``), never their values; an unknown route or method keeps its HTTP status.
Every refusal is a `custody.protocol.errors.NodeError`, answered with its own status and type. Anything
else is a bug or a broken node and answers a bare 500: its message may name files or records, so it goes to
the node's log only.
"""

import logging
from typing import Final

from custody.problems import ProblemProfile
from custody.protocol.errors import MalformedRequest, NodeError

NODE_PROBLEMS: Final = ProblemProfile(
    root=NodeError,
    validation=MalformedRequest,
    fields_with_location=True,
    json_body_problems=False,
    error_log=logging.getLogger("custody.node"),
)
