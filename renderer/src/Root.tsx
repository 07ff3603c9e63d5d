import { useEffect, useMemo, useState } from 'react';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { AccessContext, onUnauthorized, reportUnauthorized, type Access } from './api/auth.ts';
import { ApiProvider } from './api/ApiContext.tsx';
import { clearToken, createApi, isDesktop, readToken, saveToken } from './api/transport.ts';
import { App } from './App.tsx';
import { SignIn } from './components/SignIn.tsx';
import { errorCode } from './lib/errors.ts';

const NO_RETRY = new Set<string>(['NOT_FOUND', 'UNAUTHORIZED', 'BAD_REQUEST', 'SPEC_INVALID', 'ENGINE_UNREACHABLE']);

const onError = (err: unknown) => {
  if (errorCode(err) === 'UNAUTHORIZED') reportUnauthorized();
};

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError }),
  defaultOptions: {
    queries: {
      staleTime: 1_000,
      // Errors that a retry cannot fix are shown at once.
      retry: (count, err) => {
        const code = errorCode(err);
        if (code && NO_RETRY.has(code)) return false;
        return count < 2;
      },
    },
    mutations: { retry: false },
  },
});

type Gate = { token: string | null; blocked: null | 'missing' | 'refused' | 'signed-out' };

/** Web mode needs a token: without one, or when the server refuses it, the sign-in screen shows. */
export function Root() {
  const desktop = isDesktop();
  const [gate, setGate] = useState<Gate>(() => {
    const token = desktop ? null : readToken();
    return { token, blocked: !desktop && !token ? 'missing' : null };
  });
  const api = useMemo(() => createApi(gate.token), [gate.token]);

  useEffect(() => {
    if (desktop) return;
    return onUnauthorized(() => setGate((g) => (g.blocked ? g : { ...g, blocked: 'refused' })));
  }, [desktop]);

  const access = useMemo<Access>(
    () => ({
      mode: desktop ? 'desktop' : 'web',
      token: gate.token,
      signOut: () => {
        clearToken();
        queryClient.clear();
        setGate({ token: null, blocked: 'signed-out' });
      },
    }),
    [desktop, gate.token],
  );

  if (gate.blocked) {
    return (
      <SignIn
        reason={gate.blocked}
        onSignedIn={(token) => {
          saveToken(token);
          queryClient.clear();
          setGate({ token, blocked: null });
        }}
      />
    );
  }

  return (
    <AccessContext.Provider value={access}>
      <ApiProvider api={api}>
        <QueryClientProvider client={queryClient}>
          <App />
        </QueryClientProvider>
      </ApiProvider>
    </AccessContext.Provider>
  );
}
