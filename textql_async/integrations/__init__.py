"""Integrations with web frameworks; each module needs its own optional extra.

- :mod:`textql_async.integrations.starlette` (extra ``fastapi``): a lifespan that opens one
  client and one answer relay per app, SSE and websocket responses for relay events.
"""
