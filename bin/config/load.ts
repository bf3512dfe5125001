import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { z } from 'zod';
import { redactUrl } from '../../channel-layer/index.js';
import { CONFIG_FLAG, SETTING_FLAGS, type CommandName, type SettingFlag } from './flags.js';
import { allowedValues, nodeAt } from './json-schema.js';
import { settingsSchema, type Settings } from './schema.js';

/** A setting that cannot be used: the message names it, where it came from, and what is allowed. */
export class SettingError extends Error {
  override readonly name = 'SettingError';
}

/** The settings a command runs with, and which of them someone set (rather than left at the default). */
export interface ResolvedSettings {
  settings: Settings;
  isSet(setting: string): boolean;
}

/** Adds `--config` and the command's setting flags, each with its environment variable. */
export function addSettingFlags(command: Command, name: CommandName): Command {
  command.addOption(new Option(CONFIG_FLAG.flags, 'JSON config file; flags and environment variables override it').env(CONFIG_FLAG.env));
  for (const flag of flagsOf(name)) {
    const node = nodeAt(flag.setting);
    const special = flag.help?.[name];
    const fallback = node?.default === undefined || special !== undefined ? '' : ` (default: ${JSON.stringify(node.default)})`;
    command.addOption(new Option(flag.flags, `${special ?? node?.description ?? flag.setting}${fallback}`).env(flag.env));
  }
  return command;
}

/**
 * The settings, from lowest precedence to highest: the schemas' defaults, the config file,
 * environment variables, flags. Checked whole against the settings schema: a bad or unknown
 * setting fails here, before anything starts, naming the setting, where it came from and what
 * it allows.
 */
export function resolveSettings(command: Command, name: CommandName): ResolvedSettings {
  const options = command.opts<Record<string, string | undefined>>();
  const origins = new Map<string, string>();
  // Empty is unset, as for every variable (see below).
  const file = options.config?.trim() || undefined;
  const raw = file === undefined ? {} : readConfigFile(file);
  if (file !== undefined) for (const path of leafPaths(raw)) origins.set(path, `in ${file}`);

  for (const flag of flagsOf(name)) {
    const attribute = flagAttribute(flag);
    const text = options[attribute];
    const fromEnv = command.getOptionValueSource(attribute) === 'env';
    // An empty variable is an unset one: compose files write `NAME: ${NAME:-}` for "not given".
    if (text === undefined || (fromEnv && text.trim() === '')) continue;
    setPath(raw, flag.setting, fromText(flag.setting, text));
    origins.set(flag.setting, fromEnv ? `from ${flag.env}` : `from ${flag.flags.match(/--[a-z-]+/)![0]}`);
  }

  const result = settingsSchema.safeParse(raw);
  if (!result.success) throw new SettingError(result.error.issues.map((issue) => describeIssue(issue, raw, origins, file)).join('\n'));
  const set = new Set(origins.keys());
  return { settings: result.data, isSet: (setting) => set.has(setting) };
}

function flagsOf(name: CommandName): SettingFlag[] {
  return SETTING_FLAGS.filter((flag) => flag.commands.includes(name));
}

function flagAttribute(flag: SettingFlag): string {
  return new Option(flag.flags).attributeName();
}

/**
 * A flag's text as the setting's type. Text that does not fit is passed on as it is, for the
 * schema to refuse by name.
 */
function fromText(setting: string, text: string): unknown {
  const type = nodeAt(setting)?.type;
  if (type === 'integer' || type === 'number') return /^[+-]?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
  if (type === 'boolean') return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : text;
  if (type === 'array') return text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return text;
}

/**
 * Reads a JSON config file. Paths in it (TLS files, static folders) are relative to the file,
 * so it reads the same from any working directory.
 */
function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SettingError(`cannot read the config file ${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SettingError(`the config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SettingError(`the config file ${file} must hold a JSON object, such as { "server": { "port": 8000 } }`);
  const config = raw as Record<string, Record<string, unknown> | undefined>;
  const base = dirname(resolve(file));
  const server = config.server;
  if (server && typeof server === 'object') {
    for (const key of ['tlsCert', 'tlsKey']) if (typeof server[key] === 'string') server[key] = resolve(base, server[key]);
    if (Array.isArray(server.static)) {
      for (const mount of server.static as { dir?: unknown }[]) if (typeof mount?.dir === 'string') mount.dir = resolve(base, mount.dir);
    }
  }
  return config;
}

function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>, origins: Map<string, string>, file: string | undefined): string {
  const path = settingName(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const where = file === undefined ? '' : ` in ${file}`;
    const names = issue.keys.map((key) => settingName([...issue.path, key]));
    const known = Object.keys(nodeAt(issue.path)?.properties ?? {});
    return `unknown setting${names.length > 1 ? 's' : ''} ${names.join(', ')}${where}${known.length > 0 ? ` (known here: ${known.join(', ')})` : ''}`;
  }
  const origin = originOf(issue.path, origins);
  const value = valueAt(raw, issue.path);
  const node = nodeAt(issue.path);
  // The schema's own words where it has them (a pattern, a rule between settings, a list's
  // minimum); else the type's.
  const expected = node === undefined ? undefined : allowedValues(node);
  const ownWords = issue.code === 'custom' || issue.code === 'invalid_format' || (issue.code === 'too_small' && node?.type === 'array');
  const allowed = ownWords || expected === undefined ? issue.message : `expected ${expected}`;
  const given = value === undefined ? '' : ` = ${JSON.stringify(typeof value === 'string' ? redactUrl(value) : value)}`; // a mistyped Redis URL keeps its password to itself
  return `invalid setting ${path}${given}${origin === undefined ? '' : ` (${origin})`}: ${allowed}`;
}

/** `server.routes[0].prefix` */
function settingName(path: readonly PropertyKey[]): string {
  return path.map((step, i) => (typeof step === 'number' ? `[${step}]` : `${i === 0 ? '' : '.'}${String(step)}`)).join('');
}

/** Where the value at `path` (or the entry that holds it) came from. */
function originOf(path: readonly PropertyKey[], origins: Map<string, string>): string | undefined {
  for (let length = path.length; length > 0; length--) {
    const origin = origins.get(path.slice(0, length).filter((step) => typeof step === 'string').join('.'));
    if (origin !== undefined) return origin;
  }
  return undefined;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const step of path) value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[step] : undefined;
  return value;
}

function setPath(raw: Record<string, unknown>, path: string, value: unknown): void {
  const steps = path.split('.');
  let node = raw;
  for (const step of steps.slice(0, -1)) {
    const next = node[step];
    if (next === undefined) node = (node[step] = {}) as Record<string, unknown>;
    // A section the file got wrong stays as it is, for the schema to refuse: a flag must not hide it.
    else if (typeof next === 'object' && next !== null && !Array.isArray(next)) node = next as Record<string, unknown>;
    else return;
  }
  node[steps.at(-1)!] = value;
}

/** Dotted paths of every value in a config file (arrays count as one value). */
function leafPaths(raw: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(raw).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) ? leafPaths(value as Record<string, unknown>, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}
