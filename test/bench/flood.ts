// A forger's flood against the push listener while real terminals keep punching (issue #15
// "Measure and report"), shared by the bench (test/bench/forgerFlood.ts, 10 s against the daemon)
// and the short test (test/reliability/hostile/forgerFlood.net.test.ts).
// Invariants:
// - The forger sends only from FORGER_ADDRESS (127.0.0.2), the terminals only from 127.0.0.1;
//   everything stays on loopback. Bodies are synthetic ATTLOG lines; forged pins start with 9,
//   real ones with 1, so a forged punch in the buffer is recognisable.
// - A real terminal behaves like one: it handshakes with its comm key, then uploads one punch at a
//   time and sends the same punch again until it is answered `OK: 1`. `sent` lists the punches
//   the gateway acknowledged; nothing here measures or asserts a duration.
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { formatLocal, zoneOffsetMinutes } from '../../src/punch/time.js';
import { attlogLine, FORGER_ADDRESS, TERMINAL_ADDRESS, zkPushCaller } from '../helpers/pushClient.js';

export interface FloodTerminal {
  serial: string;
  commKey?: string;
}

export interface FloodPlan {
  port: number;
  durationMs: number;
  /** real terminals on 127.0.0.1; the forger aims at their serials */
  terminals: FloodTerminal[];
  /** concurrent forger requests (keep-alive sockets); default 6 */
  forgerConcurrency?: number;
  /** slow sockets the forger tries to keep open (partial headers, never finished); default 64 */
  slowSockets?: number;
  /** pause between two punches of one terminal; default 20 ms */
  punchEveryMs?: number;
}

export interface FloodOutcome {
  /** per terminal serial: the pins the gateway answered OK for */
  sent: Record<string, string[]>;
  /** uploads of real punches that had to be sent again (non-OK answer or network error) */
  realRetries: number;
  /** forger requests by kind and answer (`forged-upload 403`, `unknown-serial 503`, `… error`) */
  forger: Record<string, number>;
  /** slow sockets the forger opened (a socket the listener closes is opened again, 50 ms later) */
  slowOpened: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Wall time `seconds` ago in Asia/Jakarta (the gateway zone of both harnesses), as a terminal writes it. */
function localTimeAgo(seconds: number): string {
  const at = Date.now() - seconds * 1000;
  return formatLocal(at, zoneOffsetMinutes('Asia/Jakarta', at));
}

async function runTerminal(port: number, t: FloodTerminal, until: number, everyMs: number, out: FloodOutcome): Promise<void> {
  const caller = zkPushCaller(port, t.serial, TERMINAL_ADDRESS);
  const sent: string[] = (out.sent[t.serial] = []);
  while ((await caller.handshake(t.commKey).catch(() => undefined))?.status !== 200) await pause(everyMs);
  for (let i = 0; Date.now() < until; i += 1) {
    const pin = `1${String(i).padStart(6, '0')}`;
    const line = attlogLine(pin, localTimeAgo(5000 - i)); // one second apart, in the past
    for (;;) {
      const reply = await caller.upload(line, String(i + 1)).catch(() => undefined);
      if (reply?.status === 200 && reply.body === 'OK: 1') break;
      out.realRetries += 1;
      await pause(everyMs);
    }
    sent.push(pin);
    await pause(everyMs);
  }
}

function forgerRequests(terminals: FloodTerminal[]): { kind: string; method: 'GET' | 'POST'; path: () => string; body?: () => string }[] {
  const serials = terminals.map((t) => t.serial);
  const pick = (): string => serials[Math.floor(Math.random() * serials.length)]!;
  let n = 0;
  const forgedLine = (): string => attlogLine(`9${String((n += 1) % 1_000_000).padStart(6, '0')}`, localTimeAgo(500));
  return [
    { kind: 'forged-upload', method: 'POST', path: () => `/iclock/cdata?SN=${pick()}&table=ATTLOG&Stamp=9999`, body: forgedLine },
    { kind: 'wrong-key-handshake', method: 'GET', path: () => `/iclock/cdata?SN=${pick()}&options=all&pushver=2.4.1&pushcommkey=${Math.floor(Math.random() * 1e6)}` },
    { kind: 'forged-poll', method: 'GET', path: () => `/iclock/getrequest?SN=${pick()}` },
    { kind: 'forged-result', method: 'POST', path: () => `/iclock/devicecmd?SN=${pick()}`, body: () => `ID=${Math.floor(Math.random() * 1e9)}&Return=0&CMD=INFO\n~DeviceName=${'X'.repeat(4096)}\n` },
    { kind: 'unknown-serial', method: 'POST', path: () => `/iclock/cdata?SN=FORGED${Math.floor(Math.random() * 1e9)}&table=ATTLOG`, body: forgedLine },
  ];
}

function forgerSend(agent: Agent, port: number, method: string, path: string, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: { 'content-type': 'text/plain' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(-1));
    });
    req.on('error', () => resolve(-1));
    req.end(body);
  });
}

async function runForger(plan: FloodPlan, until: number, out: FloodOutcome): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: plan.forgerConcurrency ?? 6, localAddress: FORGER_ADDRESS });
  const kinds = forgerRequests(plan.terminals);
  const worker = async (w: number): Promise<void> => {
    for (let i = w; Date.now() < until; i += 1) {
      const k = kinds[i % kinds.length]!;
      const status = await forgerSend(agent, plan.port, k.method, k.path(), k.body?.());
      const key = `${k.kind} ${status < 0 ? 'error' : status}`;
      out.forger[key] = (out.forger[key] ?? 0) + 1;
      if (status < 0) await pause(5); // refused at connect: do not spin
    }
  };
  await Promise.all(Array.from({ length: plan.forgerConcurrency ?? 6 }, (_, w) => worker(w)));
  agent.destroy();
}

async function runSlowSockets(plan: FloodPlan, until: number, out: FloodOutcome): Promise<void> {
  const open = new Set<Socket>();
  const partial = `POST /iclock/cdata?SN=${plan.terminals[0]?.serial ?? 'X'}&table=ATTLOG HTTP/1.1\r\nHost: gateway\r\nContent-Length: 100000\r\n`;
  const openOne = (): void => {
    if (Date.now() >= until) return;
    out.slowOpened += 1;
    const socket = connect({ host: '127.0.0.1', port: plan.port, localAddress: FORGER_ADDRESS }, () => socket.write(partial));
    open.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      open.delete(socket);
      setTimeout(openOne, 50).unref();
    });
  };
  for (let i = 0; i < (plan.slowSockets ?? 64); i += 1) openOne();
  await pause(Math.max(0, until - Date.now()));
  for (const socket of open) socket.destroy();
}

/** Runs the forger, its slow sockets and the real terminals side by side for `durationMs`. */
export async function runFlood(plan: FloodPlan): Promise<FloodOutcome> {
  const until = Date.now() + plan.durationMs;
  const out: FloodOutcome = { sent: {}, realRetries: 0, forger: {}, slowOpened: 0 };
  await Promise.all([
    ...plan.terminals.map((t) => runTerminal(plan.port, t, until, plan.punchEveryMs ?? 20, out)),
    runForger(plan, until, out),
    runSlowSockets(plan, until, out),
  ]);
  return out;
}

/** The flood's device entries: one terminal with commKey inside an allowFrom subnet the forger is in too, one with allowFrom only. */
export const FLOOD_TERMINALS: (FloodTerminal & { id: string; entry: string })[] = [
  { id: 'loket-kunci', serial: 'FLOODKEY0001', commKey: '271828', entry: 'allowFrom: ["127.0.0.0/29"], commKey: "271828"' },
  { id: 'loket-alamat', serial: 'FLOODADR0001', entry: `allowFrom: ["${TERMINAL_ADDRESS}"]` },
];
