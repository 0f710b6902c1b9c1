"""One small class per API group, reached as attributes of the client (``client.chats``, ...)."""
