"""``python -m custody.node``: run the signer node described by ``TPW_NODE_*``
(see `custody.node.http.server`)."""

from custody.node.http.server import main

main()
