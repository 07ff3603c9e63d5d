// Test-only routes, registered only when ENABLE_TEST_ROUTES=1 (never in a real deployment).
import type { FastifyInstance } from 'fastify';
import { SlowQuery, parse } from '../schemas.js';

export function testRoutes(app: FastifyInstance) {
  // A request that takes a while: shows graceful shutdown letting in-flight work finish.
  app.get('/api/test/slow', async (req) => {
    const { ms } = parse(SlowQuery, req.query, 'query');
    await new Promise((r) => setTimeout(r, ms));
    return { slept_ms: ms };
  });
}
