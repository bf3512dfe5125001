"""The wire protocol as docs/protocol.md gives it: envelope, codec, key layout (one Redis server)."""

import time
from pathlib import Path

import msgpack

PROTOCOL_VERSION = 4

#: The layer's scripts, byte for byte its own (a test in the repository checks the copies).
SEND_SCRIPT = (Path(__file__).parent / "send-v2.lua").read_text()
GROUP_JOINED_SCRIPT = (Path(__file__).parent / "group-joined-v1.lua").read_text()

#: The layer's defaults (channel-layer/options.ts).
EXPIRY_MS = 60_000
INBOX_CAPACITY = 10_000
CAPACITY = 1_000
HEARTBEAT_INTERVAL_MS = 10_000
HEARTBEAT_TIMEOUT_MS = 35_000


class WireFormatError(Exception):
    """An envelope that cannot be read."""


def now_ms() -> int:
    return int(time.time() * 1000)


def pack_envelope(target, message: dict, sent_at: int | None = None) -> bytes:
    """[version, sentAt, target, message]: bytes as bin, strings as str, maps with string keys.
    `target` is a channel, or for a group delivery [group, member, …]."""
    return msgpack.packb([PROTOCOL_VERSION, now_ms() if sent_at is None else sent_at, target, message], use_bin_type=True)


def unpack_envelope(data: bytes) -> tuple[int, object, dict]:
    """(sentAt, target, message) of an envelope, or WireFormatError."""
    try:
        value = msgpack.unpackb(data, raw=False)
    except Exception as error:  # noqa: BLE001 - any decoder failure is a wire format error
        raise WireFormatError(f"undecodable envelope: {error}") from error
    if not isinstance(value, list) or len(value) != 4:
        raise WireFormatError("envelope is not a 4-element array")
    version, sent_at, target, message = value
    if version != PROTOCOL_VERSION:
        raise WireFormatError(f"envelope of protocol version {version}, this worker speaks {PROTOCOL_VERSION}")
    if not isinstance(sent_at, (int, float)):
        raise WireFormatError("envelope has no send time")
    if not (isinstance(target, str) and target) and not (isinstance(target, list) and target and all(isinstance(t, str) and t for t in target)):
        raise WireFormatError("envelope has no target")
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise WireFormatError('envelope carries no message with a "type"')
    return sent_at, target, message


def close_reason(reason: str) -> str:
    """A close reason within the 123 UTF-8 bytes a close frame allows, cut on a character boundary."""
    return reason.encode("utf-8")[:123].decode("utf-8", errors="ignore")


class Keys:
    """Where a namespace's channels live on one Redis server (keys.ts)."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.alive = f"{prefix}:alive"

    def list(self, channel: str) -> str:
        """A channel's list; a process-specific channel (`proc!n`) lives in its process's inbox."""
        bang = channel.find("!")
        name = channel if bang == -1 else channel[: bang + 1]
        return f"{self.prefix}:ch:{{{name}}}"

    def receivers(self, channel: str) -> str:
        return f"{self.prefix}:receivers:{{{channel}}}"

    def group(self, group: str) -> str:
        return f"{self.prefix}:group:{{{group}}}"

    def joined(self, inbox: str) -> str:
        return f"{self.prefix}:joined:{{{inbox}}}"
