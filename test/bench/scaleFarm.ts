// The terminal farm of `npm run bench:scale`: a child process holding many simulated terminals, so
// the gateway's RSS and CPU (another process) are its own. Driven over the IPC channel:
//   bench → {type:'start', plan}      farm → {type:'ready', ports}
//   bench → {type:'punch', everyMs, seconds}   farm → {type:'made', perDevice}
//   bench → {type:'stop'}             farm exits
// Invariants:
// - Each terminal punches once every `everyMs` (start staggered over the first interval), a
//   different staff pin each time, at the terminal's own clock: no two punches of one terminal share
//   (pin, second), so every punch made has its own punch/v1 id and the counts compare 1:1.
// - ZK TCP terminals push realtime events; ZK UDP terminals only log (the gateway polls them);
//   ADMS terminals upload each punch at once (Realtime=1) and retry until the gateway answers OK.
// - Only loopback sockets.
import { ZkPushSimulator } from '../../src/sim/zkPush/simulator.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/simulator.js';
import type { FarmPlan, FarmTerminal } from './scaleConfig.js';

interface Running {
  terminal: FarmTerminal;
  punch(pin: string): void;
  stop(): Promise<void>;
  made: number;
}

const USERS = 40;
const running: Running[] = [];

function send(message: unknown): void {
  process.send?.(message);
}

async function startZk(terminal: FarmTerminal): Promise<Running> {
  const udp = terminal.kind === 'zk-udp';
  const sim = new ZkTcpSimulator({ tcp: !udp, udp, serial: terminal.serial, users: USERS, seed: terminal.index + 1 });
  const { port } = await sim.start();
  terminal.port = port;
  return {
    terminal,
    made: 0,
    punch: (pin) => void sim.addPunch({ pin, verify: 1, state: 0 }, { realtime: !udp }),
    stop: () => sim.stop(),
  };
}

function startPush(terminal: FarmTerminal, target: string): Running {
  const sim = new ZkPushSimulator({ target, serial: terminal.serial, retryMs: 2000 });
  sim.start(); // handshake, then upload + getrequest every Delay
  let uploads = Promise.resolve(0);
  return {
    terminal,
    made: 0,
    punch: (pin) => {
      sim.addPunch({ pin, verify: 1, state: 0 });
      // Realtime=1: the terminal posts the punch now (one upload at a time per terminal)
      uploads = uploads.then(() => sim.upload()).catch(() => 0);
    },
    stop: async () => {
      await sim.stop();
    },
  };
}

async function start(plan: FarmPlan): Promise<void> {
  for (const terminal of plan.terminals) {
    running.push(terminal.kind === 'zk-push' ? startPush(terminal, plan.pushTarget) : await startZk(terminal));
  }
  send({ type: 'ready', terminals: plan.terminals });
}

/** Every terminal punches every `everyMs` for `seconds`; resolves when the last punch is made. */
async function punch(everyMs: number, seconds: number): Promise<void> {
  const endAt = Date.now() + seconds * 1000;
  await Promise.all(
    running.map(async (r, k) => {
      await new Promise((resolve) => setTimeout(resolve, (k / running.length) * everyMs));
      while (Date.now() < endAt) {
        const pin = String(1001 + ((r.made + r.terminal.index) % USERS));
        r.punch(pin);
        r.made += 1;
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    }),
  );
  send({ type: 'made', perDevice: Object.fromEntries(running.map((r) => [r.terminal.id, r.made])) });
}

process.on('message', (message: { type: string; plan?: FarmPlan; everyMs?: number; seconds?: number }) => {
  if (message.type === 'start') void start(message.plan as FarmPlan).catch((error: unknown) => send({ type: 'error', error: String(error) }));
  if (message.type === 'punch') void punch(message.everyMs ?? 5000, message.seconds ?? 20);
  if (message.type === 'stop') {
    void Promise.all(running.map((r) => r.stop())).finally(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
