"""switchyard workers in Python: ASGI 3 applications behind `switchyard serve` (docs/protocol.md)."""
