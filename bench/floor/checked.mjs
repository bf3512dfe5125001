// What the checked floors (server.mjs --checked, dev.mjs) share: the full `http.request` message
// a request must become, and the server's per-request metrics (prom-client, children bound once).
import { Counter, Histogram, Registry } from 'prom-client';

export function requestMessage(req, replyChannel) {
  const raw = req.rawHeaders;
  const headers = [];
  for (let i = 0; i < raw.length; i += 2) headers.push([raw[i].toLowerCase(), raw[i + 1]]);
  const url = req.url;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return {
    type: 'http.request', reply_channel: replyChannel, http_version: '1.1', scheme: 'http',
    path, raw_path: Buffer.from(path, 'latin1'), query_string: Buffer.from(q === -1 ? '' : url.slice(q + 1), 'latin1'),
    root_path: '', headers,
    client: [req.socket.remoteAddress, req.socket.remotePort], server: [req.socket.localAddress, req.socket.localPort],
    method: req.method, body: Buffer.alloc(0), more_body: false, extensions: {}, deadline: Date.now() + 30_000,
  };
}

/** The time a worker took to start the response, the whole request's time, and the answer count. */
export function serverMetrics() {
  const registers = [new Registry()];
  const buckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];
  const duration = new Histogram({ name: 'duration', help: 'h', labelNames: ['protocol'], buckets, registers }).labels('http1');
  const workerWait = new Histogram({ name: 'wait', help: 'h', labelNames: ['protocol'], buckets, registers }).labels('http1');
  const answered = new Counter({ name: 'requests', help: 'h', labelNames: ['protocol', 'code'], registers }).labels('http1', '200');
  return {
    waited: (seconds) => workerWait.observe(seconds),
    answered: (seconds) => {
      duration.observe(seconds);
      answered.inc();
    },
  };
}
