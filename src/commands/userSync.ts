// `userSync` groups in the daemon (DESIGN.md "Users and templates"): every `interval`, each group's
// terminals are read, and a user one member holds and another lacks is copied there, with the
// templates the other can take; a finger enrolled on one member for a user both hold fills the
// same empty slot on the other. The writes go through the engine (diff.ts, syncTarget.ts).
// Invariants:
// - A conflict (one PIN, another non-empty name or card on two members) is never written to any
//   member: it is reported (`conflicts()`, /api/users/conflicts, GW_ERR_USERS_CONFLICT logged when
//   first seen) until someone fixes it at the terminals.
// - Nothing is deleted and nothing held is replaced: a user only on some members is copied, never
//   removed; a template slot a member holds is never overwritten; a user both hold keeps each
//   member's own fields.
// - Every target is backed up to {dataDir}/backups/ before the first write of a round (syncTarget).
// - A member that cannot be read or written is reported and counted; the others are synced.
// - Members are reached as daemonUsersSession decides: the running driver's loan (zk-tcp, zk-push:
//   the round holds the loan, so that terminal's own polls wait for it; realtime goes on), else the
//   family's own connection beside the daemon (zk-soap, EasyLink). The config schema refuses the
//   others; a member that cannot be reached at run time (a driver not connected yet) is failed for
//   the round and the others go on.
// - Rounds of one group never overlap; stop() aborts the round in flight and waits for it.
// - Templates and passwords never reach a log line or the conflicts list.
import type { Logger } from 'pino';
import type { DeviceConfig, UserSyncGroupConfig } from '../config/schema.js';
import type { AnyDriverDefinition } from '../devices/definition.js';
import type { Driver } from '../devices/driver.js';
import { daemonUsersSession } from '../devices/usersLender.js';
import type { UsersSession } from '../devices/facets.js';
import type { ErrorCode } from '../util/catalogue.js';
import { GatewayError, codeOf, errorMessage } from '../util/errors.js';
import type { Metrics } from '../util/metrics.js';
import { writeBackup } from '../users/backup.js';
import { ALL_USER_FIELDS, type Algorithms, type UserSet } from '../users/diff.js';
import { syncTarget, type TargetReport } from '../users/syncTarget.js';
import type { TemplateRecord, TerminalUser } from '../users/user.js';

export interface UserSyncOptions {
  groups: readonly UserSyncGroupConfig[];
  /** the device entries now (a reload replaces them) */
  devices: () => readonly DeviceConfig[];
  drivers: readonly AnyDriverDefinition[];
  /** the running drivers: a member whose driver lends its session (zk-tcp, zk-push) is reached through it */
  supervisor: { driverOf(deviceId: string): Driver | undefined };
  dataDir: string;
  log: Logger;
  metrics: Metrics;
}

/** What a member holds for a PIN that another member holds otherwise: no password, no template. */
export interface ConflictHolder {
  deviceId: string;
  name: string;
  card: string;
}

export interface UserConflict {
  pin: string;
  /** the fields that differ */
  fields: ('name' | 'card')[];
  devices: ConflictHolder[];
}

export interface MemberResult {
  deviceId: string;
  ok: boolean;
  /** users written to it this round (added, or given templates) */
  written: number;
  failed: number;
  /** templates not copied to it this round because it uses another algorithm version (GW_ERR_USERS_ALGORITHM_MISMATCH): the diff's skipped-for-algorithm */
  skippedForAlgorithm: number;
  error?: { code: ErrorCode; message: string };
}

export type RoundResult = 'ok' | 'partial' | 'failed';

export interface GroupRound {
  group: string;
  at: string;
  result: RoundResult;
  members: MemberResult[];
  conflicts: UserConflict[];
}

interface ReadMember {
  deviceId: string;
  session: UsersSession;
  algorithms: Algorithms;
  set: UserSet;
}

const conflictKey = (c: UserConflict): string => JSON.stringify([c.pin, c.devices]);

/** PINs whose holders disagree on a non-empty name or card (an empty one is not a conflict). */
export function findConflicts(members: readonly { deviceId: string; set: UserSet }[]): UserConflict[] {
  const holders = new Map<string, ConflictHolder[]>();
  for (const m of members) {
    for (const u of m.set.users) {
      const list = holders.get(u.pin) ?? [];
      list.push({ deviceId: m.deviceId, name: u.name.trim(), card: u.card.trim() });
      holders.set(u.pin, list);
    }
  }
  const conflicts: UserConflict[] = [];
  for (const [pin, list] of holders) {
    if (list.length < 2) continue;
    const fields = (['name', 'card'] as const).filter((f) => new Set(list.map((h) => h[f]).filter((v) => v !== '')).size > 1);
    if (fields.length > 0) conflicts.push({ pin, fields, devices: list });
  }
  return conflicts.sort((a, b) => a.pin.localeCompare(b.pin, 'en', { numeric: true }));
}

const slot = (t: TemplateRecord): string => `${t.kind}/${t.index}`;

/**
 * What `target` should take from the others: each user it lacks (as the first member holding it
 * has it, with every member's templates of it), and, for a user it holds, the templates of the
 * slots it has empty, under its own user record (so none of its fields changes).
 */
export function sourceFor(target: ReadMember, others: readonly ReadMember[], conflicting: ReadonlySet<string>, withTemplates: boolean): UserSet {
  const held = new Map(target.set.users.map((u) => [u.pin, u]));
  const heldSlots = new Set(target.set.templates.map((t) => `${t.pin}/${slot(t)}`));
  const users = new Map<string, TerminalUser>();
  const templates = new Map<string, TemplateRecord>();
  for (const other of others) {
    for (const u of other.set.users) if (!conflicting.has(u.pin) && !held.has(u.pin) && !users.has(u.pin)) users.set(u.pin, u);
    if (!withTemplates) continue;
    for (const t of other.set.templates) {
      if (conflicting.has(t.pin) || !other.set.users.some((u) => u.pin === t.pin)) continue;
      const mine = held.get(t.pin);
      // a held user's slot the target cannot read is reported when the user is added, not every round
      if (mine && (heldSlots.has(`${t.pin}/${slot(t)}`) || target.algorithms[t.kind] !== t.algorithm)) continue;
      if (mine && !users.has(t.pin)) users.set(t.pin, mine);
      // one template per slot and algorithm: the diff carries only the one the target's algorithm reads
      const key = `${t.pin}/${slot(t)}/${t.algorithm}`;
      if (!templates.has(key)) templates.set(key, t);
    }
  }
  return { users: [...users.values()], templates: [...templates.values()] };
}

export class UserSync {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly abort = new AbortController();
  private readonly inFlight = new Map<string, Promise<GroupRound>>();
  private readonly latest = new Map<string, GroupRound>();
  /** conflicts already logged, per group: a conflict is logged when first seen, not every round */
  private readonly logged = new Map<string, Set<string>>();
  private readonly log: Logger;

  constructor(private readonly o: UserSyncOptions) {
    this.log = o.log.child({ component: 'userSync' });
  }

  /** Runs a first round of every group now, then one every group's interval. */
  start(): void {
    for (const group of this.o.groups) {
      void this.round(group.name).catch(() => undefined);
      const timer = setInterval(() => {
        if (!this.inFlight.has(group.name)) void this.round(group.name).catch(() => undefined);
      }, group.interval);
      timer.unref();
      this.timers.push(timer);
    }
    if (this.o.groups.length > 0) this.log.info({ groups: this.o.groups.map((g) => ({ name: g.name, devices: g.devices, intervalMs: g.interval })) }, 'userSync: started');
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    this.abort.abort();
    await Promise.all([...this.inFlight.values()].map((p) => p.catch(() => undefined)));
  }

  /** Resolves once no round is in flight (the first rounds of start() included). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()].map((p) => p.catch(() => undefined)));
  }

  /** Every group's last round (conflicts included); a group not yet run has none. */
  rounds(): { group: string; devices: readonly string[]; last: GroupRound | undefined }[] {
    return this.o.groups.map((g) => ({ group: g.name, devices: g.devices, last: this.latest.get(g.name) }));
  }

  /** A round of `name` after the one in flight, if any (tests and callers drive rounds with it). */
  round(name: string): Promise<GroupRound> {
    const group = this.o.groups.find((g) => g.name === name);
    if (!group) return Promise.reject(new GatewayError('GW_ERR_CONFIG_INVALID', `no userSync group "${name}"`));
    const before = this.inFlight.get(name) ?? Promise.resolve(undefined);
    const run = before.catch(() => undefined).then(() => this.runRound(group));
    this.inFlight.set(name, run);
    const clear = (): void => {
      if (this.inFlight.get(name) === run) this.inFlight.delete(name);
    };
    run.then(clear, clear);
    return run;
  }

  private async open(deviceId: string): Promise<UsersSession> {
    const device = this.o.devices().find((d) => d.id === deviceId);
    if (!device || !device.enabled) throw new GatewayError('GW_ERR_CONFIG_INVALID', `no enabled device "${deviceId}" in the running config`);
    return daemonUsersSession(this.o, device, { logger: this.o.log.child({ device: deviceId, component: 'userSync' }), signal: this.abort.signal });
  }

  private async read(deviceId: string, templates: boolean): Promise<ReadMember> {
    const session = await this.open(deviceId);
    try {
      const algorithms = await session.algorithms();
      const users = await session.listUsers();
      return { deviceId, session, algorithms, set: { users, templates: templates ? await session.readTemplates() : [] } };
    } catch (error) {
      await session.close().catch(() => undefined);
      throw error;
    }
  }

  private async runRound(group: UserSyncGroupConfig): Promise<GroupRound> {
    const members = new Map<string, MemberResult>(group.devices.map((id) => [id, { deviceId: id, ok: true, written: 0, failed: 0, skippedForAlgorithm: 0 }]));
    const fail = (deviceId: string, error: unknown, fallback: ErrorCode): void => {
      const m = members.get(deviceId);
      if (!m) return;
      m.ok = false;
      m.error = { code: codeOf(error, fallback), message: errorMessage(error) };
      this.log.warn({ code: m.error.code, group: group.name, device: deviceId, err: m.error.message }, 'userSync: member not synced this round; the others are');
    };
    const settled = await Promise.allSettled(group.devices.map((id) => this.read(id, group.templates)));
    const read: ReadMember[] = [];
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') read.push(s.value);
      else fail(group.devices[i] as string, s.reason, 'GW_ERR_DEVICE_UNREACHABLE');
    });
    let conflicts: UserConflict[] = [];
    try {
      if (read.length >= 2 && !this.abort.signal.aborted) {
        conflicts = findConflicts(read);
        this.logNewConflicts(group.name, conflicts);
        const conflicting = new Set(conflicts.map((c) => c.pin));
        for (const target of read) {
          if (this.abort.signal.aborted) break;
          const source = sourceFor(target, read.filter((m) => m !== target), conflicting, group.templates);
          if (source.users.length === 0) continue;
          try {
            const report = await syncTarget({
              deviceId: target.deviceId, session: target.session, source,
              options: { fields: ALL_USER_FIELDS, templates: group.templates, deleteMissing: false, overwriteConflicts: false, dryRun: false },
              backup: (content) => writeBackup(this.o.dataDir, content),
            });
            this.account(group.name, members.get(target.deviceId) as MemberResult, report);
          } catch (error) {
            fail(target.deviceId, error, 'GW_ERR_DEVICE_UNREACHABLE');
          }
        }
      }
    } finally {
      await Promise.all(read.map((m) => m.session.close().catch(() => undefined)));
    }
    const list = [...members.values()];
    const result: RoundResult = read.length < 2 ? 'failed' : list.every((m) => m.ok && m.failed === 0) ? 'ok' : 'partial';
    const round: GroupRound = { group: group.name, at: new Date().toISOString(), result, members: list, conflicts };
    this.latest.set(group.name, round);
    this.o.metrics.userSync.inc({ group: group.name, result });
    this.o.metrics.userSyncConflicts.set({ group: group.name }, conflicts.length);
    const written = list.reduce((n, m) => n + m.written, 0);
    this.log.info({ group: group.name, result, written, conflicts: conflicts.length, members: list.map((m) => ({ device: m.deviceId, ok: m.ok, written: m.written, failed: m.failed })) }, 'userSync: round done');
    return round;
  }

  /** A target's report into its member's result, each failure and template not copied logged with its code. */
  private account(group: string, member: MemberResult, report: TargetReport): void {
    member.written += report.written;
    member.failed += report.failures.length;
    if (report.backup) this.log.info({ group, device: member.deviceId, backup: report.backup.file, users: report.backup.users }, 'userSync: target backed up before writing');
    if (report.error) {
      member.ok = false;
      member.error = report.error;
      this.log.warn({ code: report.error.code, group, device: member.deviceId, err: report.error.message }, 'userSync: writing to the member stopped');
    }
    for (const f of report.failures) this.log.warn({ code: f.code, group, device: member.deviceId, pin: f.pin, err: f.message }, 'userSync: a user was not written');
    const skipped = report.plan.changes.reduce((n, c) => n + c.skippedTemplates.length, 0);
    member.skippedForAlgorithm += skipped;
    if (skipped > 0) this.log.warn({ code: 'GW_ERR_USERS_ALGORITHM_MISMATCH', group, device: member.deviceId, templates: skipped, algorithms: report.algorithms }, 'userSync: templates not copied: the member uses another algorithm version');
  }

  private logNewConflicts(group: string, conflicts: readonly UserConflict[]): void {
    const before = this.logged.get(group) ?? new Set<string>();
    const now = new Set(conflicts.map(conflictKey));
    for (const c of conflicts) {
      if (before.has(conflictKey(c))) continue;
      this.log.warn({ code: 'GW_ERR_USERS_CONFLICT', group, pin: c.pin, fields: c.fields, devices: c.devices.map((d) => d.deviceId) }, 'userSync: one PIN, another name or card on two terminals; left as each holds it, fix it at the terminals');
    }
    this.logged.set(group, now);
  }
}
