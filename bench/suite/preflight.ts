/** One request before the load, to be sure the server answers what the load generator will count. */
import http2 from 'node:http2';

/** GET over HTTP/1.1 (fetch); throws unless 200 with `body`. */
export async function checkHttp1(url: string, body: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (response.status !== 200 || text !== body) throw new Error(`GET ${url} over HTTP/1.1: ${response.status} ${JSON.stringify(text.slice(0, 200))}, expected 200 ${JSON.stringify(body)}`);
}

/** GET over h2c (prior knowledge); throws unless 200 with `body`. */
export async function checkH2c(url: string, body: string): Promise<void> {
  const { origin, pathname } = new URL(url);
  const session = http2.connect(origin);
  try {
    const [status, text] = await new Promise<[number, string]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`GET ${url} over h2c: no answer in 10 s`)), 10_000);
      session.once('error', reject);
      const stream = session.request({ ':path': pathname });
      let status = 0;
      let text = '';
      stream.once('response', (headers) => (status = Number(headers[':status'])));
      stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      stream.once('end', () => {
        clearTimeout(timer);
        resolve([status, text]);
      });
      stream.once('error', reject);
    });
    if (status !== 200 || text !== body) throw new Error(`GET ${url} over h2c: ${status} ${JSON.stringify(text.slice(0, 200))}, expected 200 ${JSON.stringify(body)}`);
  } finally {
    session.destroy();
  }
}
