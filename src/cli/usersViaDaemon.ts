// The `users` commands through the running daemon (README "Users and templates"): the CLI asks the
// daemon's local API to run the job (POST /api/users/jobs, src/api/routes/usersJobs.ts), shows its
// progress from polling and prints its outcome as it prints a job it ran itself.
// Invariants:
// - The daemon is asked only at the config's api.listen with its api.token (localApiUrl), as
//   `pull` does (pullViaDaemon.ts).
// - A refusal keeps the daemon's code (GW_ERR_USERS_JOB_BUSY, GW_ERR_USERS_UNSUPPORTED, …), so the
//   exit codes are those of a job run locally.
// - The outcome is checked against the same schema the daemon serialises with (job.ts).
import type { GatewayConfig } from '../config/schema.js';
import { usersJobOutcomeSchema, type UsersJobOutcome, type UsersJobSpec } from '../users/job.js';
import type { UsersProgress } from '../users/session.js';
import type { SyncPhase } from '../users/syncTarget.js';
import { ERROR_CODES, type ErrorCode } from '../util/catalogue.js';
import { errorMessage, GatewayError } from '../util/errors.js';
import { localApiUrl } from './localApi.js';

const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_CODES, code);

export interface DaemonApi {
  url: string;
  token: string | undefined;
}

/** The running daemon's view of its devices: which it is connected to now. */
export interface DaemonDevices {
  api: DaemonApi;
  online: ReadonlySet<string>;
}

export type DaemonAnswer = { ok: true; devices: DaemonDevices } | { ok: false; why: string };

function headers(api: DaemonApi, json = false): Record<string, string> {
  return { ...(json ? { 'content-type': 'application/json' } : {}), ...(api.token ? { authorization: `Bearer ${api.token}` } : {}) };
}

/** Asks the daemon (GET /api/devices) which devices it is connected to; why not, when it does not answer. */
export async function daemonDevices(config: GatewayConfig): Promise<DaemonAnswer> {
  const api = { url: localApiUrl(config), token: config.api.token };
  try {
    const res = await fetch(`${api.url}/api/devices`, { headers: headers(api), signal: AbortSignal.timeout(3_000) });
    if (!res.ok) return { ok: false, why: `${api.url} answered ${res.status}${res.status === 401 ? ' (api.token differs from the daemon\'s?)' : ''}` };
    const body = (await res.json()) as { devices?: { id?: unknown; online?: unknown }[] };
    const online = new Set((body.devices ?? []).filter((d) => d.online === true && typeof d.id === 'string').map((d) => d.id as string));
    return { ok: true, devices: { api, online } };
  } catch (error) {
    return { ok: false, why: `no daemon answered at ${api.url} (${errorMessage(error)})` };
  }
}

interface JobBody {
  id?: string;
  state?: 'running' | 'done' | 'failed';
  devices?: { deviceId: string; phase: string; done: number; total: number | null }[];
  outcome?: unknown;
  error?: { code: string; message: string } | string | null;
  code?: string;
}

function refusal(status: number, body: JobBody, url: string): GatewayError {
  const code: ErrorCode = body.code && isErrorCode(body.code) && /^GW_ERR_USERS_[A-Z_]+$/.test(body.code) ? body.code : status === 404 ? 'GW_ERR_CONFIG_INVALID' : 'GW_ERR_USERS_INPUT_INVALID';
  const why = typeof body.error === 'string' ? body.error : 'no reason given';
  return new GatewayError(code, `the running daemon (${url}) refused the users job (${status}): ${why}`);
}

export interface DaemonJobOptions {
  /** where each device's phase shows (the CLI's progress bars) */
  progress(deviceId: string, phase: SyncPhase): UsersProgress | undefined;
  /** between two polls; default 200 ms */
  pollMs?: number;
}

/** Runs `spec` in the daemon and resolves with its outcome; rejects with a GatewayError when it is refused or fails. */
export async function runViaDaemon(api: DaemonApi, spec: UsersJobSpec, options: DaemonJobOptions): Promise<UsersJobOutcome> {
  const start = await call(api, '/api/users/jobs', { method: 'POST', headers: headers(api, true), body: JSON.stringify(spec) });
  if (start.status !== 202 || !start.body.id) throw refusal(start.status, start.body, api.url);
  const shown = new Map<string, { phase: string; bar: UsersProgress | undefined }>();
  for (;;) {
    const poll = await call(api, `/api/users/jobs/${start.body.id}`, { headers: headers(api) });
    if (poll.status !== 200) throw refusal(poll.status, poll.body, api.url);
    for (const d of poll.body.devices ?? []) {
      if (d.phase === 'waiting' || d.phase === 'done') continue;
      let current = shown.get(d.deviceId);
      if (current?.phase !== d.phase) shown.set(d.deviceId, (current = { phase: d.phase, bar: options.progress(d.deviceId, d.phase as SyncPhase) }));
      current.bar?.(d.done, d.total ?? undefined);
    }
    if (poll.body.state === 'done') return usersJobOutcomeSchema.parse(poll.body.outcome);
    if (poll.body.state === 'failed') {
      const error = typeof poll.body.error === 'object' && poll.body.error ? poll.body.error : { code: 'GW_ERR_USERS_WRITE_FAILED', message: 'the job failed' };
      throw new GatewayError(isErrorCode(error.code) ? error.code : 'GW_ERR_USERS_WRITE_FAILED', `${error.message} (in the daemon)`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200));
  }
}

async function call(api: DaemonApi, path: string, init: RequestInit): Promise<{ status: number; body: JobBody }> {
  try {
    const res = await fetch(`${api.url}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as JobBody };
  } catch (error) {
    throw new GatewayError('GW_ERR_USERS_DAEMON_NEEDED', `the running daemon's local API at ${api.url} stopped answering (${errorMessage(error)}); the job may go on in the daemon: see its log`);
  }
}
