import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { ApiProvider } from './api/ApiContext.tsx';
import { createApi } from './api/transport.ts';
import { App } from './App.tsx';
import { errorCode } from './lib/errors.ts';
import { applyStoredTheme } from './lib/theme.ts';
import './styles.css';

applyStoredTheme();

const api = createApi();
const NO_RETRY = new Set<string>(['NOT_FOUND', 'UNAUTHORIZED', 'BAD_REQUEST', 'SPEC_INVALID', 'ENGINE_UNREACHABLE']);

const queryClient = new QueryClient({
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

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiProvider api={api}>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </ApiProvider>
  </StrictMode>,
);
