"""What a node keeps in its key store besides nonces: its key shares (`shares`) and its identity keys
(`identity`). These modules say what the store holds in their own errors; the node's services answer them
as the protocol's refusals (`custody.node.refusals`)."""
