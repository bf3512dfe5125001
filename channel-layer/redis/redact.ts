/**
 * A Redis URL fit to print: the password (in the user part or as a `password` query parameter,
 * both of which ioredis reads) replaced by `***`. Every message, log line and `status` output
 * that names a Redis URL goes through here; a string that is not a URL with credentials comes
 * back unchanged, so any setting value can be passed.
 */
export function redactUrl(text: string): string {
  if (!text.includes('@') && !/[?&]password=/i.test(text)) return text;
  try {
    const url = new URL(text);
    if (url.password !== '') url.password = MASK;
    else if (url.username !== '') url.username = MASK; // `redis://secret@host`: some clients read a lone user part as the password
    if (url.searchParams.has('password')) url.searchParams.set('password', MASK);
    return url.toString().replaceAll(encodeURIComponent(MASK), MASK);
  } catch {
    // Not a URL (a typo in a setting): mask whatever stands before an `@` or after `password=`.
    return text.replace(/\/\/[^/@\s]*@/g, `//${MASK}@`).replace(/(password=)[^&\s]*/gi, `$1${MASK}`);
  }
}

const MASK = '***';
