// Stateless auth: a short-lived JWT access token (HS256, JWT_SECRET) that any node verifies on its
// own, plus a refresh token kept in Redis with a TTL, so every node can refresh or revoke it.
//
// A refresh token is `<session id>.<random>`; Redis keeps `auth:session:<id>` = {uid, hash of the
// random part}. Refreshing rotates the random part; presenting an already-rotated token (a stolen
// copy being replayed) revokes the whole session. Logout deletes the session. Access tokens are
// not looked up per request (that is what keeps them stateless): they stay valid until they expire,
// ACCESS_TOKEN_TTL_SECONDS (15 min by default) at most.
import bcrypt from 'bcryptjs';
import { createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import { SignJWT, jwtVerify } from 'jose';
import type { Config } from './config.js';
import { unauthorized } from './errors.js';

export type Role = 'user' | 'admin';
export interface AuthUser {
  id: number;
  role: Role;
  sid: string;
}

const ISSUER = 'scaledeck-api';
const AUDIENCE = 'scaledeck-api';
// Compared against when the e-mail is unknown, so a login takes as long either way.
let dummyHash: string | undefined;

const ROTATE = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local s = cjson.decode(v)
if s.h ~= ARGV[1] then
  redis.call('DEL', KEYS[1])
  return -1
end
s.h = ARGV[2]
redis.call('SET', KEYS[1], cjson.encode(s), 'EX', tonumber(ARGV[3]))
return s.u
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rotateRefresh(key: string, oldHash: string, newHash: string, ttl: number): Result<number, Context>;
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
const sessionKey = (sid: string) => `auth:session:${sid}`;

const VERIFIED_CACHE_MAX = 10_000;

export class Auth {
  private readonly key: KeyObject;
  private readonly verified = new Map<string, { user: AuthUser; exp: number }>();

  constructor(
    private readonly cfg: Config,
    private readonly redis: Redis,
  ) {
    this.key = createSecretKey(Buffer.from(cfg.jwtSecret, 'utf8'));
    redis.defineCommand('rotateRefresh', { numberOfKeys: 1, lua: ROTATE });
  }

  hashPassword(password: string): Promise<string> {
    return bcrypt.hash(password, this.cfg.bcryptRounds);
  }

  async checkPassword(password: string, hash: string | undefined): Promise<boolean> {
    if (hash) return bcrypt.compare(password, hash);
    dummyHash ??= await bcrypt.hash('not-a-password', this.cfg.bcryptRounds);
    await bcrypt.compare(password, dummyHash);
    return false;
  }

  async accessToken(user: { id: number; role: Role }, sid: string): Promise<string> {
    return new SignJWT({ role: user.role, sid })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(user.id))
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + this.cfg.accessTokenTtlSeconds)
      .sign(this.key);
  }

  /**
   * Verifies `Authorization: Bearer <jwt>`; throws 401 otherwise. Checking the signature costs
   * far more than the rest of a cached read, and a client sends the same token many times: tokens
   * that verified are remembered (in this process, bounded) until they expire. A token is
   * immutable, so the cached answer is the one verification would give, expiry included.
   */
  async verify(header: string | undefined): Promise<AuthUser> {
    if (!header || !header.startsWith('Bearer ')) throw unauthorized();
    const token = header.slice(7).trim();
    if (!token || token.length > 4096) throw unauthorized();
    const now = Date.now() / 1000;
    const known = this.verified.get(token);
    if (known) {
      if (known.exp > now) return known.user;
      this.verified.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      const id = Number(payload.sub);
      const role = payload.role;
      const sid = payload.sid;
      if (!Number.isSafeInteger(id) || id < 1 || (role !== 'user' && role !== 'admin') || typeof sid !== 'string' || typeof payload.exp !== 'number') {
        throw new Error('claims');
      }
      const user: AuthUser = { id, role, sid };
      if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { user, exp: payload.exp });
      return user;
    } catch {
      throw unauthorized('invalid or expired access token');
    }
  }

  /** A new session: its refresh token is returned, Redis keeps only a hash of it. */
  async createSession(userId: number): Promise<{ sid: string; refreshToken: string }> {
    const sid = randomBytes(16).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    await this.redis.set(sessionKey(sid), JSON.stringify({ u: userId, h: sha256(secret) }), 'EX', this.cfg.refreshTokenTtlSeconds);
    return { sid, refreshToken: `${sid}.${secret}` };
  }

  /** Rotates the refresh token; returns the user id and the new token, or throws 401. */
  async rotate(refreshToken: string): Promise<{ userId: number; sid: string; refreshToken: string }> {
    const [sid, secret] = refreshToken.split('.');
    if (!sid || !secret) throw unauthorized('invalid refresh token');
    const next = randomBytes(32).toString('base64url');
    const r = await this.redis.rotateRefresh(sessionKey(sid), sha256(secret), sha256(next), this.cfg.refreshTokenTtlSeconds);
    if (r === -1) throw unauthorized('refresh token already used; the session was revoked');
    if (!r || r < 1) throw unauthorized('invalid or expired refresh token');
    return { userId: Number(r), sid, refreshToken: `${sid}.${next}` };
  }

  async revoke(sid: string): Promise<boolean> {
    return (await this.redis.del(sessionKey(sid))) > 0;
  }

  /** The session id inside a refresh token, if it is shaped like one. */
  static sessionOf(refreshToken: string): string | undefined {
    const [sid, secret] = refreshToken.split('.');
    return sid && secret ? sid : undefined;
  }
}
