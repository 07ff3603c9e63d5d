// POST /api/orders (primary), GET /api/users/:id/orders (replica, falling back to the primary).
import type { FastifyInstance } from 'fastify';
import { requireUser, type RouteDeps } from '../app.js';
import { forbidden } from '../errors.js';
import { IdParams, IdempotencyKey, OrderBody, OrdersQuery, parse } from '../schemas.js';

interface OrderRow {
  id: number;
  user_id: number;
  product: string;
  quantity: number;
  unit_price_cents: number;
  total_cents: number;
  created_at: Date;
  [k: string]: unknown;
}
const COLUMNS = 'id, user_id, product, quantity, unit_price_cents, total_cents, created_at';
const view = (o: OrderRow) => ({ ...o, created_at: o.created_at.toISOString() });

export function orderRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { db } = deps.services;
  const auth = requireUser(deps);

  // An Idempotency-Key makes a retried POST (a timeout, a balancer retry) create one order, not two.
  app.post('/api/orders', { preHandler: auth }, async (req, reply) => {
    const body = parse(OrderBody, req.body, 'body');
    const key = parse(IdempotencyKey, req.headers['idempotency-key'], 'header');
    const me = req.user!;
    const { rows } = await db.write<OrderRow>(
      `INSERT INTO orders (user_id, product, quantity, unit_price_cents, total_cents, idempotency_key)
       VALUES ($1, $2, $3, $4, $5::bigint, $6)
       ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING ${COLUMNS}`,
      [me.id, body.product, body.quantity, body.unit_price_cents, body.quantity * body.unit_price_cents, key ?? null],
    );
    if (rows[0]) return reply.code(201).send({ order: view(rows[0]) });
    const existing = await db.write<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE user_id = $1 AND idempotency_key = $2`, [me.id, key]);
    reply.header('idempotent-replayed', 'true');
    return reply.code(200).send({ order: view(existing.rows[0]!) });
  });

  // Keyset pagination: ?limit=20&before=<id of the last order seen>.
  app.get('/api/users/:id/orders', { preHandler: auth }, async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    const me = req.user!;
    if (me.id !== id && me.role !== 'admin') throw forbidden("only the account owner or an admin may list a user's orders");
    const q = parse(OrdersQuery, req.query, 'query');
    const limit = q.limit ?? 20;
    const { rows } = await db.read<OrderRow>(
      `SELECT ${COLUMNS} FROM orders WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint) ORDER BY id DESC LIMIT $3`,
      [id, q.before ?? null, limit],
    );
    return { orders: rows.map(view), next_before: rows.length === limit ? rows[rows.length - 1]!.id : null };
  });
}
