"""The dispatcher: claims due messages, hands them to channels, records outcomes."""
