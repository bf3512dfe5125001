/**
 * Where a switchyard process's stdout goes during the suite: a file, not a pipe. With its
 * shipped defaults a loaded server writes an access-log line per request, each a write of its
 * own; a process reading a pipe wakes for nearly every one (measured on the 2-core machine the
 * suite runs on: 4–17 µs of a Node reader's CPU per line, by how the writes bunch up, i.e. up to
 * half a core at 30k lines/s, taken from what is measured). Writing to a file costs the writer
 * about what a pipe does (on Linux both are synchronous writes), and no reader anything:
 * the suite reads it only when asked, after the measured window, skipping the lines below
 * warnings (counted, never parsed or kept).
 *
 * The file is unlinked as soon as it is open: it lives as long as the child's and our
 * descriptors, and nothing is left behind however the suite ends.
 */
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Pino's level of warnings. */
export const WARN = 40;
const CHUNK = 1 << 22;
const NEWLINE = 0x0a;

export interface LogLine {
  level: number;
  msg: string;
}

export class LogFile {
  /** The descriptor to hand to the child as its stdout; `handedOver()` closes our copy. */
  readonly writeFd: number;
  private readonly readFd: number;
  private offset = 0;
  private below = 0;
  private readonly kept: LogLine[] = [];
  private closed = false;
  /** The first lines read, whatever their level, for failure messages. */
  private head = '';

  constructor() {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-log-'));
    const path = join(dir, 'stdout.log');
    this.writeFd = openSync(path, 'a');
    this.readFd = openSync(path, 'r');
    rmSync(dir, { recursive: true, force: true });
  }

  handedOver(): void {
    closeSync(this.writeFd);
  }

  /** Lines below warnings written so far. */
  belowWarn(): number {
    this.read();
    return this.below;
  }

  /** Warnings and worse (and lines that are not pino JSON) written so far. */
  warnings(): LogLine[] {
    this.read();
    return this.kept;
  }

  /** The first few KiB written, for a failure message. */
  start(): string {
    this.read();
    return this.head;
  }

  /** Frees the file (once the child is gone too); what was read stays readable. */
  close(): void {
    if (!this.closed) closeSync(this.readFd);
    this.closed = true;
  }

  /** Scans what was appended since the last read, up to its last complete line. */
  private read(): void {
    if (this.closed) return;
    const size = fstatSync(this.readFd).size;
    while (this.offset < size) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size - this.offset));
      const length = readSync(this.readFd, buffer, 0, buffer.length, this.offset);
      const end = buffer.lastIndexOf(NEWLINE, length - 1);
      if (end === -1) return; // a line still being written (or one longer than CHUNK: left unread)
      this.scan(buffer.subarray(0, end + 1));
      this.offset += end + 1;
    }
  }

  private scan(lines: Buffer): void {
    if (this.head.length < 4_096) this.head += lines.toString('utf8', 0, Math.min(lines.length, 4_096 - this.head.length));
    for (let start = 0; start < lines.length; ) {
      const end = lines.indexOf(NEWLINE, start);
      if (end === start) {
        start++;
        continue;
      }
      // pino writes the level first: `{"level":30,…`. Only the line's first bytes are decoded.
      const level = /^\{"level":(\d+)/.exec(lines.toString('latin1', start, Math.min(end, start + 16)))?.[1];
      if (level !== undefined && Number(level) < WARN) this.below++;
      else this.kept.push(parse(lines.toString('utf8', start, end)));
      start = end + 1;
    }
  }
}

function parse(line: string): LogLine {
  try {
    const { level, msg } = JSON.parse(line) as Partial<LogLine>;
    if (typeof level === 'number') return { level, msg: String(msg) };
  } catch {
    // not a log line
  }
  return { level: WARN, msg: `not a log line: ${line.slice(0, 200)}` };
}
