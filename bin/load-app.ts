import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { appFromModule, type App } from '../consumers/index.js';
import { describeError } from '../schemas/index.js';

/**
 * The app module could not be loaded: its own error (a syntax error, a throw at the top level, a
 * missing import) is the cause, and the command prints the cause's stack, which points into
 * the user's file.
 */
export class AppLoadError extends Error {
  override readonly name = 'AppLoadError';
  constructor(file: string, cause: unknown) {
    super(`could not load ${file}: ${describeError(cause)}`, { cause });
  }
}

let typeScriptHooks: Promise<void> | undefined;

/**
 * tsx's hooks for both module systems: whether app.ts is ESM or CommonJS depends on the
 * user's package.json (`npm init` writes `"type": "commonjs"`), and a CommonJS-scope .ts file
 * written with `import` loads only when the CommonJS side is hooked too.
 */
function registerTypeScript(): Promise<void> {
  typeScriptHooks ??= (async () => {
    const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
    esm.register();
    cjs.register();
  })();
  return typeScriptHooks;
}

/**
 * Loads the module that exports the app: .ts/.mts/.cts/.tsx through tsx (no build step), .js,
 * .mjs and .cjs as Node loads them, in CommonJS-default and ESM projects alike.
 */
export async function loadApp(file: string): Promise<App> {
  const path = resolve(file);
  if (!existsSync(path)) throw new Error(`no such app module: ${file}`);
  if (/\.(ts|mts|cts|tsx)$/.test(path)) await registerTypeScript();
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new AppLoadError(file, error);
  }
  return appFromModule(module, file);
}
