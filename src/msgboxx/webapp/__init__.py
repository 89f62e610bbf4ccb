"""The agents' web inbox at ``/app/``: server-rendered pages over the API's own services.

Nothing here holds a rule or runs a statement: the pages ask the same services
the API routers ask, so what an agent may see or do is decided in one place.
"""
