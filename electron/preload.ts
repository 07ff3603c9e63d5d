import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC, isMethod, type ApiEvent, type Envelope } from '../shared/api/contract.ts';

/**
 * The preload exposes exactly the API contract: invoke(method, args) for the contract's methods
 * and onEvent for pushed events. It runs sandboxed (bundled as CommonJS).
 */
const api = {
  invoke(method: string, args: unknown): Promise<Envelope<unknown>> {
    if (!isMethod(method)) {
      return Promise.resolve({ ok: false, error: { code: 'BAD_REQUEST', message: `No API method ${method}.` } });
    }
    return ipcRenderer.invoke(IPC.channel(method), args) as Promise<Envelope<unknown>>;
  },
  onEvent(listener: (event: ApiEvent) => void): () => void {
    const handler = (_e: IpcRendererEvent, event: ApiEvent) => listener(event);
    ipcRenderer.on(IPC.events, handler);
    return () => ipcRenderer.off(IPC.events, handler);
  },
};

export type PreloadApi = typeof api;

contextBridge.exposeInMainWorld('scaledeck', api);
