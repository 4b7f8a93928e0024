"""`/v1/devices`: a subject's bound devices (registration with proof of possession, list, rename, revoke),
and the dependencies that make a route require a device-signed request (`signed`) or read a device signal."""
