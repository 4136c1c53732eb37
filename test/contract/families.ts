// The per-family adapters of the driver contract suite (driver.contract.test.ts): how to run each
// driver family on its simulator, make a device entry, make a punch on the terminal, feed it bad
// input, take the terminal away and bring it back. Every import of a driver folder or a simulator
// the suite needs is here, so the suite itself knows only this file and the memory context.
// Invariants:
// - Drivers are made by their factory from BUILTIN_DRIVERS (config parsed by its schema, `create`),
//   as the supervisor makes them; serial-line alone is built with its binding-mock opener, since
//   the factory opens real ports.
// - Every network terminal sits behind a Link (link.ts) on 127.0.0.1: pulled terminals behind it
//   for the driver, push terminals in front of the push listener.
// - Punches get times one minute apart from two hours ago, in the terminal's zone (Asia/Jakarta),
//   and fresh PINs: no two punches of a run share `pin|localTime`.
// - `claimed()` is what the terminal-facing state (the committed checkpoint, or what the terminal
//   was told is stored) says is committed; the suite checks it against the buffer at every commit.
//   Bad input never counts as claimed: the driver refuses it, and says so.
import { SerialPortMock } from 'serialport';
import { encodePacket, encodeTcpFrame } from '../../drivers/zk-tcp/codec.js';
import { CMD, EF } from '../../drivers/zk-tcp/tables.js';
import { SerialLineDriver, type PortOptions } from '../../drivers/serial-line/driver.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import type { Driver } from '../../src/devices/driver.js';
import { formatLocal } from '../../src/punch/time.js';
import type { WatermarkBasis } from '../../src/punch/watermark.js';
import { PushListener } from '../../src/push/listener.js';
import { FingerspotSimulator } from '../../src/sim/fingerspot/index.js';
import { HikvisionSimulator, type SimEvent } from '../../src/sim/hikvision/index.js';
import { ZkPushSimulator } from '../../src/sim/zkPush/index.js';
import { ZkSoapSimulator } from '../../src/sim/zkSoap/index.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { MemoryContext } from '../helpers/memoryContext.js';
import { until } from '../helpers/until.js';
import { Link } from './link.js';

export interface FamilyRun {
  ctx: MemoryContext;
  driver: Driver;
  /** the serial punch ids must carry: the terminal's own, or the configured one where it reports none */
  serial: string;
  /** Starts the driver (after the suite has set up its observers). */
  start(): Promise<void>;
  /** Someone punches at the terminal; returns `pin|localTime`. */
  punch(): string;
  /** `pin|localTime` of every good punch the terminal holds or sent, sorted: what must arrive once each */
  expected(): string[];
  /** what the committed checkpoint (or the terminal's acknowledgement) says is committed */
  claimed(): string[];
  /** Feeds the driver input it must refuse; resolves once the terminal has sent it. */
  injectBad(): Promise<void>;
  /** The terminal goes away (its link is cut, its port unplugged). */
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** Push terminals: nothing waits to be sent and nothing is in flight (the terminal heard back on all). */
  idle?(): boolean;
  /** Push terminals: calls `listener` each time the terminal was told its punches are stored. */
  watchAcks?(listener: () => void): void;
  /** connections (or open ports) the driver holds to the terminal now */
  open(): number;
  /** connections (or port opens) the terminal has seen from the driver, ever */
  activity(): number;
  close(): Promise<void>;
}

export interface DriverFamily {
  /** a name for the suite's titles (a protocol, and its mode where it has two) */
  name: string;
  protocol: string;
  /** the driver reports the serial itself (status.update); else it comes from the device entry */
  reportsSerial: boolean;
  /** the terminal keeps punches made while it is unreachable and delivers them later */
  storesWhileAway: boolean;
  /** the driver owns the connections to the terminal (pulled); a push terminal opens its own */
  ownsConnections: boolean;
  /** a reason the family's bad input is counted under */
  badReason: RegExp;
  /** long enough that a driver still running after stop would have called again */
  quietMs: number;
  /** the completeness watermark's basis the family proves on its simulator; undefined: it proves none (its README says why) */
  watermark: WatermarkBasis | undefined;
  setup(): Promise<FamilyRun>;
}

const ZONE = 'Asia/Jakarta';
const WIB_MINUTES = 7 * 60;
const PASSWORD = 'Admin12345';

/** Fresh PINs and wall times one minute apart, from two hours ago. */
function punchClock(): { next(): { pin: string; epochMs: number; local: string } } {
  const base = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 3_600_000;
  let n = 0;
  return {
    next() {
      n += 1;
      const epochMs = base + n * 60_000 + (n % 60) * 1000;
      return { pin: String(7000 + n), epochMs, local: formatLocal(epochMs, WIB_MINUTES) };
    },
  };
}

const sortedKeys = (items: { pin: string; local: string }[]): string[] => items.map((i) => `${i.pin}|${i.local}`).sort();

async function created(protocol: string, entry: Record<string, unknown>, ctxOptions: { push?: PushListener } = {}): Promise<{ ctx: MemoryContext; driver: Driver }> {
  const factory = BUILTIN_DRIVERS.find((f) => f.protocol === protocol);
  if (!factory) throw new Error(`no ${protocol} in BUILTIN_DRIVERS`);
  const cfg = factory.configSchema.parse({ driver: protocol, timezone: ZONE, ...entry }) as Record<string, unknown> & { id: string; driver: string };
  const ctx = new MemoryContext({ device: cfg, ...ctxOptions });
  await factory.load?.();
  return { ctx, driver: factory.create(cfg, ctx) };
}

async function linked(upstreamPort: number): Promise<Link> {
  const link = new Link(upstreamPort);
  await link.listen();
  return link;
}

async function pushListener(): Promise<PushListener> {
  const listener = new PushListener({ log: silentLogger(), maxBodyBytes: 1 << 20 });
  await listener.listen({ host: '127.0.0.1', port: 0 });
  return listener;
}

function listenerPort(listener: PushListener): number {
  const address = listener.app.server.address();
  if (!address || typeof address === 'string') throw new Error('push listener not listening');
  return address.port;
}

const zkTcp: DriverFamily = {
  name: 'zk-tcp', protocol: 'zk-tcp', reportsSerial: true, storesWhileAway: true, ownsConnections: true, badReason: /^zk-realtime-undecodable$/, quietMs: 1500, watermark: 'download',
  async setup() {
    const clock = punchClock();
    const sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, records: 20, users: 5, serial: 'CQZ7232260100' });
    await sim.start();
    const link = await linked(sim.address.port);
    const { ctx, driver } = await created('zk-tcp', { id: 'c-zk-tcp', host: '127.0.0.1', port: link.port, transport: 'tcp', timeout: '2s' });
    const keyAt = (i: number): string => `${sim.log.punchAt(i).pin}|${sim.log.punchAt(i).localTime}`;
    return {
      ctx, driver, serial: 'CQZ7232260100',
      start: () => driver.start(),
      punch() {
        const p = clock.next();
        sim.addPunch({ pin: p.pin, localTime: p.local });
        return `${p.pin}|${p.local}`;
      },
      expected: () => Array.from({ length: sim.log.count }, (_, i) => keyAt(i)).sort(),
      claimed() {
        const cp = ctx.checkpoints()['zk.attlog'] as { count?: number } | undefined;
        return Array.from({ length: cp?.count ?? 0 }, (_, i) => keyAt(i));
      },
      async injectBad() {
        // a realtime ATTLOG event no layout fits (7 bytes), between two frames of an idle session
        const event = encodeTcpFrame(encodePacket({ command: CMD.REG_EVENT, sessionId: EF.ATTLOG, replyId: 0, data: Buffer.from('deadbeef00ff01', 'hex') }));
        await until(() => link.open > 0, 'a session to inject into');
        link.inject(event);
      },
      cut: () => link.cut(),
      restore: () => link.restore(),
      open: () => link.open,
      activity: () => link.accepted,
      async close() {
        await link.close();
        await sim.stop();
      },
    };
  },
};

const zkSoap: DriverFamily = {
  name: 'zk-soap', protocol: 'zk-soap', reportsSerial: false, storesWhileAway: true, ownsConnections: true, badReason: /^zk-soap-body-xml$/, quietMs: 800, watermark: 'download',
  async setup() {
    const clock = punchClock();
    const sim = new ZkSoapSimulator({ host: '127.0.0.1', port: 0, records: 20 });
    await sim.start();
    const link = await linked(sim.address.port);
    const { ctx, driver } = await created('zk-soap', { id: 'c-zk-soap', host: '127.0.0.1', port: link.port, serial: 'SIMSOAP00001', pollInterval: '200ms', timeout: '2s' });
    return {
      ctx, driver, serial: 'SIMSOAP00001',
      start: () => driver.start(),
      punch() {
        const p = clock.next();
        sim.addPunch({ pin: p.pin, localTime: p.local });
        return `${p.pin}|${p.local}`;
      },
      expected: () => sortedKeys(sim.log.map((p) => ({ pin: p.pin, local: p.localTime }))),
      claimed() {
        // every row older than the newest committed time (that second itself is read again)
        const cp = ctx.checkpoints()['soap.attlog'] as { lastTime?: string } | undefined;
        const last = cp?.lastTime;
        return last === undefined ? [] : sim.log.filter((p) => p.localTime < last).map((p) => `${p.pin}|${p.localTime}`);
      },
      async injectBad() {
        // the terminal hangs up halfway through its answers for one poll (GetDate, GetAttLog: a
        // clock it cannot read is no rejection; a log it cannot read is)
        const before = sim.stats.truncated;
        sim.o.faults.truncate = true;
        await until(() => sim.stats.truncated >= before + 2, 'two truncated answers');
        sim.o.faults.truncate = false;
      },
      cut: () => link.cut(),
      restore: () => link.restore(),
      open: () => link.open,
      activity: () => link.accepted,
      async close() {
        await link.close();
        await sim.stop();
      },
    };
  },
};

const hikvisionPull: DriverFamily = {
  name: 'hikvision-isapi (pull)', protocol: 'hikvision-isapi', reportsSerial: true, storesWhileAway: true, ownsConnections: true, badReason: /^pin-invalid$/, quietMs: 800, watermark: undefined,
  async setup() {
    const clock = punchClock();
    const sim = new HikvisionSimulator({ password: PASSWORD, records: 20, firstPunchMs: Date.now() - 3 * 3_600_000 });
    await sim.start();
    const link = await linked(sim.address.port);
    const { ctx, driver } = await created('hikvision-isapi', { id: 'c-hik-pull', host: '127.0.0.1', port: link.port, password: PASSWORD, pollInterval: '200ms', timeout: '2s' });
    const bad = new Set<number>();
    const punches = (upTo = Infinity): SimEvent[] => sim.events.filter((e) => e.employeeNoString && !bad.has(e.serialNo) && e.serialNo <= upTo);
    const keyOf = (e: SimEvent): string => `${e.employeeNoString}|${e.time.slice(0, 19)}`;
    return {
      ctx, driver, serial: 'DS-K1T341AM20220101V030230ENG12345678',
      start: () => driver.start(),
      punch() {
        const p = clock.next();
        return keyOf(sim.addPunch(p.pin, { time: p.epochMs }));
      },
      expected: () => punches().map(keyOf).sort(),
      claimed() {
        const cursor = ctx.checkpoints().acsEventCursor as { serialNo?: number | null } | undefined;
        return typeof cursor?.serialNo === 'number' ? punches(cursor.serialNo).map(keyOf) : [];
      },
      async injectBad() {
        // an employee number outside the edge rule: mapped by the driver, refused by the core
        bad.add(sim.addPunch('bad pin!', { time: clock.next().epochMs }).serialNo);
        await Promise.resolve();
      },
      cut: () => link.cut(),
      restore: () => link.restore(),
      open: () => link.open,
      activity: () => link.accepted,
      async close() {
        await link.close();
        await sim.stop();
      },
    };
  },
};

/** A Hikvision terminal's notification queue: each event is pushed until answered 200, in order. */
class PushOutbox {
  readonly pending: SimEvent[] = [];
  readonly acked: SimEvent[] = [];
  onAck?: () => void;
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private closed = false;

  constructor(
    private readonly sim: HikvisionSimulator,
    private readonly url: string,
  ) {}

  add(event: SimEvent): void {
    this.pending.push(event);
    void this.flush();
  }

  async flush(): Promise<void> {
    if (this.sending || this.closed) return;
    this.sending = true;
    try {
      while (this.pending.length > 0 && !this.closed) {
        const status = await this.sim.push(this.url, this.pending[0] as SimEvent).catch(() => 0);
        if (status !== 200) break;
        this.acked.push(this.pending.shift() as SimEvent);
        this.onAck?.();
      }
    } finally {
      this.sending = false;
    }
    // a terminal retries on its own
    if (this.pending.length > 0 && !this.closed && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, 100);
    }
  }

  get idle(): boolean {
    return this.pending.length === 0 && !this.sending;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}

const hikvisionPush: DriverFamily = {
  name: 'hikvision-isapi (push)', protocol: 'hikvision-isapi', reportsSerial: true, storesWhileAway: true, ownsConnections: false, badReason: /^push-/, quietMs: 400, watermark: undefined,
  async setup() {
    const clock = punchClock();
    // the terminal answers deviceInfo (its identity) directly; its notifications go through the link
    const sim = new HikvisionSimulator({ password: PASSWORD });
    await sim.start();
    const listener = await pushListener();
    const link = await linked(listenerPort(listener));
    const id = 'c-hik-push';
    const { ctx, driver } = await created('hikvision-isapi', { id, pull: false, push: true, host: '127.0.0.1', port: sim.address.port, password: PASSWORD, timeout: '2s' }, { push: listener });
    const url = `http://127.0.0.1:${link.port}/hikvision/${id}`;
    const outbox = new PushOutbox(sim, url);
    const keyOf = (e: SimEvent): string => `${e.employeeNoString}|${e.time.slice(0, 19)}`;
    const run: FamilyRun = {
      ctx, driver, serial: 'DS-K1T341AM20220101V030230ENG12345678',
      async start() {
        await driver.start();
        for (let i = 0; i < 5; i++) run.punch();
      },
      punch() {
        const p = clock.next();
        const event = sim.addPunch(p.pin, { time: p.epochMs });
        outbox.add(event);
        return keyOf(event);
      },
      expected: () => [...outbox.acked, ...outbox.pending].map(keyOf).sort(),
      claimed: () => outbox.acked.map(keyOf),
      async injectBad() {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"eventType": "AccessControllerEvent", "AccessControllerEvent": ' });
        await res.arrayBuffer();
        if (res.status !== 400) throw new Error(`garbage answered ${res.status}, not 400`);
      },
      cut: () => link.cut(),
      restore: async () => {
        await link.restore();
        void outbox.flush();
      },
      open: () => 0,
      activity: () => outbox.acked.length,
      async close() {
        outbox.close();
        await link.close();
        await listener.close();
        await sim.stop();
      },
      idle: () => outbox.idle,
      watchAcks(listener) {
        outbox.onAck = listener;
      },
    };
    return run;
  },
};

const fingerspot: DriverFamily = {
  name: 'fingerspot-easylink', protocol: 'fingerspot-easylink', reportsSerial: true, storesWhileAway: true, ownsConnections: true, badReason: /^fingerspot-bad-row$/, quietMs: 800, watermark: 'paging',
  async setup() {
    const clock = punchClock();
    const serial = 'FIO66208021230737';
    const sim = new FingerspotSimulator({ serials: [serial] });
    sim.fill(20, formatLocal(Date.now() - 3 * 3_600_000, WIB_MINUTES).replace('T', ' '), 5);
    await sim.start();
    const link = await linked(sim.address.port);
    const { ctx, driver } = await created('fingerspot-easylink', { id: 'c-fingerspot', host: '127.0.0.1', port: link.port, serial, pollInterval: '100ms', timeout: '2s' });
    const bad = new Set<unknown>();
    const scans = () => sim.terminal().log.filter((s) => !bad.has(s));
    const keyOf = (s: { pin: string; scanDate: string }): string => `${s.pin}|${s.scanDate.replace(' ', 'T')}`;
    return {
      ctx, driver, serial,
      start: () => driver.start(),
      punch() {
        const p = clock.next();
        return keyOf(sim.addPunch({ pin: p.pin, scanDate: p.local.replace('T', ' ') }));
      },
      expected: () => scans().map(keyOf).sort(),
      claimed() {
        // no read in flight: every scan /scanlog/new handed out is committed
        const cp = ctx.checkpoints()['fingerspot.state'] as { inflight?: unknown } | undefined;
        if (!cp || cp.inflight) return [];
        const terminal = sim.terminal();
        return terminal.log.slice(0, terminal.newCursor).filter((s) => !bad.has(s)).map(keyOf);
      },
      async injectBad() {
        const p = clock.next();
        bad.add(sim.addPunch({ pin: 'has space', scanDate: p.local.replace('T', ' ') }));
        await Promise.resolve();
      },
      cut: () => link.cut(),
      restore: () => link.restore(),
      open: () => link.open,
      activity: () => link.accepted,
      async close() {
        await link.close();
        await sim.stop();
      },
    };
  },
};

const zkPush: DriverFamily = {
  name: 'zk-push', protocol: 'zk-push', reportsSerial: true, storesWhileAway: true, ownsConnections: false, badReason: /^attlog-/, quietMs: 400, watermark: undefined,
  async setup() {
    const clock = punchClock();
    const serial = 'CQZ7232260999';
    const listener = await pushListener();
    const link = await linked(listenerPort(listener));
    const { ctx, driver } = await created('zk-push', { id: 'c-zk-push', serial }, { push: listener });
    const sim = new ZkPushSimulator({ target: `http://127.0.0.1:${link.port}`, serial, retryMs: 100, pollMs: 50, timeZone: ZONE });
    const bad = new Set<unknown>();
    const records = () => sim.records.filter((r) => !bad.has(r));
    const keyOf = (r: { pin: string; localTime: string }): string => `${r.pin}|${r.localTime}`;
    const run: FamilyRun = {
      ctx, driver, serial,
      async start() {
        await driver.start();
        for (let i = 0; i < 5; i++) run.punch();
        sim.start();
      },
      punch() {
        const p = clock.next();
        return keyOf(sim.addPunch({ pin: p.pin, localTime: p.local }));
      },
      expected: () => records().map(keyOf).sort(),
      claimed: () => records().filter((r) => r.uploaded).map(keyOf),
      async injectBad() {
        // a line whose PIN the codec refuses; the terminal is told OK for the lines of its body
        const record = sim.addPunch({ pin: 'bad pin', localTime: clock.next().local });
        bad.add(record);
        await until(() => record.uploaded, 'the bad line uploaded');
      },
      cut: () => link.cut(),
      restore: () => link.restore(),
      open: () => 0,
      activity: () => records().filter((r) => r.uploaded).length,
      async close() {
        await sim.stop();
        await link.close();
        await listener.close();
      },
      idle: () => sim.pendingUploads === 0,
      watchAcks(listener) {
        sim.onUploaded = () => listener();
      },
    };
    return run;
  },
};

const MockBinding = SerialPortMock.binding;
type MockPortBinding = NonNullable<SerialPortMock['port']>;

const serialLine: DriverFamily = {
  name: 'serial-line (binding-mock)', protocol: 'serial-line', reportsSerial: false, storesWhileAway: false, ownsConnections: true, badReason: /^line-no-match$/, quietMs: 400, watermark: undefined,
  async setup() {
    const clock = punchClock();
    const path = '/dev/ttyCONTRACT0';
    MockBinding.reset();
    MockBinding.createPort(path);
    const factory = BUILTIN_DRIVERS.find((f) => f.protocol === 'serial-line');
    if (!factory) throw new Error('no serial-line in BUILTIN_DRIVERS');
    const cfg = factory.configSchema.parse({ id: 'c-serial', driver: 'serial-line', path, format: 'zk-attlog', timezone: ZONE, reconnectMin: '50ms', reconnectMax: '200ms' });
    const ctx = new MemoryContext({ device: cfg });
    const ports: SerialPortMock[] = [];
    const driver = new SerialLineDriver(cfg, ctx, {
      now: () => Date.now(),
      openPort: (options: PortOptions) => {
        const port = new SerialPortMock({ ...options, autoOpen: false });
        ports.push(port);
        return port;
      },
    });
    const sent: { pin: string; local: string }[] = [];
    const current = (): MockPortBinding | undefined => {
      const port = ports.at(-1);
      return port?.isOpen ? (port.port as MockPortBinding) : undefined;
    };
    const write = (line: string): boolean => {
      const binding = current();
      binding?.emitData(Buffer.from(`${line}\n`, 'latin1'));
      return binding !== undefined;
    };
    const run: FamilyRun = {
      ctx, driver, serial: 'c-serial',
      async start() {
        await driver.start();
        await until(() => current() !== undefined, 'port open');
        for (let i = 0; i < 5; i++) run.punch();
      },
      punch() {
        const p = clock.next();
        // a line sent while the port is gone is lost on the wire: nothing to expect of it
        if (write(`${p.pin}\t${p.local.replace('T', ' ')}\t0\t1\t\t0\t0\t`)) sent.push(p);
        return `${p.pin}|${p.local}`;
      },
      expected: () => sortedKeys(sent),
      // a serial line acknowledges nothing: no checkpoint, nothing claimed
      claimed: () => [],
      async injectBad() {
        await until(() => current() !== undefined, 'port open');
        write('this is no attendance line');
      },
      async cut() {
        // USB adapter pulled: the device node goes and the pending read fails with EIO
        const binding = current();
        MockBinding.reset();
        const pending = (binding as unknown as { pendingRead: ((err: Error) => void) | null } | undefined)?.pendingRead;
        pending?.(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
        await until(() => current() === undefined, 'port closed');
      },
      async restore() {
        MockBinding.createPort(path);
        await until(() => current() !== undefined, 'port reopened');
      },
      open: () => ports.filter((p) => p.isOpen).length,
      activity: () => ports.length,
      async close() {
        MockBinding.reset();
      },
    };
    return run;
  },
};

export const DRIVER_FAMILIES: DriverFamily[] = [zkTcp, zkPush, zkSoap, hikvisionPull, hikvisionPush, fingerspot, serialLine];
