"""Messages, conversations, the 24-hour window and the status order."""
