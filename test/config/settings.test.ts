/**
 * The commands' settings, in process: `resolveSettings` on a real commander `Command` with the
 * flags `addSettingFlags` gives it, merging schema defaults < config file < environment < flags,
 * and refusing bad or unknown settings with one line per problem naming the setting, where its
 * value came from and what it allows.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { devCommand, serveCommand, workerCommand } from '../../bin/commands/run.js';
import { statusCommand } from '../../bin/commands/status.js';
import { CONFIG_FLAG, SETTING_FLAGS, type CommandName } from '../../bin/config/flags.js';
import { nodeAt } from '../../bin/config/json-schema.js';
import { SettingError, addSettingFlags, resolveSettings, type ResolvedSettings } from '../../bin/config/load.js';
import { settingsSchema } from '../../bin/config/schema.js';

const COMMANDS: readonly CommandName[] = ['dev', 'serve', 'worker', 'status'];

/** Every environment variable the settings read: cleared before each test, restored after. */
const VARIABLES = [CONFIG_FLAG.env, ...SETTING_FLAGS.map((flag) => flag.env)];
let saved: Record<string, string | undefined> = {};

beforeEach(() => {
  saved = {};
  for (const name of VARIABLES) {
    saved[name] = process.env[name];
    delete process.env[name];
  }
});

afterEach(() => {
  for (const name of VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

let dir: string;
let fileCount = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-settings-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a config file (an object as JSON, a string as it is) in a folder of its own under the temp folder. */
function configFile(content: unknown, folder = `f${++fileCount}`): string {
  const where = join(dir, folder);
  mkdirSync(where, { recursive: true });
  const file = join(where, 'c.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** A command as the CLI builds it: its setting flags, parsed from `args`. */
function parsed(name: CommandName, args: string[]): Command {
  const command = addSettingFlags(new Command(name), name);
  command.exitOverride();
  command.parse(args, { from: 'user' });
  return command;
}

function settingsOf(name: CommandName, args: string[] = []): ResolvedSettings {
  return resolveSettings(parsed(name, args), name);
}

/** The SettingError message `resolveSettings` throws (failing the test if it does not throw one). */
function errorOf(name: CommandName, args: string[] = []): string {
  try {
    settingsOf(name, args);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingError);
    return (error as Error).message;
  }
  throw new Error(`resolveSettings(${name} ${args.join(' ')}) did not throw`);
}

function valueAt(settings: unknown, path: string): unknown {
  let value = settings;
  for (const step of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[step];
  return value;
}

describe('defaults, file, environment, flags', () => {
  it('with nothing given, the settings are the schema defaults and none is set', () => {
    const { settings, isSet } = settingsOf('serve');
    expect(settings).toEqual(settingsSchema.parse({}));
    expect(settings.server.port).toBe(8000);
    expect(settings.server.host).toBe('127.0.0.1');
    expect(settings.server.allowedHosts).toEqual(['*']);
    expect(settings.server.limits.maxBodyBytes).toBe(10 * 1024 * 1024);
    expect(settings.redis).toEqual({ url: 'redis://127.0.0.1:6379', sentinelMaster: 'mymaster', prefix: 'switchyard' });
    expect(settings.worker.concurrency).toBe(64);
    expect(settings.log).toEqual({ level: 'info' });
    expect(settings.admin).toEqual({ host: '127.0.0.1' });
    for (const flag of SETTING_FLAGS) expect(isSet(flag.setting), flag.setting).toBe(false);
  });

  it("a config file's values apply, and the rest keep their defaults", () => {
    const file = configFile({ server: { port: 9001, host: '0.0.0.0' }, worker: { concurrency: 3 }, log: { level: 'debug' }, redis: { prefix: 'app1' } });
    const { settings } = settingsOf('dev', ['--config', file]);
    expect(settings.server.port).toBe(9001);
    expect(settings.server.host).toBe('0.0.0.0');
    expect(settings.worker.concurrency).toBe(3);
    expect(settings.log.level).toBe('debug');
    expect(settings.redis.prefix).toBe('app1');
    expect(settings.redis.url).toBe('redis://127.0.0.1:6379');
    expect(settings.worker.timeoutMs).toBe(30_000);
  });

  it('nested values of the file apply (server.limits, server.websocket), their siblings keep their defaults', () => {
    const file = configFile({ server: { limits: { maxBodyBytes: 2048 }, websocket: { perMessageDeflate: true } } });
    const { settings, isSet } = settingsOf('serve', ['--config', file]);
    expect(settings.server.limits.maxBodyBytes).toBe(2048);
    expect(settings.server.limits.maxHeaderBytes).toBe(16 * 1024);
    expect(settings.server.websocket).toEqual({ perMessageDeflate: true, pingIntervalMs: 30_000, http2: true });
    expect(isSet('server.limits.maxBodyBytes')).toBe(true);
    expect(isSet('server.websocket.perMessageDeflate')).toBe(true);
    expect(isSet('server.limits.maxHeaderBytes')).toBe(false);
  });

  it('an environment variable beats the file', () => {
    const file = configFile({ server: { port: 9001, limits: { maxBodyBytes: 2048 } } });
    process.env.PORT = '9002';
    process.env.SWITCHYARD_MAX_BODY_BYTES = '4096';
    const { settings } = settingsOf('serve', ['--config', file]);
    expect(settings.server.port).toBe(9002);
    expect(settings.server.limits.maxBodyBytes).toBe(4096);
  });

  it('a flag beats the environment and the file', () => {
    const file = configFile({ server: { port: 9001 }, worker: { concurrency: 3 } });
    process.env.PORT = '9002';
    process.env.SWITCHYARD_CONCURRENCY = '4';
    const { settings } = settingsOf('dev', ['--config', file, '--port', '9003', '-c', '5']);
    expect(settings.server.port).toBe(9003);
    expect(settings.worker.concurrency).toBe(5);
  });

  it('a flag beats the file with no environment variable between them', () => {
    const file = configFile({ server: { port: 9001 } });
    expect(settingsOf('serve', ['--config', file, '-p', '9']).settings.server.port).toBe(9);
  });

  it('SWITCHYARD_CONFIG names the config file, and --config beats it', () => {
    const fromEnv = configFile({ server: { port: 9101 } });
    const fromFlag = configFile({ server: { port: 9102 } });
    process.env.SWITCHYARD_CONFIG = fromEnv;
    expect(settingsOf('serve').settings.server.port).toBe(9101);
    expect(settingsOf('serve', ['--config', fromFlag]).settings.server.port).toBe(9102);
  });

  it('an empty or blank environment variable counts as unset: the file (or the default) stays', () => {
    const file = configFile({ server: { port: 9001 } });
    process.env.PORT = '';
    process.env.HOST = '   ';
    process.env.SWITCHYARD_LOG_LEVEL = '';
    process.env.SWITCHYARD_ALLOWED_HOSTS = '';
    const { settings, isSet } = settingsOf('dev', ['--config', file]);
    expect(settings.server.port).toBe(9001);
    expect(settings.server.host).toBe('127.0.0.1');
    expect(settings.log.level).toBe('info');
    expect(settings.server.allowedHosts).toEqual(['*']);
    expect(isSet('server.host')).toBe(false);
    expect(isSet('log.level')).toBe(false);
    expect(isSet('server.allowedHosts')).toBe(false);
  });

  it('an empty SWITCHYARD_CONFIG counts as unset too (no config file)', () => {
    process.env.SWITCHYARD_CONFIG = '';
    const { settings } = settingsOf('serve');
    expect(settings).toEqual(settingsSchema.parse({}));
  });
});

describe('lists', () => {
  it('a list flag takes comma-separated text, trimmed', () => {
    const { settings } = settingsOf('serve', ['--allowed-hosts', 'a.com, .b.com']);
    expect(settings.server.allowedHosts).toEqual(['a.com', '.b.com']);
  });

  it('a list variable takes comma-separated text, blanks dropped', () => {
    process.env.SWITCHYARD_TRUSTED_PROXIES = ' 10.0.0.1 ,, 10.0.0.2 ,';
    process.env.SWITCHYARD_ALLOWED_ORIGINS = 'https://a.example';
    const { settings } = settingsOf('dev');
    expect(settings.server.trustedProxies).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(settings.server.allowedOrigins).toEqual(['https://a.example']);
  });

  it("a flag's list replaces the file's list (no merging)", () => {
    const file = configFile({ server: { allowedHosts: ['file.example', 'other.example'] } });
    expect(settingsOf('serve', ['--config', file]).settings.server.allowedHosts).toEqual(['file.example', 'other.example']);
    expect(settingsOf('serve', ['--config', file, '--allowed-hosts', 'flag.example']).settings.server.allowedHosts).toEqual(['flag.example']);
  });
});

describe('paths in the config file', () => {
  it('static[].dir, tlsCert and tlsKey resolve against the folder of the file; absolute paths stay', () => {
    const absolute = resolve(dir, 'elsewhere', 'key.pem');
    const file = configFile(
      {
        server: {
          tlsCert: 'certs/cert.pem',
          tlsKey: absolute,
          static: [
            { prefix: '/assets', dir: './public' },
            { prefix: '/shared', dir: '../shared' },
          ],
        },
      },
      'deploy/conf',
    );
    const base = join(dir, 'deploy', 'conf');
    const { settings } = settingsOf('serve', ['--config', file]);
    expect(settings.server.tlsCert).toBe(join(base, 'certs', 'cert.pem'));
    expect(settings.server.tlsKey).toBe(absolute);
    expect(settings.server.static).toEqual([
      { prefix: '/assets', dir: join(base, 'public') },
      { prefix: '/shared', dir: join(dir, 'deploy', 'shared') },
    ]);
  });

  it('TLS files given by flag are left as given (not moved to the folder of the file)', () => {
    const file = configFile({ server: { port: 1 } }, 'deploy/other');
    const { settings } = settingsOf('serve', ['--config', file, '--tls-cert', 'cert.pem', '--tls-key', 'key.pem']);
    expect(settings.server.tlsCert).toBe('cert.pem');
    expect(settings.server.tlsKey).toBe('key.pem');
  });
});

describe('isSet', () => {
  it('is true for exactly the settings given by file, environment or flag', () => {
    const file = configFile({ server: { limits: { maxBodyBytes: 2048 }, static: [{ prefix: '/s', dir: 'x' }] }, layer: { capacity: 10 } });
    process.env.SWITCHYARD_LOG_LEVEL = 'warn';
    const { isSet } = settingsOf('dev', ['--config', file, '--concurrency', '2', '--redis', 'redis://example:6379']);
    for (const setting of ['server.limits.maxBodyBytes', 'server.static', 'layer.capacity', 'log.level', 'worker.concurrency', 'redis.url']) {
      expect(isSet(setting), setting).toBe(true);
    }
    for (const setting of ['server.port', 'server.host', 'server.limits.maxHeaderBytes', 'server.websocketPaths', 'redis.prefix', 'worker.timeoutMs', 'log.format', 'admin.port']) {
      expect(isSet(setting), setting).toBe(false);
    }
  });

  it('a setting given with its default value still counts as set', () => {
    const { settings, isSet } = settingsOf('dev', ['--redis', 'redis://127.0.0.1:6379']);
    expect(settings.redis.url).toBe('redis://127.0.0.1:6379');
    expect(isSet('redis.url')).toBe(true);
  });
});

describe('errors', () => {
  it('a flag out of range: the setting, its value, the flag and the range', () => {
    expect(errorOf('serve', ['--port', '70000'])).toBe('invalid setting server.port = 70000 (from --port): expected a whole number from 0 to 65535');
  });

  it('a flag that is not a number: its text is quoted, and the short flag is named by its long form', () => {
    expect(errorOf('serve', ['-p', 'eighty'])).toBe('invalid setting server.port = "eighty" (from --port): expected a whole number from 0 to 65535');
  });

  it('a file value out of range: the setting, its value, the file and the minimum', () => {
    const file = configFile({ worker: { concurrency: 0 } });
    expect(errorOf('worker', ['--config', file])).toBe(`invalid setting worker.concurrency = 0 (in ${file}): expected a whole number ≥ 1`);
  });

  it('an environment variable outside an enum: the setting, its value, the variable and the choices', () => {
    process.env.SWITCHYARD_LOG_LEVEL = 'loud';
    expect(errorOf('worker')).toBe('invalid setting log.level = "loud" (from SWITCHYARD_LOG_LEVEL): expected one of: trace, debug, info, warn, error, fatal, silent');
  });

  it('a wrong type in the file: boolean, list', () => {
    const file = configFile({ server: { websocket: { perMessageDeflate: 'yes' }, allowedHosts: 'a.com' } });
    const message = errorOf('serve', ['--config', file]);
    expect(message).toContain(`invalid setting server.websocket.perMessageDeflate = "yes" (in ${file}): expected true or false`);
    expect(message).toContain(`invalid setting server.allowedHosts = "a.com" (in ${file}): expected a list of strings`);
  });

  it('an unknown setting: its full name, the file, and the names known at that place', () => {
    const file = configFile({ server: { limits: { maxBodyByte: 1024 } } });
    const message = errorOf('serve', ['--config', file]);
    expect(message).toMatch(new RegExp(`^unknown setting server\\.limits\\.maxBodyByte in ${escape(file)} \\(known here: [^)]*\\)$`));
    const known = /\(known here: ([^)]*)\)/.exec(message)![1]!.split(', ');
    expect(known).toContain('maxBodyBytes');
    expect(known).toContain('maxHeaderBytes');
    expect(known).toContain('responseTimeoutMs');
  });

  it('unknown settings side by side are named together; an unknown section names the sections', () => {
    const file = configFile({ servr: { port: 1 }, worker: { concurency: 2, timeout: 3 } });
    const lines = errorOf('dev', ['--config', file]).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines).toContain(`unknown setting servr in ${file} (known here: redis, layer, server, worker, log, admin)`);
    const worker = lines.find((line) => line.startsWith('unknown settings worker.'))!;
    expect(worker).toMatch(new RegExp(`^unknown settings worker\\.concurency, worker\\.timeout in ${escape(file)} \\(known here: .*concurrency.*\\)$`));
  });

  it('a path prefix without "/" in a list entry: the indexed name, its value, the file and the rule', () => {
    const file = configFile({ server: { routes: [{ prefix: '/ok', http: 'ok.http' }, { prefix: 'api', http: 'api.http' }] } });
    expect(errorOf('serve', ['--config', file])).toBe(`invalid setting server.routes[1].prefix = "api" (in ${file}): path prefixes start with "/"`);
  });

  it('tlsCert without tlsKey (flag or file) is refused, naming the pair', () => {
    expect(errorOf('serve', ['--tls-cert', 'cert.pem'])).toBe('invalid setting server.tlsKey: server.tlsCert and server.tlsKey go together');
    const file = configFile({ server: { tlsKey: 'key.pem' } });
    const message = errorOf('serve', ['--config', file]);
    expect(message).toContain('invalid setting server.tlsKey');
    expect(message).toContain('server.tlsCert and server.tlsKey go together');
  });

  it('a config file that cannot be read', () => {
    const missing = join(dir, 'no-such-folder', 'c.json');
    const message = errorOf('serve', ['--config', missing]);
    expect(message).toMatch(new RegExp(`^cannot read the config file ${escape(missing)}: .*ENOENT`));
  });

  it('a config file that is not JSON', () => {
    const file = configFile('{ "server": { port: 1 } }');
    expect(errorOf('serve', ['--config', file])).toMatch(new RegExp(`^the config file ${escape(file)} is not valid JSON: .+`));
  });

  it('a config file whose JSON is not an object', () => {
    for (const content of ['[]', 'null', '8000', '"server"']) {
      const file = configFile(content);
      expect(errorOf('serve', ['--config', file]), content).toMatch(new RegExp(`^the config file ${escape(file)} must hold a JSON object`));
    }
  });

  it('several problems from several sources are reported together, one line each', () => {
    const file = configFile({ worker: { concurrency: 0 }, server: { limits: { maxBodyByte: 1 } }, admin: { port: -1 } });
    process.env.SWITCHYARD_LOG_LEVEL = 'loud';
    const lines = errorOf('dev', ['--config', file, '--port', '70000', '--timeout', '1.5']).split('\n');
    expect(lines).toHaveLength(6);
    expect(lines).toContain('invalid setting server.port = 70000 (from --port): expected a whole number from 0 to 65535');
    expect(lines).toContain(`invalid setting worker.concurrency = 0 (in ${file}): expected a whole number ≥ 1`);
    expect(lines).toContain('invalid setting worker.timeoutMs = 1.5 (from --timeout): expected a whole number ≥ 1');
    expect(lines).toContain(`invalid setting admin.port = -1 (in ${file}): expected a whole number from 0 to 65535`);
    expect(lines.some((line) => line.startsWith('invalid setting log.level = "loud" (from SWITCHYARD_LOG_LEVEL): expected one of: trace'))).toBe(true);
    expect(lines.some((line) => line.startsWith(`unknown setting server.limits.maxBodyByte in ${file} (known here: `))).toBe(true);
  });

  it('a value overridden by a flag is not reported from the file', () => {
    const file = configFile({ server: { port: 70000 } });
    expect(settingsOf('serve', ['--config', file, '--port', '9']).settings.server.port).toBe(9);
  });

  it('an empty list of allowed hosts (which would refuse every request) is refused, saying why', () => {
    expect(errorOf('serve', ['--allowed-hosts', ''])).toBe(
      'invalid setting server.allowedHosts = [] (from --allowed-hosts): at least one host ("*" accepts any): an empty list would refuse every request',
    );
  });

  it('a section that is not an object is refused with a readable message', () => {
    const file = configFile({ server: [1] });
    const message = errorOf('serve', ['--config', file]);
    expect(message).toContain(`invalid setting server = [1] (in ${file})`);
    expect(message).not.toMatch(/expected Invalid input/);
  });

  it('a section that is not an object is refused even when a flag sets a value in that section', () => {
    for (const section of [[1], null, 'oops']) {
      const file = configFile({ server: section });
      let thrown: unknown;
      try {
        settingsOf('serve', ['--config', file, '--port', '9']);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, `"server": ${JSON.stringify(section)} with --port`).toBeInstanceOf(SettingError);
      expect((thrown as Error).message).toContain('invalid setting server');
    }
  });
});

describe('layer: heartbeatTimeoutMs must exceed heartbeatIntervalMs', () => {
  it('equal or smaller is refused, naming both settings and the file', () => {
    for (const timeout of [5000, 4000]) {
      const file = configFile({ layer: { heartbeatIntervalMs: 5000, heartbeatTimeoutMs: timeout } });
      expect(errorOf('worker', ['--config', file])).toBe(`invalid setting layer.heartbeatTimeoutMs = ${timeout} (in ${file}): must exceed layer.heartbeatIntervalMs`);
    }
  });

  it('an interval above the default timeout is refused too', () => {
    const file = configFile({ layer: { heartbeatIntervalMs: 40_000 } });
    const message = errorOf('serve', ['--config', file]);
    expect(message).toContain('invalid setting layer.heartbeatTimeoutMs');
    expect(message).toContain('must exceed layer.heartbeatIntervalMs');
  });

  it('a larger timeout is accepted', () => {
    const file = configFile({ layer: { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 1001 } });
    const { settings } = settingsOf('worker', ['--config', file]);
    expect(settings.layer.heartbeatIntervalMs).toBe(1000);
    expect(settings.layer.heartbeatTimeoutMs).toBe(1001);
  });
});

describe('SETTING_FLAGS', () => {
  it('every setting exists in the settings schema, as a value (not a section)', () => {
    for (const flag of SETTING_FLAGS) {
      const node = nodeAt(flag.setting);
      expect(node, flag.setting).toBeDefined();
      expect(node!.properties, flag.setting).toBeUndefined();
    }
  });

  it('no setting, flag or environment variable is used twice (nor the config flag and variable)', () => {
    const long = SETTING_FLAGS.map((flag) => /--[a-z-]+/.exec(flag.flags)?.[0]);
    const short = SETTING_FLAGS.map((flag) => /(?:^|\s)(-[a-zA-Z]),/.exec(flag.flags)?.[1]).filter((name) => name !== undefined);
    const env = SETTING_FLAGS.map((flag) => flag.env);
    for (const name of long) expect(name).toBeDefined();
    expect(new Set(long).size).toBe(long.length);
    expect(new Set(short).size).toBe(short.length);
    expect(new Set(env).size).toBe(env.length);
    expect(new Set(SETTING_FLAGS.map((flag) => flag.setting)).size).toBe(SETTING_FLAGS.length);
    expect(long).not.toContain('--config');
    expect(env).not.toContain(CONFIG_FLAG.env);
  });

  it('the flags name only commands the CLI has, and every such command takes its flags and --config', () => {
    const cli = [devCommand(), serveCommand(), workerCommand(), statusCommand()];
    const names = cli.map((command) => command.name());
    expect([...names].sort()).toEqual([...COMMANDS].sort());
    for (const flag of SETTING_FLAGS) {
      expect(flag.commands.length, flag.setting).toBeGreaterThan(0);
      for (const command of flag.commands) expect(names, `${flag.setting}: ${command}`).toContain(command);
      for (const command of Object.keys(flag.help ?? {})) expect(flag.commands, `${flag.setting} help: ${command}`).toContain(command);
    }
    for (const command of cli) {
      const longs = command.options.map((option) => option.long);
      expect(longs, command.name()).toContain('--config');
      for (const flag of SETTING_FLAGS) {
        const long = /--[a-z-]+/.exec(flag.flags)![0];
        expect(longs.includes(long), `${command.name()} ${long}`).toBe(flag.commands.includes(command.name() as CommandName));
      }
    }
  });

  it('each command takes each of its flags, and the same text by environment variable, into the setting', () => {
    for (const name of COMMANDS) {
      const flags = SETTING_FLAGS.filter((flag) => flag.commands.includes(name));
      const samples = flags.map((flag) => ({ flag, ...sample(flag.setting) }));
      const args = samples.flatMap(({ flag, text }) => [new Option(flag.flags).long!, text]);
      const byFlag = settingsOf(name, args);
      for (const { flag, value } of samples) {
        expect(valueAt(byFlag.settings, flag.setting), `${name} ${flag.flags}`).toEqual(value);
        expect(byFlag.isSet(flag.setting)).toBe(true);
      }
      for (const { flag, text } of samples) process.env[flag.env] = text;
      const byEnv = settingsOf(name);
      for (const { flag, value } of samples) {
        expect(valueAt(byEnv.settings, flag.setting), `${name} ${flag.env}`).toEqual(value);
        expect(byEnv.isSet(flag.setting)).toBe(true);
      }
      for (const { flag } of samples) delete process.env[flag.env];
    }
  });

  it("a command ignores the variables of other commands' settings", () => {
    process.env.PORT = '9999';
    process.env.SWITCHYARD_CONCURRENCY = '7';
    const worker = settingsOf('worker');
    expect(worker.settings.server.port).toBe(8000);
    expect(worker.isSet('server.port')).toBe(false);
    expect(worker.settings.worker.concurrency).toBe(7);
    const serve = settingsOf('serve');
    expect(serve.settings.server.port).toBe(9999);
    expect(serve.settings.worker.concurrency).toBe(64);
  });
});

/** A valid text for a setting's flag, and the value it should become. */
function sample(setting: string): { text: string; value: unknown } {
  const node = nodeAt(setting)!;
  if (node.enum) return { text: String(node.enum[0]), value: node.enum[0] };
  if (node.type === 'integer' || node.type === 'number') return { text: '7', value: 7 };
  if (node.type === 'array') return { text: 'a.example, b.example', value: ['a.example', 'b.example'] };
  if (node.type === 'boolean') return { text: 'true', value: true };
  if (setting === 'redis.url') return { text: 'redis://cache.internal:6380', value: 'redis://cache.internal:6380' };
  if (setting === 'redis.cluster') return { text: 'node-1:6379,node-2:6379', value: 'node-1:6379,node-2:6379' };
  if (setting === 'redis.sentinels') return { text: 'sentinel-1:26379,sentinel-2:26379', value: 'sentinel-1:26379,sentinel-2:26379' };
  return { text: 'x1', value: 'x1' };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
