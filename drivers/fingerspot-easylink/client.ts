// HTTP client of one terminal behind the EasyLink bridge (FService.exe): form POSTs with sn=<SN>.
// Invariants:
// - One request per connection (`Connection: close`, no agent): FService is an old .NET listener
//   and nothing lingers after stop().
// - Each call is bounded by `timeoutMs` and the caller's AbortSignal; a reply body is capped at
//   `maxBodyBytes`.
// - Transport faults become GatewayError (GW_ERR_DEVICE_UNREACHABLE / _TIMEOUT / _PROTOCOL for an
//   HTTP status other than 200); a 200 body that does not decode throws the codec's DecodeError.
// - The paging endpoint never gets from/to/page (they crash FService: tables.ts).
// - `scanlogNew` consumes the bridge's cursor: only the driver's poll calls it, never probe.
import http from 'node:http';
import { DecodeError, GatewayError } from '../../src/util/errors.js';
import { decodeDevInfoReply, decodeResultReply, decodeScanlogReply, encodeForm, type DevInfoReply, type ResultReply, type ScanlogReply } from './codec.js';
import type { FingerspotConfig } from './config.js';
import { decodeUserPage, type UserPageReply } from './userCodec.js';
import { ENDPOINTS, FORBIDDEN_PAGING_KEYS, type Endpoint } from './tables.js';

export interface EasyLinkClientOptions {
  host: string;
  port: number;
  serial: string;
  timeoutMs: number;
  maxBodyBytes?: number;
}

/** A 200 reply whose body does not decode: the driver counts it as a rejection. */
export class BadReplyError extends GatewayError {
  constructor(readonly path: string, readonly excerpt: string, cause: DecodeError) {
    super('GW_ERR_DECODE', `bridge ${path}: ${cause.message}`, { cause });
    this.name = 'BadReplyError';
  }
}

export interface RawReply {
  status: number;
  body: string;
}

const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

export class EasyLinkClient {
  constructor(private readonly o: EasyLinkClientOptions) {}

  /** The client a device entry describes (the driver's poll and `pull` alike). */
  static forDevice(cfg: Pick<FingerspotConfig, 'host' | 'port' | 'serial' | 'timeout'>): EasyLinkClient {
    return new EasyLinkClient({ host: cfg.host, port: cfg.port, serial: cfg.serial, timeoutMs: cfg.timeout });
  }

  get address(): string {
    return `${this.o.host}:${this.o.port}`;
  }

  async info(signal?: AbortSignal): Promise<DevInfoReply> {
    return decoded(ENDPOINTS.info, await this.call(ENDPOINTS.info, {}, signal), decodeDevInfoReply);
  }

  /** Consumes: what it returns is marked downloaded inside the bridge. */
  async scanlogNew(signal?: AbortSignal): Promise<ScanlogReply> {
    return decoded(ENDPOINTS.scanlogNew, await this.call(ENDPOINTS.scanlogNew, {}, signal), decodeScanlogReply);
  }

  /** The next page of the bridge's paging session. */
  async scanlogPage(limit: number, signal?: AbortSignal): Promise<ScanlogReply> {
    return decoded(ENDPOINTS.scanlogPaging, await this.call(ENDPOINTS.scanlogPaging, { limit }, signal), decodeScanlogReply);
  }

  async setTime(signal?: AbortSignal): Promise<ResultReply> {
    return decoded(ENDPOINTS.setTime, await this.call(ENDPOINTS.setTime, {}, signal), decodeResultReply);
  }

  /** The next page of the bridge's user paging session (users with their templates). */
  async userPage(limit: number, signal?: AbortSignal): Promise<UserPageReply> {
    return decoded(ENDPOINTS.userPaging, await this.call(ENDPOINTS.userPaging, { limit }, signal), decodeUserPage);
  }

  /** /user/set with a form from userCodec.encodeUserSet. */
  async userSet(form: string, signal?: AbortSignal): Promise<ResultReply> {
    return decoded(ENDPOINTS.userSet, await this.send(ENDPOINTS.userSet, form, signal), decodeResultReply);
  }

  /** /user/del with a form from userCodec.encodeUserDel. */
  async userDel(form: string, signal?: AbortSignal): Promise<ResultReply> {
    return decoded(ENDPOINTS.userDel, await this.send(ENDPOINTS.userDel, form, signal), decodeResultReply);
  }

  get serial(): string {
    return this.o.serial;
  }

  /** POST and return the body of a 200 reply; anything else is a GatewayError. */
  async call(path: Endpoint, extra: Record<string, string | number>, signal?: AbortSignal): Promise<string> {
    if ((path === ENDPOINTS.scanlogPaging || path === ENDPOINTS.userPaging) && FORBIDDEN_PAGING_KEYS.some((k) => k in extra)) {
      throw new Error(`${path}: from/to/page crash FService; not sent`);
    }
    return this.send(path, encodeForm(this.o.serial, extra), signal);
  }

  /** POST a form already encoded; the body of a 200 reply, else a GatewayError. */
  async send(path: Endpoint, form: string, signal?: AbortSignal): Promise<string> {
    const reply = await this.post(path, form, signal);
    if (reply.status !== 200) {
      throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `bridge ${this.address}${path} answered HTTP ${reply.status}: ${reply.body.slice(0, 120)}`);
    }
    return reply.body;
  }

  post(path: string, form: string, signal?: AbortSignal): Promise<RawReply> {
    const { host, port, timeoutMs } = this.o;
    const maxBytes = this.o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    return new Promise<RawReply>((resolve, reject) => {
      if (signal?.aborted) return reject(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'aborted'));
      const body = Buffer.from(form, 'utf8');
      const req = http.request({
        host, port, path, method: 'POST', agent: false,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': body.length, Connection: 'close', Accept: 'application/json' },
      });
      let settled = false;
      const finish = (error: Error | undefined, value?: RawReply): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error) {
          req.destroy();
          reject(error);
        } else resolve(value as RawReply);
      };
      const timer = setTimeout(() => finish(new GatewayError('GW_ERR_DEVICE_TIMEOUT', `bridge ${this.address}${path}: no reply within ${timeoutMs} ms`)), timeoutMs);
      const onAbort = (): void => finish(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error) => finish(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', `bridge ${this.address}${path}: ${error.message}`, { cause: error })));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) finish(new GatewayError('GW_ERR_DEVICE_PROTOCOL', `bridge ${this.address}${path}: reply larger than ${maxBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (error) => finish(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', `bridge ${this.address}${path}: ${error.message}`, { cause: error })));
      });
      req.end(body);
    });
  }
}

function decoded<T>(path: string, body: string, decode: (text: string) => T): T {
  try {
    return decode(body);
  } catch (error) {
    if (error instanceof DecodeError) throw new BadReplyError(path, body.slice(0, 200), error);
    throw error;
  }
}
