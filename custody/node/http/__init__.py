"""The signer node's HTTP face: the app (`app`), the server over mutual TLS 1.3 (`server`, `transport`), who
may call what (`peer`), the routes, and how refusals are answered (`problems`). Everything a route does is
done by `custody.node.signing` or `custody.node.ceremonies`, which know nothing of HTTP."""
