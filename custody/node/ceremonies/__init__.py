"""A node's side of the key ceremonies, without HTTP: the service that serialises and audits them
(`service`); DKG and refresh as one joint sharing (`sharing`, with `dkg` and `refresh`); share repair
(`repair`); the relayed messages it signs, seals and checks (`messages`); and the sessions' secret state
between rounds (`sessions`)."""
