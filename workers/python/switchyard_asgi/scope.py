"""What an ASGI scope takes from a request or a connection (the protocol's connection scope)."""


def connection_scope(message: dict, kind: str) -> dict:
    """The scope fields that HTTP requests and WebSocket connections share, for scope type `kind`."""
    return {
        "type": kind,
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": message["http_version"],
        "scheme": message["scheme"],
        "path": message["path"],
        "raw_path": bytes(message["raw_path"]),
        "query_string": bytes(message["query_string"]),
        "root_path": message.get("root_path", ""),
        # Header names arrive lower-case; ASGI wants bytes.
        "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in message["headers"]],
        "client": tuple(message["client"]) if message.get("client") else None,
        "server": tuple(message["server"]) if message.get("server") else None,
        "state": {},
    }
