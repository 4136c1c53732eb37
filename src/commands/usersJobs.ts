// The `users` CLI through the daemon (README "Users and templates"): a users job the local API
// started (POST /api/users/jobs) runs here, on the sessions daemonUsersSession gives (the running
// driver's loan for zk-tcp and zk-push, the family's own connection for the others), through the
// same engine as the CLI (src/users/job.ts). The CLI polls its progress and its outcome.
// Invariants:
// - One users job per device at a time: a job naming a device another running job names is
//   refused whole (GW_ERR_USERS_JOB_BUSY) before anything is read.
// - Every device a job names is an enabled entry of the running config whose family holds users
//   (its own side or through its driver), and a terminal serving one client at a time is reached
//   only through its running driver's loan; else the job is refused before it starts.
// - Backups go to {dataDir}/backups/ and exports (no path given) to {dataDir}/exports/, 0600, owned
//   by the daemon's user.
// - What a job view holds is what may be shown (src/users/shown.ts): progress, counts, per-user
//   outcomes with codes, conflicts, file paths; never a template or a password. Log lines carry
//   PINs, counts and codes only.
// - Finished jobs are kept for polling, the newest KEPT_JOBS of them; stop() aborts running jobs
//   and waits for them, boundedly (their sessions are closed, their loans handed back).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DeviceConfig } from '../config/schema.js';
import { definitionOf, type AnyDriverDefinition } from '../devices/definition.js';
import type { Driver } from '../devices/driver.js';
import { daemonUsersSession, isUsersLender } from '../devices/usersLender.js';
import { checkDistinct, devicesOf, runUsersJob, type UsersJobOutcome, type UsersJobSpec } from '../users/job.js';
import type { SyncPhase } from '../users/syncTarget.js';
import type { ErrorCode } from '../util/catalogue.js';
import { codeOf, errorMessage, GatewayError } from '../util/errors.js';

const KEPT_JOBS = 20;

export interface UsersJobsOptions {
  /** the device entries now (a reload replaces them) */
  devices: () => readonly DeviceConfig[];
  drivers: readonly AnyDriverDefinition[];
  supervisor: { driverOf(deviceId: string): Driver | undefined };
  dataDir: string;
  log: Logger;
}

export interface UsersJobDeviceProgress {
  deviceId: string;
  /** `waiting` before its turn, `done` after */
  phase: SyncPhase | 'waiting' | 'done';
  done: number;
  total: number | null;
}

export interface UsersJobView {
  id: string;
  command: UsersJobSpec['command'];
  state: 'running' | 'done' | 'failed';
  startedAt: string;
  endedAt: string | null;
  devices: UsersJobDeviceProgress[];
  outcome: UsersJobOutcome | null;
  error: { code: ErrorCode; message: string } | null;
}

interface Job {
  view: UsersJobView;
  run: Promise<void>;
}

export class UsersJobs {
  private readonly jobs = new Map<string, Job>();
  private readonly abort = new AbortController();
  private readonly log: Logger;

  constructor(private readonly o: UsersJobsOptions) {
    this.log = o.log.child({ component: 'usersJobs' });
  }

  /** Starts a job; throws a GatewayError (API_NOT_FOUND, USERS_UNSUPPORTED, USERS_INPUT_INVALID, USERS_JOB_BUSY) when it cannot. */
  start(spec: UsersJobSpec): UsersJobView {
    if (this.abort.signal.aborted) throw new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'the gateway is stopping');
    checkDistinct(spec);
    const ids = devicesOf(spec);
    const entries = ids.map((id) => this.entryOf(id));
    const busy = ids.find((id) => this.running().some((j) => j.view.devices.some((d) => d.deviceId === id)));
    if (busy) throw new GatewayError('GW_ERR_USERS_JOB_BUSY', `another users job of the daemon is working on "${busy}"; wait for it to end, then run the command again`);
    const view: UsersJobView = {
      id: randomUUID(), command: spec.command, state: 'running', startedAt: new Date().toISOString(), endedAt: null,
      devices: ids.map((deviceId) => ({ deviceId, phase: 'waiting', done: 0, total: null })), outcome: null, error: null,
    };
    const run = this.runJob(view, spec, new Map(entries.map((e) => [e.id, e])));
    this.jobs.set(view.id, { view, run });
    this.prune();
    return view;
  }

  get(id: string): UsersJobView | undefined {
    return this.jobs.get(id)?.view;
  }

  /**
   * Aborts the running jobs and waits for them, at most `timeoutMs`: a job waiting on a push
   * terminal's command ends when the driver, stopped next, closes its command queue.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.abort.abort();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all(this.running().map((j) => j.run)), bound]);
    clearTimeout(timer);
  }

  private running(): Job[] {
    return [...this.jobs.values()].filter((j) => j.view.state === 'running');
  }

  private entryOf(id: string): DeviceConfig {
    const entry = this.o.devices().find((d) => d.id === id);
    if (!entry) throw new GatewayError('GW_ERR_API_NOT_FOUND', `no device "${id}" in the running daemon's config`);
    if (!entry.enabled) throw new GatewayError('GW_ERR_USERS_UNSUPPORTED', `device "${id}" is disabled in the running daemon's config`);
    const users = definitionOf(this.o.drivers, entry.driver)?.users;
    if (!users || 'unsupported' in users) {
      throw new GatewayError('GW_ERR_USERS_UNSUPPORTED', `"${id}" is a ${entry.driver} device: ${users && 'unsupported' in users ? users.unsupported : 'its family has no users side in this build'}`);
    }
    if ('load' in users && !users.alongsideDaemon && !isUsersLender(this.o.supervisor.driverOf(id))) {
      throw new GatewayError('GW_ERR_USERS_DAEMON_HOLDING', `the daemon's driver of "${id}" (${entry.driver}) holds the terminal, which serves one client at a time, and does not lend its session`);
    }
    return entry;
  }

  private async runJob(view: UsersJobView, spec: UsersJobSpec, entries: ReadonlyMap<string, DeviceConfig>): Promise<void> {
    const progressOf = (id: string): UsersJobDeviceProgress | undefined => view.devices.find((d) => d.deviceId === id);
    this.log.info({ job: view.id, command: spec.command, devices: view.devices.map((d) => d.deviceId), dryRun: 'dryRun' in spec ? spec.dryRun : undefined }, 'users job started');
    try {
      view.outcome = await runUsersJob(spec, {
        dataDir: this.o.dataDir,
        signal: this.abort.signal,
        open: (id) => daemonUsersSession(this.o, entries.get(id) as DeviceConfig, { logger: this.o.log.child({ device: id, component: 'usersJobs' }), signal: this.abort.signal }),
        progress: (id, phase) => {
          const p = progressOf(id);
          if (!p) return undefined;
          Object.assign(p, { phase, done: 0, total: null });
          return (done, total) => Object.assign(p, { done, total: total ?? null });
        },
        ended: (id) => {
          const p = progressOf(id);
          if (p) p.phase = 'done';
        },
      });
      view.state = 'done';
      this.logOutcome(view.id, view.outcome);
    } catch (error) {
      view.state = 'failed';
      view.error = { code: codeOf(error, 'GW_ERR_USERS_WRITE_FAILED'), message: errorMessage(error) };
      this.log.warn({ code: view.error.code, job: view.id, command: spec.command, err: view.error.message }, 'users job failed');
    } finally {
      view.endedAt = new Date().toISOString();
    }
  }

  private logOutcome(job: string, outcome: UsersJobOutcome): void {
    if (outcome.command === 'list' || outcome.command === 'export') {
      const users = outcome.command === 'list' ? outcome.users.length : outcome.users;
      this.log.info({ job, command: outcome.command, device: outcome.deviceId, users, ...(outcome.command === 'export' ? { file: outcome.file, templates: outcome.templates } : {}) }, 'users job done');
      return;
    }
    for (const t of outcome.targets) {
      if (t.unread) this.log.warn({ code: t.unread.code, job, device: t.deviceId, err: t.unread.message }, 'users job: target not read; the others were');
      if (t.report?.error) this.log.warn({ code: t.report.error.code, job, device: t.deviceId, err: t.report.error.message }, 'users job: writing to the target stopped');
      for (const f of t.report?.failures ?? []) this.log.warn({ code: f.code, job, device: t.deviceId, pin: f.pin, action: f.action }, 'users job: a user was not written');
    }
    const targets = outcome.targets.map((t) => ({ device: t.deviceId, written: t.report?.written ?? 0, deleted: t.report?.deleted ?? 0, failed: t.report?.failures.length ?? 0, backup: t.report?.backup?.file }));
    this.log.info({ job, command: outcome.command, dryRun: outcome.dryRun, targets }, 'users job done');
  }

  /** Keeps the running jobs and the newest finished ones. */
  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.view.state !== 'running');
    for (const j of finished.slice(0, Math.max(0, finished.length - KEPT_JOBS))) this.jobs.delete(j.view.id);
  }
}
