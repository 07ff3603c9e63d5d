// POST /api/register, /api/login, /api/refresh, /api/logout
import type { FastifyInstance } from 'fastify';
import { requireUser, type RouteDeps } from '../app.js';
import { Auth, type Role } from '../auth.js';
import { conflict, unauthorized } from '../errors.js';
import { LoginBody, LogoutBody, RefreshBody, RegisterBody, parse } from '../schemas.js';
import { publicUser, type UserRow } from './users.js';

export function authRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { db, auth } = deps.services;
  const { cfg } = deps;

  const tokens = async (user: { id: number; role: Role }, sid: string, refreshToken: string) => ({
    token_type: 'Bearer',
    access_token: await auth.accessToken(user, sid),
    expires_in: cfg.accessTokenTtlSeconds,
    refresh_token: refreshToken,
    refresh_expires_in: cfg.refreshTokenTtlSeconds,
  });

  app.post('/api/register', async (req, reply) => {
    const body = parse(RegisterBody, req.body, 'body');
    const hash = await auth.hashPassword(body.password);
    try {
      const { rows } = await db.write<UserRow>(
        `INSERT INTO users (email, password_hash, name) VALUES ($1, $2, $3)
         RETURNING id, email, name, role, created_at, updated_at`,
        [body.email, hash, body.name],
      );
      return reply.code(201).send({ user: publicUser(rows[0]!, true) });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw conflict('this e-mail is already registered');
      throw err;
    }
  });

  app.post('/api/login', async (req) => {
    const body = parse(LoginBody, req.body, 'body');
    const { rows } = await db.primaryRead<{ id: number; role: Role; password_hash: string }>(
      'SELECT id, role, password_hash FROM users WHERE lower(email) = $1',
      [body.email],
    );
    const user = rows[0];
    if (!(await auth.checkPassword(body.password, user?.password_hash)) || !user) throw unauthorized('wrong e-mail or password');
    const { sid, refreshToken } = await auth.createSession(user.id);
    return tokens(user, sid, refreshToken);
  });

  app.post('/api/refresh', async (req) => {
    const body = parse(RefreshBody, req.body, 'body');
    const { userId, sid, refreshToken } = await auth.rotate(body.refresh_token);
    // The role may have changed since the last token: read it from the primary.
    const { rows } = await db.primaryRead<{ id: number; role: Role }>('SELECT id, role FROM users WHERE id = $1', [userId]);
    if (!rows[0]) {
      await auth.revoke(sid);
      throw unauthorized('the account no longer exists');
    }
    return tokens(rows[0], sid, refreshToken);
  });

  // Revokes the session of the access token (and of the refresh token, if one is given).
  app.post('/api/logout', { preHandler: requireUser(deps) }, async (req, reply) => {
    const body = req.body === undefined ? {} : parse(LogoutBody, req.body, 'body');
    await auth.revoke(req.user!.sid);
    const other = body.refresh_token ? Auth.sessionOf(body.refresh_token) : undefined;
    if (other && other !== req.user!.sid) await auth.revoke(other);
    return reply.code(204).send();
  });
}
