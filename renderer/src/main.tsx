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

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 1_000,
      // Errors that a retry cannot fix are shown at once.
      retry: (count, err) => {
        const code = errorCode(err);
        if (code === 'NOT_FOUND' || code === 'UNAUTHORIZED' || code === 'BAD_REQUEST' || code === 'SPEC_INVALID') return false;
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
