import send from 'send';
import type { ServerResponse } from 'node:http';
import type { AnyRequest, AnyResponse } from './listener.js';

export interface StaticMount {
  prefix: string;
  dir: string;
}

/**
 * Serves files from the mounted folders with `send` (the library behind serve-static):
 * ETag and Last-Modified with conditional requests, byte ranges, content types, `index.html`
 * for folders, no dotfiles, no escaping the folder. Resolves false when no file matches, so
 * the request goes on to the workers.
 */
export function serveStatic(req: AnyRequest, res: AnyResponse, path: string, query: string, mounts: readonly StaticMount[]): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return Promise.resolve(false);
  // Mounts are sorted longest prefix first, so /static wins over / whatever their order.
  const mount = mounts.find(({ prefix }) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
  if (mount === undefined) return Promise.resolve(false);
  const relative = path.slice(mount.prefix.length).replace(/^\/*/, '/');
  return new Promise((resolve) => {
    const stream = send(req as never, encodeURI(relative), { root: mount.dir, index: ['index.html'], dotfiles: 'ignore' });
    stream.on('error', (error: { status?: number }) => {
      if (error.status === 404 && !res.headersSent) return resolve(false);
      if (!res.headersSent) {
        res.writeHead(error.status ?? 500);
        res.end();
      } else {
        res.destroy();
      }
      resolve(true);
    });
    stream.on('directory', () => {
      // A folder without its slash: redirect, so relative links in its index resolve.
      res.writeHead(301, { location: folderLocation(path, query) });
      res.end();
      resolve(true);
    });
    stream.on('end', () => resolve(true));
    res.once('close', () => resolve(true)); // the client left mid-file
    stream.pipe(res as ServerResponse);
  });
}

/**
 * `path` + `/`, percent-encoded segment by segment, with leading slashes and backslashes
 * collapsed so that `//evil.example/..` can never become a redirect to another host.
 */
export function folderLocation(path: string, query: string): string {
  const local = `/${path.replace(/^[/\\]+/, '')}`;
  const encoded = local.split('/').map(encodeURIComponent).join('/');
  return `${encoded}/${query ? `?${query}` : ''}`;
}

export function sortMounts(mounts: readonly StaticMount[]): StaticMount[] {
  return [...mounts].sort((a, b) => b.prefix.length - a.prefix.length);
}
