"""Conversations as a team works them: who has one, open or resolved, read up to when,
the agents' private notes in the thread, and the organisation's canned replies.

A conversation is the thread between one inbox and one contact (its id is
``messages.accepting.conversation_id``); this domain keeps the state a shared
inbox needs beside the messages themselves.
"""
