"""The four ISO 20022 messages the bank rail speaks, each built and read only through its official XSD.

`encode` turns a message's content (nested dicts in the schema's element names, `xmlschema`'s convention:
`@Ccy` an attribute, `$` an element's text beside attributes) into XML bytes, refusing content the schema
refuses; `decode` reads bytes back into that shape, refusing a document that breaks the schema, so neither
side ever acts on a message a bank would bounce. Parsing is defused (no DTDs, entities or remote fetches):
the bank's bytes are untrusted until they have been validated.
"""

import enum
from functools import cache
from pathlib import Path
from typing import Any, Final, cast
from xml.etree import ElementTree

import xmlschema

SCHEMA_DIR: Final = Path(__file__).parent / "schemas"
NAMESPACE_PREFIX: Final = "urn:iso:std:iso:20022:tech:xsd:"
XML_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>\n'


class Message(enum.StrEnum):
    """The message versions we ship schemas for (`schemas/README.md` says where each came from)."""

    PAIN_001 = "pain.001.001.09"
    """Customer credit transfer initiation: what the rail asks the bank."""
    PAIN_002 = "pain.002.001.12"
    """Customer payment status report: the bank's answer, at once and later."""
    CAMT_054 = "camt.054.001.08"
    """Bank-to-customer debit/credit notification: an entry booked on the collection account."""
    CAMT_053 = "camt.053.001.08"
    """Bank-to-customer statement: a day's booked entries."""

    @property
    def namespace(self) -> str:
        return NAMESPACE_PREFIX + self.value


class InvalidMessage(ValueError):
    """Bytes that are not well-formed XML, or a document its schema refuses (the reason says where)."""


@cache
def schema(message: Message) -> xmlschema.XMLSchema:
    """The message's schema, compiled once per process (a fraction of a second each)."""
    return xmlschema.XMLSchema(SCHEMA_DIR / f"{message.value}.xsd")


def encode(message: Message, content: dict[str, Any]) -> bytes:
    """The `Document` holding `content`, as UTF-8 XML with the message's namespace as default namespace."""
    try:
        element = schema(message).encode(content, path="Document", namespaces={"": message.namespace})
    except xmlschema.XMLSchemaValidationError as error:
        raise InvalidMessage(f"{message} refused by its schema: {error.reason}") from error
    text = xmlschema.etree_tostring(cast(ElementTree.Element, element), namespaces={"": message.namespace})
    return XML_DECLARATION + str(text).encode("utf-8")


def decode(message: Message, body: bytes) -> dict[str, Any]:
    """The content of a `Document` of `message`, validated (keys without namespace prefixes)."""
    if root_message(body) is not message:
        raise InvalidMessage(f"not a well-formed {message} document")
    try:
        resource = xmlschema.XMLResource(body.decode("utf-8"), defuse="always")
        content = schema(message).to_dict(resource, namespaces={"": message.namespace}, validation="strict")
    except UnicodeDecodeError as error:
        raise InvalidMessage(f"a {message} document is UTF-8") from error
    except xmlschema.XMLSchemaValidationError as error:
        raise InvalidMessage(f"{message} refused by its schema: {error.reason}") from error
    except (xmlschema.XMLResourceError, ElementTree.ParseError, SyntaxError) as error:
        raise InvalidMessage(f"not a well-formed {message} document: {error}") from error
    if not isinstance(content, dict):
        raise InvalidMessage(f"not a {message} document")
    return {key: value for key, value in content.items() if not key.startswith("@xmlns")}


def root_message(body: bytes) -> Message | None:
    """Which of our messages a document claims to be, by its root's namespace (None: none of them); read
    without validating, only to choose the schema that will."""
    try:
        resource = xmlschema.XMLResource(body.decode("utf-8"), defuse="always", lazy=True)
    except (UnicodeDecodeError, xmlschema.XMLResourceError, ElementTree.ParseError, SyntaxError):
        return None
    for message in Message:
        if resource.root.tag == f"{{{message.namespace}}}Document":
            return message
    return None
