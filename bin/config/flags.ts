/** The commands that read settings. */
export type CommandName = 'dev' | 'serve' | 'worker' | 'status';

/** A setting that a flag and an environment variable can also give. */
export interface SettingFlag {
  /** Where it lives in the settings (and in a config file): `server.port`. */
  setting: string;
  /** Commander's flag syntax. */
  flags: string;
  env: string;
  commands: readonly CommandName[];
  /** What `--help` says where a command gives the setting a meaning of its own. */
  help?: Partial<Record<CommandName, string>>;
}

const RUN: readonly CommandName[] = ['dev', 'serve', 'worker'];
const SERVING: readonly CommandName[] = ['dev', 'serve'];
const WORKING: readonly CommandName[] = ['dev', 'worker'];

/**
 * The settings with a flag and an environment variable: those a deployment changes per process
 * or per machine. The same names are in docker-compose.yml. Everything else is for the config file.
 */
export const SETTING_FLAGS: readonly SettingFlag[] = [
  { setting: 'redis.url', flags: '--redis <url>', env: 'REDIS_URL', commands: ['dev', 'serve', 'worker', 'status'], help: { dev: 'Redis for durable channels only (optional: without it they run at most once)' } },
  { setting: 'redis.cluster', flags: '--redis-cluster <nodes>', env: 'SWITCHYARD_REDIS_CLUSTER', commands: ['dev', 'serve', 'worker', 'status'] },
  { setting: 'redis.shards', flags: '--redis-shards <n>', env: 'SWITCHYARD_REDIS_SHARDS', commands: ['serve', 'worker'] },
  { setting: 'redis.sentinels', flags: '--redis-sentinels <list>', env: 'SWITCHYARD_REDIS_SENTINELS', commands: ['dev', 'serve', 'worker', 'status'] },
  { setting: 'redis.sentinelPassword', flags: '--redis-sentinel-password <password>', env: 'SWITCHYARD_REDIS_SENTINEL_PASSWORD', commands: ['dev', 'serve', 'worker', 'status'] },
  { setting: 'redis.sentinelMaster', flags: '--redis-master <name>', env: 'SWITCHYARD_REDIS_MASTER', commands: ['dev', 'serve', 'worker', 'status'] },
  { setting: 'redis.prefix', flags: '--prefix <prefix>', env: 'SWITCHYARD_PREFIX', commands: ['serve', 'worker', 'status'] },
  { setting: 'server.host', flags: '--host <host>', env: 'HOST', commands: SERVING },
  { setting: 'server.port', flags: '-p, --port <port>', env: 'PORT', commands: SERVING },
  { setting: 'server.tlsCert', flags: '--tls-cert <file>', env: 'SWITCHYARD_TLS_CERT', commands: SERVING },
  { setting: 'server.tlsKey', flags: '--tls-key <file>', env: 'SWITCHYARD_TLS_KEY', commands: SERVING },
  { setting: 'server.limits.responseTimeoutMs', flags: '--response-timeout <ms>', env: 'SWITCHYARD_RESPONSE_TIMEOUT_MS', commands: SERVING },
  { setting: 'server.limits.maxBodyBytes', flags: '--max-body-bytes <n>', env: 'SWITCHYARD_MAX_BODY_BYTES', commands: SERVING },
  { setting: 'server.shutdownTimeoutMs', flags: '--shutdown-timeout <ms>', env: 'SWITCHYARD_SHUTDOWN_TIMEOUT_MS', commands: SERVING },
  { setting: 'server.allowedHosts', flags: '--allowed-hosts <list>', env: 'SWITCHYARD_ALLOWED_HOSTS', commands: SERVING },
  { setting: 'server.allowedOrigins', flags: '--allowed-origins <list>', env: 'SWITCHYARD_ALLOWED_ORIGINS', commands: SERVING },
  { setting: 'server.trustedProxies', flags: '--trusted-proxies <list>', env: 'SWITCHYARD_TRUSTED_PROXIES', commands: SERVING },
  { setting: 'worker.concurrency', flags: '-c, --concurrency <n>', env: 'SWITCHYARD_CONCURRENCY', commands: WORKING },
  { setting: 'worker.timeoutMs', flags: '--timeout <ms>', env: 'SWITCHYARD_TIMEOUT_MS', commands: WORKING },
  { setting: 'worker.drainTimeoutMs', flags: '--drain-timeout <ms>', env: 'SWITCHYARD_DRAIN_TIMEOUT_MS', commands: WORKING },
  { setting: 'layer.capacity', flags: '--channel-capacity <n>', env: 'SWITCHYARD_CHANNEL_CAPACITY', commands: RUN },
  { setting: 'layer.expiryMs', flags: '--expiry <ms>', env: 'SWITCHYARD_EXPIRY_MS', commands: RUN },
  { setting: 'log.level', flags: '--log-level <level>', env: 'SWITCHYARD_LOG_LEVEL', commands: RUN },
  { setting: 'log.format', flags: '--log-format <format>', env: 'SWITCHYARD_LOG_FORMAT', commands: RUN },
  { setting: 'admin.port', flags: '--admin-port <port>', env: 'SWITCHYARD_ADMIN_PORT', commands: RUN },
  { setting: 'admin.host', flags: '--admin-host <host>', env: 'SWITCHYARD_ADMIN_HOST', commands: RUN },
];

/** The config file: every command takes one. */
export const CONFIG_FLAG = { flags: '--config <file>', env: 'SWITCHYARD_CONFIG' } as const;
