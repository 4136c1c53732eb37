// A paced zk-tcp simulator on its own thread, for the streaming bench: a real terminal does not
// share a CPU queue with the broker and the subscriber the bench runs. In the bench's own event
// loop, the simulator's packet timers waited behind the subscriber's 100,000 messages, so the
// terminal itself slowed down while the gateway published, and the ratio blamed the gateway for
// it (chunks took 130–420 ms instead of the 130 ms the pacing sets).
// Invariants:
// - Instants are wall-clock milliseconds taken on the terminal's thread (timeOrigin + now), turned
//   into this thread's performance.now() scale, so a busy bench loop does not delay them.
import { Worker } from 'node:worker_threads';

export interface TerminalOptions {
  records: number;
  gapMs: number;
  /** chunks of the attendance dataset: the last one being asked for is reported */
  chunks: number;
}

export interface TerminalThread {
  port: number;
  connectedAt(): number | undefined;
  lastChunkAt(): number | undefined;
  stop(): Promise<void>;
}

type Event = { type: 'listening'; port: number } | { type: 'connected' | 'lastChunk'; at: number } | { type: 'stopped' };

const WORKER = new URL('./terminalThread.worker.ts', import.meta.url);

/** A TypeScript worker: it loads tsx's ESM hooks itself before its entry (execArgv --import does not reach it). */
export function startTsWorker(entry: URL, workerData: unknown): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

export async function startTerminalThread(options: TerminalOptions): Promise<TerminalThread> {
  const worker = startTsWorker(WORKER, options);
  const local = (wallMs: number): number => wallMs - performance.timeOrigin;
  let connected: number | undefined;
  let lastChunk: number | undefined;
  let stopped: () => void = () => undefined;
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (event: Event) => {
      if (event.type === 'listening') resolve(event.port);
      else if (event.type === 'connected') connected = local(event.at);
      else if (event.type === 'lastChunk') lastChunk = local(event.at);
      else stopped();
    });
  });
  return {
    port,
    connectedAt: () => connected,
    lastChunkAt: () => lastChunk,
    stop: async () => {
      const done = new Promise<void>((resolve) => (stopped = resolve));
      worker.postMessage('stop');
      await done;
      await worker.terminate();
    },
  };
}
