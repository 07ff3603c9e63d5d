// GET /api/users/:id (cache-aside in Redis), PATCH /api/users/:id (owner or admin; invalidates).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireUser, type RouteDeps, type Settled } from '../app.js';
import type { AuthUser } from '../auth.js';
import { conflict, forbidden, notFound } from '../errors.js';
import { errFields } from '../logger.js';
import { IdParams, PatchUserBody, parse } from '../schemas.js';

export interface UserRow {
  id: number;
  email: string;
  name: string;
  role: 'user' | 'admin';
  created_at: Date | string;
  updated_at: Date | string;
  [k: string]: unknown;
}

/** Everyone signed in sees id, name and created_at; the owner and admins also see email and role. */
export function publicUser(u: UserRow, full: boolean) {
  const base = { id: u.id, name: u.name, created_at: new Date(u.created_at).toISOString() };
  return full ? { ...base, email: u.email, role: u.role, updated_at: new Date(u.updated_at).toISOString() } : base;
}

const cacheKey = (id: number) => `cache:user:v1:${id}`;
const canSeeAll = (me: AuthUser, id: number) => me.id === id || me.role === 'admin';

export function userRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { db, redis } = deps.services;
  const { metrics, cfg } = deps;
  const auth = requireUser(deps);

  /**
   * Cache-aside: Redis first; on a miss read Postgres and fill the cache with a TTL. The fill reads
   * the primary, not a replica, so a lagging replica can never put an old row back in the cache
   * right after an update invalidated it. The TTL bounds any staleness that races still leave.
   * Redis being down makes every read a miss, not an error.
   */
  async function loadUser(id: number, req: FastifyRequest): Promise<{ user: UserRow | undefined; hit: boolean }> {
    const pre = req.prefetched;
    req.prefetched = null;
    const cached: Settled = pre ? await pre : await redis.get(cacheKey(id)).then((value) => ({ value }), (error: unknown) => ({ error }));
    if (cached.error !== undefined) {
      metrics.cacheErrors.inc({ cache: 'user', op: 'get' });
      req.log.warn(errFields(cached.error), 'user cache read failed');
    } else if (typeof cached.value === 'string') {
      metrics.cacheHits.inc({ cache: 'user' });
      return { user: JSON.parse(cached.value) as UserRow, hit: true };
    }
    metrics.cacheMisses.inc({ cache: 'user' });
    const { rows } = await db.primaryRead<UserRow>('SELECT id, email, name, role, created_at, updated_at FROM users WHERE id = $1', [id]);
    const user = rows[0];
    if (user) {
      redis.set(cacheKey(id), JSON.stringify(user), 'EX', cfg.userCacheTtlSeconds).catch((err: unknown) => {
        metrics.cacheErrors.inc({ cache: 'user', op: 'set' });
        app.log.warn(errFields(err), 'user cache fill failed');
      });
    }
    return { user, hit: false };
  }

  // The cache read starts together with the rate limit check (one Redis round trip for both).
  const prefetch = (req: FastifyRequest) => {
    const p = IdParams.safeParse(req.params);
    return p.success ? redis.get(cacheKey(p.data.id)) : undefined;
  };

  app.get('/api/users/:id', { preHandler: auth, config: { prefetch } }, async (req, reply) => {
    const { id } = parse(IdParams, req.params, 'path');
    const { user, hit } = await loadUser(id, req);
    if (!user) throw notFound(`user ${id} not found`);
    reply.header('x-cache', hit ? 'HIT' : 'MISS');
    return { user: publicUser(user, canSeeAll(req.user!, id)) };
  });

  app.patch('/api/users/:id', { preHandler: auth }, async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    const me = req.user!;
    if (!canSeeAll(me, id)) throw forbidden('only the account owner or an admin may change a user');
    const body = parse(PatchUserBody, req.body, 'body');
    if (body.role !== undefined && me.role !== 'admin') throw forbidden('only an admin may change a role');

    // Column names come from this fixed list, values only ever travel as parameters.
    const sets: string[] = [];
    const params: unknown[] = [];
    const add = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (body.name !== undefined) add('name', body.name);
    if (body.email !== undefined) add('email', body.email);
    if (body.password !== undefined) add('password_hash', await deps.services.auth.hashPassword(body.password));
    if (body.role !== undefined) add('role', body.role);
    params.push(id);
    let rows: UserRow[];
    try {
      ({ rows } = await db.write<UserRow>(
        `UPDATE users SET ${sets.join(', ')}, updated_at = now() WHERE id = $${params.length}
         RETURNING id, email, name, role, created_at, updated_at`,
        params,
      ));
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw conflict('this e-mail is already registered');
      throw err;
    }
    if (!rows[0]) throw notFound(`user ${id} not found`);
    // Invalidate after the write has committed; the next read refills from the primary.
    try {
      await redis.del(cacheKey(id));
      metrics.cacheInvalidations.inc({ cache: 'user' });
    } catch (err) {
      metrics.cacheErrors.inc({ cache: 'user', op: 'del' });
      req.log.error(errFields(err), 'user cache invalidation failed; entry expires with its TTL');
    }
    return { user: publicUser(rows[0], true) };
  });
}
