// The paced Hikvision terminal of the AcsEvent row (streamPaged.ts) on its own thread: the first
// AcsEvent request's instant is taken there (wall clock, turned into this thread's scale) and the
// page count is asked for at the end.
import { startTsWorker } from './terminalThread.js';

export interface AcsTerminalOptions {
  password: string;
  records: number;
  firstPunchMs: number;
  pageCap: number;
  packetBytes: number;
  gapMs: number;
}

export interface AcsTerminal {
  port: number;
  /** events the terminal holds (attendance and door events) */
  events: number;
  /** when it received the first AcsEvent request, on performance.now()'s scale */
  askedAt(): number | undefined;
  pages(): Promise<number>;
  stop(): Promise<void>;
}

type Event = { type: 'listening'; port: number; events: number } | { type: 'asked'; at: number } | { type: 'pages'; pages: number } | { type: 'stopped' };

const WORKER = new URL('./acsTerminal.worker.ts', import.meta.url);

export async function startAcsTerminal(options: AcsTerminalOptions): Promise<AcsTerminal> {
  const worker = startTsWorker(WORKER, options);
  let asked: number | undefined;
  let onPages: (pages: number) => void = () => undefined;
  let stopped: () => void = () => undefined;
  const listening = await new Promise<{ port: number; events: number }>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (event: Event) => {
      if (event.type === 'listening') resolve(event);
      else if (event.type === 'asked') asked = event.at - performance.timeOrigin;
      else if (event.type === 'pages') onPages(event.pages);
      else stopped();
    });
  });
  return {
    ...listening,
    askedAt: () => asked,
    pages: () => {
      const answer = new Promise<number>((resolve) => (onPages = resolve));
      worker.postMessage('pages');
      return answer;
    },
    stop: async () => {
      const done = new Promise<void>((resolve) => (stopped = resolve));
      worker.postMessage('stop');
      await done;
      await worker.terminate();
    },
  };
}
