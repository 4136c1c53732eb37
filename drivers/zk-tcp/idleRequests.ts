// Requests that wait for the driver's next idle moment on its one connection (the sync-clock
// command's ClockSetter, the users loan's UsersLender): queued in order, each leaves the queue with
// its own rejection when its signal aborts first, and all are rejected when the session ends.
import { GatewayError } from '../../src/util/errors.js';

export interface IdleRequest<T> {
  readonly signal: AbortSignal;
  resolve(value: T): void;
  reject(error: Error): void;
}

export class IdleRequests<T> {
  private waiting: IdleRequest<T>[] = [];

  get length(): number {
    return this.waiting.length;
  }

  /** Queues a request; rejects with GW_ERR_DEVICE_UNREACHABLE when `signal` aborts before it is served. */
  add(signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'aborted'));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.waiting = this.waiting.filter((r) => r !== request);
        reject(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'aborted before the terminal was free'));
      };
      const request: IdleRequest<T> = {
        signal,
        resolve: (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
        reject: (error) => (signal.removeEventListener('abort', onAbort), reject(error)),
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(request);
    });
  }

  /** The oldest request, out of the queue. */
  take(): IdleRequest<T> | undefined {
    return this.waiting.shift();
  }

  /** Every request, out of the queue. */
  takeAll(): IdleRequest<T>[] {
    const all = this.waiting;
    this.waiting = [];
    return all;
  }

  rejectAll(error: Error): void {
    for (const request of this.takeAll()) request.reject(error);
  }
}
