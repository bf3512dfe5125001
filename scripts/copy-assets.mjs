// tsc compiles TypeScript only; the Lua scripts the Redis layer loads at run time are copied beside it.
import { cpSync } from 'node:fs';

cpSync('channel-layer/redis/lua', 'dist/channel-layer/redis/lua', { recursive: true });
