"""Pre-approved message templates: the only text allowed outside the window."""
