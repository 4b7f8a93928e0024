"""The contract between the custody coordinator and the signer nodes, in one place.

What crosses the wire: the request and answer bodies (`signing`, `ceremonies`), the evidence a batch intent
may carry (`anchor_leaves`, `bridge_messages`), the identifiers and their one spelling each (`ids`), the
problems a node answers (`errors`), the signed state statements (`state`) and the evidence of a bad-share
accusation (`evidence`). The coordinator and the API import this package, never `custody.node`; the nodes
import it to validate what they receive. Nothing here serves HTTP or touches a node's storage.
"""
