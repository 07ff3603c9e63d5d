// Input validation (zod). Every route parses its params, query and body through these; anything
// that does not fit answers 400 with a message naming the field. Objects are strict: unknown keys
// (say "role": "admin" on register) are rejected, not silently dropped.
import { z } from 'zod';
import { badRequest, describeZodError } from './errors.js';

const id = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'must be a positive whole number')
  .transform(Number);

export const IdParams = z.object({ id });
export const JobParams = z.object({ id: z.uuid({ message: 'must be a job id (a UUID)' }) });

const email = z
  .email({ message: 'must be an e-mail address' })
  .max(254)
  .transform((s) => s.toLowerCase());
// bcrypt only looks at the first 72 bytes: longer passwords are refused rather than cut.
const password = z
  .string()
  .min(8, 'must be at least 8 characters')
  .refine((s) => Buffer.byteLength(s) <= 72, 'must be at most 72 bytes');
const name = z.string().trim().min(1, 'must not be empty').max(100);

export const RegisterBody = z.strictObject({ email, password, name });
export const LoginBody = z.strictObject({ email, password: z.string().min(1).max(1024) });
export const RefreshBody = z.strictObject({ refresh_token: z.string().min(1).max(512) });
export const LogoutBody = z.strictObject({ refresh_token: z.string().min(1).max(512).optional() });

export const PatchUserBody = z
  .strictObject({ name: name.optional(), email: email.optional(), password: password.optional(), role: z.enum(['user', 'admin']).optional() })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'give at least one of name, email, password, role');

export const OrderBody = z.strictObject({
  product: z.string().trim().min(1).max(200),
  quantity: z.int().min(1).max(10_000),
  unit_price_cents: z.int().min(0).max(10_000_000),
});

export const OrdersQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, 'must be a whole number from 1 to 100')
    .optional(),
  before: id.optional(),
});

export const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,100}$/, 'Idempotency-Key must be 1-100 characters of A-Z a-z 0-9 _ -')
  .optional();

export const EmailBody = z.strictObject({
  to: z.email({ message: 'must be an e-mail address' }).max(254),
  subject: z.string().trim().min(1).max(200),
  body: z.string().min(1).max(10_000),
});

export const ExportBody = z.strictObject({ format: z.enum(['csv']).optional() });

export const SlowQuery = z.strictObject({
  ms: z
    .string()
    .regex(/^\d{1,5}$/, 'must be milliseconds, 0 to 30000')
    .transform(Number)
    .refine((n) => n <= 30_000, 'must be milliseconds, 0 to 30000'),
});

/** Parse or throw 400 "invalid <what>: <field>: <problem>; ...". */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  if (value === undefined && what === 'body') throw badRequest('a JSON body is required (Content-Type: application/json)');
  const r = schema.safeParse(value);
  if (!r.success) throw badRequest(`invalid ${what}: ${describeZodError(r.error)}`);
  return r.data;
}
