/**
 * HTTP/2's measure of a header list (RFC 9113 §6.5.2): each field's name and value octets plus
 * 32. Node's HTTP/1.1 parser enforces `maxHeaderBytes` itself and answers 431; on HTTP/2 the
 * protocol's own limit can only reset the stream, so the server measures and answers 431 too.
 */
export function headerListSize(rawHeaders: readonly string[]): number {
  let size = 0;
  for (const field of rawHeaders) size += Buffer.byteLength(field) + 16; // 32 per name-value pair
  return size;
}

/**
 * The limit announced to HTTP/2 peers (SETTINGS_MAX_HEADER_LIST_SIZE): above the one the server
 * answers 431 past, so a list a little too large reaches the server and gets its answer, while
 * nghttp2 still resets streams whose headers would cost real memory.
 */
export function announcedHeaderListSize(maxHeaderBytes: number): number {
  return Math.max(64 * 1024, maxHeaderBytes * 2);
}
