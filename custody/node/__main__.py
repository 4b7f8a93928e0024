"""``python -m custody.node``: run the signer node described by ``TPW_NODE_*`` (see `custody.node.server`)."""

from custody.node.server import main

main()
