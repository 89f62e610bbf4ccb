"""The HTTP edge: problem+json, request ids, sessions, principals, routing."""
