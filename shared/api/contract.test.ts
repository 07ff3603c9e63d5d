import { describe, expect, it, vi } from 'vitest';
import { createClient } from './client.ts';
import { HTTP, IPC, METHODS, isMethod, type ApiEvent, type Envelope, type MethodName, type Transport } from './contract.ts';
import { ScaleDeckError, formatError, toErrorBody } from './errors.ts';
import { SpecValidationError } from '../spec/validate.ts';

describe('METHODS', () => {
  it('are unique and dotted names', () => {
    expect(new Set(METHODS).size).toBe(METHODS.length);
    for (const m of METHODS) expect(m).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
  });

  it('derive one IPC channel and one HTTP route each, all distinct', () => {
    const channels = METHODS.map((m) => IPC.channel(m));
    const routes = METHODS.map((m) => HTTP.route(m));
    expect(new Set(channels).size).toBe(METHODS.length);
    expect(new Set(routes).size).toBe(METHODS.length);
    expect(IPC.channel('clusters.apply')).toBe('scaledeck:clusters.apply');
    expect(HTTP.route('clusters.apply')).toBe('/api/clusters.apply');
    expect(channels).not.toContain(IPC.events);
    expect(routes).not.toContain(HTTP.events);
  });

  it('isMethod accepts exactly the listed names', () => {
    for (const m of METHODS) expect(isMethod(m)).toBe(true);
    for (const x of ['clusters', 'clusters.nuke', 'CLUSTERS.LIST', '', null, 42, 'toString', '__proto__']) expect(isMethod(x)).toBe(false);
  });
});

function fakeTransport(reply: (method: MethodName, args: unknown) => Envelope<unknown>) {
  const calls: [MethodName, unknown][] = [];
  const listeners = new Set<(e: ApiEvent) => void>();
  const transport: Transport = {
    invoke: async (method, args) => {
      calls.push([method, args]);
      return reply(method, args);
    },
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return { transport, calls, listeners };
}

describe('createClient', () => {
  it('has a function for every method', () => {
    const client = createClient(fakeTransport(() => ({ ok: true, result: null })).transport) as unknown as Record<string, unknown>;
    for (const m of METHODS) expect(typeof client[m]).toBe('function');
  });

  it('returns the result of an ok envelope and passes args through (null when none)', async () => {
    const { transport, calls } = fakeTransport((m) => ({ ok: true, result: { method: m } }));
    const client = createClient(transport);
    await expect(client['clusters.scale']({ name: 'shop', replicas: 4 })).resolves.toEqual({ method: 'clusters.scale' });
    await expect(client['presets.list']()).resolves.toEqual({ method: 'presets.list' });
    expect(calls).toEqual([
      ['clusters.scale', { name: 'shop', replicas: 4 }],
      ['presets.list', null],
    ]);
  });

  it('turns {ok:false} into a ScaleDeckError with code, message, hint and details', async () => {
    const { transport } = fakeTransport(() => ({
      ok: false,
      error: { code: 'PORT_IN_USE', message: 'Port 8080 is taken.', hint: 'Choose another port.', details: { port: 8080 } },
    }));
    const client = createClient(transport);
    const err = await client['clusters.apply']({ yaml: 'name: x' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ScaleDeckError);
    expect(err).toBeInstanceOf(Error);
    const e = err as ScaleDeckError;
    expect([e.code, e.message, e.hint, e.details, e.name]).toEqual(['PORT_IN_USE', 'Port 8080 is taken.', 'Choose another port.', { port: 8080 }, 'ScaleDeckError']);
  });

  it('subscribes through the transport and can unsubscribe', () => {
    const { transport, listeners } = fakeTransport(() => ({ ok: true, result: null }));
    const client = createClient(transport);
    const seen = vi.fn();
    const off = client.subscribe(seen);
    expect(listeners.size).toBe(1);
    for (const l of listeners) l({ type: 'cluster-changed', cluster: 'shop' });
    expect(seen).toHaveBeenCalledWith({ type: 'cluster-changed', cluster: 'shop' });
    off();
    expect(listeners.size).toBe(0);
  });
});

describe('errors', () => {
  it('ScaleDeckError round-trips through its body, leaving out what is unset', () => {
    const e = new ScaleDeckError('BUSY', 'busy', 'wait');
    expect(e.toBody()).toEqual({ code: 'BUSY', message: 'busy', hint: 'wait' });
    expect(new ScaleDeckError('INTERNAL', 'x').toBody()).toEqual({ code: 'INTERNAL', message: 'x' });
    const back = ScaleDeckError.fromBody(e.toBody());
    expect([back.code, back.message, back.hint]).toEqual(['BUSY', 'busy', 'wait']);
  });

  it('toErrorBody maps spec errors to SPEC_INVALID with the errors as details, and anything else to INTERNAL', () => {
    const errors = [{ path: 'api/replicas', message: 'must be between 1 and 64 (got 0)' }];
    const body = toErrorBody(new SpecValidationError(errors));
    expect(body.code).toBe('SPEC_INVALID');
    expect(body.details).toEqual(errors);
    expect(body.message).toContain('api/replicas: must be between 1 and 64 (got 0)');
    expect(toErrorBody(new Error('boom'))).toEqual({ code: 'INTERNAL', message: 'boom' });
    expect(toErrorBody('text')).toEqual({ code: 'INTERNAL', message: 'text' });
    expect(toErrorBody(new ScaleDeckError('NOT_FOUND', 'gone', 'look'))).toEqual({ code: 'NOT_FOUND', message: 'gone', hint: 'look' });
  });

  it('formatError adds the hint on its own line', () => {
    expect(formatError({ code: 'BUSY', message: 'busy', hint: 'wait' })).toBe('busy\n  → wait');
    expect(formatError({ code: 'BUSY', message: 'busy' })).toBe('busy');
  });
});
