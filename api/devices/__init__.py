"""`/v1/devices`: a subject's bound devices (registration with proof of possession, list, rename, revoke).

The dependencies that make any route act for a subject (`api.subject`), require a device-signed request or
read a device signal (`api.signed_requests`) are outside this feature, as `api.auth` is: payment routes
declare them too (`api.deps.SubjectDep`, `SignedDevice`, `DeviceCheckDep`, `DeviceSignalDep`)."""
