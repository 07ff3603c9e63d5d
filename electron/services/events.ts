import { EventEmitter } from 'node:events';
import type { ApiEvent } from '../../shared/api/contract.ts';

/** Fan-out of API events to every transport (IPC windows, SSE clients, the CLI's progress printer). */
export class EventBus {
  private readonly emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(100);
  }
  emit(event: ApiEvent): void {
    this.emitter.emit('event', event);
  }
  subscribe(listener: (event: ApiEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
