import { METHODS, type ApiClient, type MethodName, type Transport } from './contract.ts';
import { ScaleDeckError } from './errors.ts';

/** A typed client over any transport: envelopes become results or real Errors again. */
export function createClient(transport: Transport): ApiClient {
  const client: Record<string, unknown> = {
    subscribe: (listener: Parameters<Transport['subscribe']>[0]) => transport.subscribe(listener),
  };
  for (const method of METHODS) {
    client[method] = async (args?: unknown) => {
      const env = await transport.invoke(method as MethodName, args ?? null);
      if (env.ok) return env.result;
      throw ScaleDeckError.fromBody(env.error);
    };
  }
  return client as ApiClient;
}
