// A small ISAPI HTTP client: one terminal, Digest authentication, timeouts, typed errors.
// Invariants:
// - Every request is answered or fails with a GatewayError: GW_ERR_DEVICE_AUTH (wrong user or
//   password: a fresh challenge was answered and refused again), GW_ERR_DEVICE_TIMEOUT,
//   GW_ERR_DEVICE_UNREACHABLE, GW_ERR_DEVICE_PROTOCOL (an HTTP error status).
// - The challenge is reused (nonce count increasing) until the server says 401 again; a 401 with
//   stale=true is re-answered once with the new nonce, a plain 401 after our own answer is final.
//   Terminals lock an account after a few wrong answers, so a refused password is never retried
//   within one request.
// - The password is only ever passed to the digest session; errors and logs never carry it.
// - An answer body is read as it streams, up to `maxBodyBytes` (after any content decoding); a
//   longer one is cut off and refused (IsapiBodyTooLarge), never held whole.
import { GatewayError, errorMessage } from '../../src/util/errors.js';
import { DigestSession, parseDigestChallenge } from './digest.js';

/**
 * Largest ISAPI answer accepted: an AcsEvent page holds at most 100 events (pageSize) of well under
 * 2 KB of JSON each, deviceInfo and time a few hundred bytes; 8 MiB is far above both.
 */
export const MAX_ISAPI_BODY_BYTES = 8 * 1024 * 1024;

/** An answer longer than maxBodyBytes: counted as a rejection (isapi-body-too-large). */
export class IsapiBodyTooLarge extends GatewayError {
  readonly rejection = 'isapi-body-too-large';
  constructor(message: string) {
    super('GW_ERR_DEVICE_PROTOCOL', message);
    this.name = 'IsapiBodyTooLarge';
  }
}

export interface IsapiClientOptions {
  host: string;
  port: number;
  username: string;
  password: string;
  timeoutMs: number;
  /** largest answer body read (default MAX_ISAPI_BODY_BYTES) */
  maxBodyBytes?: number;
  /** aborts every request (driver stop) */
  signal?: AbortSignal;
}

export interface IsapiResponse {
  status: number;
  contentType: string;
  text: string;
}

export class IsapiClient {
  readonly baseUrl: string;
  private readonly digest: DigestSession;

  constructor(private readonly options: IsapiClientOptions) {
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    this.baseUrl = `http://${host}:${options.port}`;
    this.digest = new DigestSession(options.username, options.password);
  }

  get(path: string): Promise<IsapiResponse> {
    return this.request('GET', path);
  }

  postJson(path: string, body: unknown): Promise<IsapiResponse> {
    return this.request('POST', path, JSON.stringify(body), 'application/json');
  }

  /** One ISAPI request; a 2xx answer resolves, anything else rejects with a GatewayError. */
  async request(method: string, path: string, body?: string, contentType?: string): Promise<IsapiResponse> {
    // a 401 to an answer of a challenge received within this request is final; a 401 to a cached
    // challenge (the terminal rotated its nonce) or with stale=true is answered once more
    let answeredFreshChallenge = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const authorization = this.digest.authorize(method, path);
      const response = await this.send(method, path, { body, contentType, authorization });
      if (response.status !== 401) return checked(method, path, response);
      const challenge = parseDigestChallenge(response.wwwAuthenticate);
      if (!challenge) throw new GatewayError('GW_ERR_DEVICE_AUTH', `${method} ${path}: 401 without a Digest challenge (is ISAPI digest authentication enabled?)`);
      if (answeredFreshChallenge && !challenge.stale) {
        this.digest.forget();
        throw new GatewayError('GW_ERR_DEVICE_AUTH', `${method} ${path}: the terminal refused user "${this.options.username}" (wrong user name or password; terminals lock the account after several failures)`);
      }
      this.digest.accept(challenge);
      answeredFreshChallenge = true;
    }
    throw new GatewayError('GW_ERR_DEVICE_AUTH', `${method} ${path}: the terminal keeps answering 401`);
  }

  private async send(method: string, path: string, o: { body?: string | undefined; contentType?: string | undefined; authorization?: string | undefined }) {
    const signals = [AbortSignal.timeout(this.options.timeoutMs), ...(this.options.signal ? [this.options.signal] : [])];
    const headers: Record<string, string> = { accept: '*/*' };
    if (o.authorization) headers.authorization = o.authorization;
    if (o.contentType) headers['content-type'] = o.contentType;
    try {
      const res = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(o.body !== undefined ? { body: o.body } : {}), signal: AbortSignal.any(signals), redirect: 'manual' });
      const text = await this.bodyOf(res, `${method} ${path}`);
      const wwwAuthenticate = res.headers.get('www-authenticate') ?? '';
      return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, wwwAuthenticate };
    } catch (error) {
      if (error instanceof IsapiBodyTooLarge) throw error;
      if (this.options.signal?.aborted) throw new GatewayError('GW_ERR_DEVICE_UNREACHABLE', `${method} ${path}: stopped`, { cause: error });
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new GatewayError('GW_ERR_DEVICE_TIMEOUT', `${method} ${this.baseUrl}${path}: no answer within ${this.options.timeoutMs} ms`, { cause: error });
      const cause = (error as { cause?: unknown }).cause;
      throw new GatewayError('GW_ERR_DEVICE_UNREACHABLE', `${method} ${this.baseUrl}${path}: ${errorMessage(cause ?? error)}`, { cause: error });
    }
  }

  /** The body as text, read chunk by chunk and refused past maxBodyBytes. */
  private async bodyOf(res: Response, what: string): Promise<string> {
    const maxBytes = this.options.maxBodyBytes ?? MAX_ISAPI_BODY_BYTES;
    const tooLarge = (): IsapiBodyTooLarge => new IsapiBodyTooLarge(`${what}: answer larger than ${maxBytes} bytes; refused`);
    if (Number(res.headers.get('content-length') ?? 0) > maxBytes) {
      await res.body?.cancel();
      throw tooLarge();
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body ?? []) {
      size += chunk.byteLength;
      if (size > maxBytes) throw tooLarge(); // leaving the loop cancels the stream
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size).toString('utf8');
  }
}

function checked(method: string, path: string, response: IsapiResponse & { wwwAuthenticate?: string }): IsapiResponse {
  const { status, contentType, text } = response;
  if (status >= 200 && status < 300) return { status, contentType, text };
  const subStatus = /<subStatusCode>([^<]*)</.exec(text)?.[1] ?? /"subStatusCode"\s*:\s*"([^"]*)"/.exec(text)?.[1];
  throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `${method} ${path}: HTTP ${status}${subStatus ? ` (${subStatus})` : ''}`);
}
