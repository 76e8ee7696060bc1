import type { Redis } from 'ioredis';

/** A Lua script as a command: called with its keys, then its arguments, all strings. */
export type LuaCommand = (...args: string[]) => Promise<unknown>;

/**
 * A Lua script called by its SHA1 (EVALSHA; sent again whole only when Redis no longer has it,
 * after a restart or SCRIPT FLUSH), through ioredis' defineCommand, which prefixes its keys like
 * any command's. EVAL sends the whole script and has Redis hash it on every call: a kilobyte and a
 * half per reservation, a few thousand reservations a second at full speed.
 */
export function luaCommand(redis: Redis, name: string, numberOfKeys: number, lua: string): LuaCommand {
  redis.defineCommand(name, { numberOfKeys, lua });
  const command = (redis as unknown as Record<string, LuaCommand>)[name];
  return (...args) => command.apply(redis, args);
}
