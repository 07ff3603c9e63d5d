// Rate limiting shared by every node: the counters live in Redis, so N nodes behind a balancer
// enforce one limit per client, not N. Sliding-window counter: the estimate is this window's count
// plus the previous window's count weighted by how much of it still overlaps the sliding window,
// which avoids the 2x burst a fixed window allows at its edges. One round trip per request (a Lua
// script, atomic), using Redis' clock so nodes with skewed clocks agree.
import type { Redis, Result } from 'ioredis';
import type { RateLimitPolicy } from './config.js';

const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local idx = math.floor(now / window)
local elapsed = now - idx * window
local curKey = KEYS[1] .. ':' .. idx
local prev = tonumber(redis.call('GET', KEYS[1] .. ':' .. (idx - 1)) or '0')
local cur = tonumber(redis.call('GET', curKey) or '0')
local used = math.floor(prev * (window - elapsed) / window) + cur
if used >= limit then
  return {0, used, window - elapsed}
end
cur = redis.call('INCR', curKey)
if cur == 1 then redis.call('PEXPIRE', curKey, window * 2) end
return {1, used + 1, window - elapsed}
`;

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends. */
  resetSeconds: number;
  /** RateLimit-Policy header value, e.g. `300;w=60`. */
  policy: string;
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    slidingWindow(key: string, limit: number, windowMs: number): Result<[number, number, number], Context>;
  }
}

export class RateLimiter {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('slidingWindow', { numberOfKeys: 1, lua: SCRIPT });
  }

  async hit(name: string, clientKey: string, policy: RateLimitPolicy): Promise<RateLimitResult> {
    const windowMs = policy.windowSeconds * 1000;
    // The {hash tag} keeps both windows of one client in the same slot on a Redis Cluster.
    const [allowed, used, msLeft] = await this.redis.slidingWindow(`rl:${name}:{${clientKey}}`, policy.max, windowMs);
    return {
      allowed: allowed === 1,
      limit: policy.max,
      remaining: Math.max(0, policy.max - used),
      resetSeconds: Math.max(1, Math.ceil(msLeft / 1000)),
      policy: `${policy.max};w=${policy.windowSeconds}`,
    };
  }
}
