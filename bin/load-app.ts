import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { appFromModule, type App } from '../consumers/index.js';

/**
 * Loads the module that exports the app. TypeScript files are loaded through tsx's ESM hooks
 * (registered only when needed), so `switchyard dev app.ts` works without a build step.
 */
export async function loadApp(file: string): Promise<App> {
  const path = resolve(file);
  if (!existsSync(path)) throw new Error(`no such app module: ${file}`);
  if (/\.(ts|mts|cts|tsx)$/.test(path)) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  return appFromModule(module, file);
}
