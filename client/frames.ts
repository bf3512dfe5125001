/**
 * The server's framing for switchyard/client (interface-server/websocket/client-frames.ts writes
 * it; README "Client protocol"): each text frame starts with a letter saying what it is.
 */
export interface GroupPosition {
  epoch: string;
  offset: number;
}

export type Frame =
  | { kind: 'message'; text: string }
  | { kind: 'history'; group: string; position: GroupPosition; text: string }
  | { kind: 'position'; group: string; position: GroupPosition }
  | { kind: 'advance'; group: string; position: GroupPosition }
  | { kind: 'followed'; group: string; position: GroupPosition; missed: string | undefined }
  | { kind: 'unknown'; text: string };

function at(text: string): { group: string; position: GroupPosition; rest: string[] } | undefined {
  const [group, epoch, offset, ...rest] = text.split('~');
  const n = Number(offset);
  if (!group || !epoch || !Number.isSafeInteger(n)) return undefined;
  return { group, position: { epoch, offset: n }, rest };
}

export function parseFrame(frame: string): Frame {
  const body = frame.slice(1);
  switch (frame[0]) {
    case 'm':
      return { kind: 'message', text: body };
    case 'h': {
      const newline = body.indexOf('\n');
      const head = newline === -1 ? undefined : at(body.slice(0, newline));
      return head === undefined ? { kind: 'unknown', text: frame } : { kind: 'history', group: head.group, position: head.position, text: body.slice(newline + 1) };
    }
    case 'p': {
      const head = at(body);
      return head === undefined ? { kind: 'unknown', text: frame } : { kind: 'position', group: head.group, position: head.position };
    }
    case 'a': {
      const head = at(body);
      return head === undefined ? { kind: 'unknown', text: frame } : { kind: 'advance', group: head.group, position: head.position };
    }
    case 'f': {
      const head = at(body);
      return head === undefined ? { kind: 'unknown', text: frame } : { kind: 'followed', group: head.group, position: head.position, missed: head.rest[0] };
    }
    default:
      return { kind: 'unknown', text: frame };
  }
}

/** The query a (re)connect carries: the framing asked for, and the last position seen in each group. */
export function connectUrl(base: string, positions: ReadonlyMap<string, GroupPosition>): string {
  // Relative to the page in a browser (`/ws/chat`); http(s) becomes ws(s).
  const url = new URL(base, (globalThis as { location?: { href: string } }).location?.href);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  url.searchParams.set('sy', '1');
  const since = [...positions].map(([group, { epoch, offset }]) => `${group}~${epoch}~${offset}`).join(',');
  if (since === '') url.searchParams.delete('sy_since');
  else url.searchParams.set('sy_since', since);
  return url.toString();
}
