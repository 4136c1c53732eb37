// One ZK SOAP call = one TCP connection: `POST /iWsService HTTP/1.0`, the XML body, then read until
// the device closes (ZK Web Server sends no Content-Length).
// `stream` reads a long answer (GetAttLog) as it arrives instead: slices of rows, each handed to
// the caller before the next bytes are read.
// Invariants:
// - `call`/`ask` never resolve with a partial answer: a body over `maxBodyBytes`, a timeout, an abort, a
//   connection reset or a short Content-Length body all reject with a GatewayError.
// - Non-SOAP answers (404, HTML pages, empty replies) reject with GW_ERR_DEVICE_PROTOCOL and a
//   message saying what came back, so `probe` can tell "not a SOAP terminal" from "unreachable".
// - `stream` hands out slices of whole rows (stream.ts) and reads the socket only when the caller
//   asks for the next slice: TCP flow control holds the terminal while the gateway commits, so
//   memory is one slice and the socket's buffer, whatever the log's size. A cut, reset, timed-out
//   or aborted answer throws after the slices before it were handed out; it is the caller's job
//   (sync.ts) that nothing final is concluded from them. `timeoutMs` counts only while waiting
//   for the terminal, not while the caller commits.
// - `maxBodyBytes` bounds the bytes read of one answer in both ways: `call` holds them, `stream`
//   does not (it holds one slice) but still stops an answer that never ends.
// - The comm key is sent in the body only; it is never logged or put in an error message.
// - Nothing is left running after a call settles: the socket is destroyed and timers cleared.
import { connect } from 'node:net';
import { rejectionCode, type RejectionReason } from '../../src/util/catalogue.js';
import { DecodeError, GatewayError, errorMessage } from '../../src/util/errors.js';
import { decodeHttpResponse, decodeResult, decodeSoapBody, encodeRequest, isNoData, type HttpResponse, type SoapArg, type SoapDocument } from './codec.js';
import { SoapAnswerSplitter } from './stream.js';
import type { ZkSoapConfig } from './config.js';
import { SOAP_PATH, type SoapCall } from './tables.js';

export interface SoapClientOptions {
  host: string;
  port: number;
  commKey: string;
  /** idle time allowed between bytes of the answer, and for the connection to open */
  timeoutMs: number;
  /** largest answer accepted (headers and body) */
  maxBodyBytes: number;
}

/** A call that failed on what the terminal sent (not on the network): counted as a rejection. */
export class SoapBodyError extends GatewayError {
  constructor(code: ConstructorParameters<typeof GatewayError>[0], message: string, readonly rejection: RejectionReason, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface SoapAnswer {
  http: HttpResponse;
  doc: SoapDocument;
  /** bytes read, headers included */
  bytes: number;
}

export class SoapClient {
  constructor(private readonly o: SoapClientOptions) {}

  /** The client a device entry describes (the driver's poll and `pull` alike). */
  static forDevice(cfg: Pick<ZkSoapConfig, 'host' | 'port' | 'commKey' | 'timeout' | 'maxBodyBytes'>): SoapClient {
    return new SoapClient({ host: cfg.host, port: cfg.port, commKey: cfg.commKey, timeoutMs: cfg.timeout, maxBodyBytes: cfg.maxBodyBytes });
  }

  /** Sends `call` and parses the XML answer; rejects with a GatewayError on anything else, a `Result 0` answer included. */
  async call(call: SoapCall, args: readonly SoapArg[] = [], signal?: AbortSignal): Promise<SoapAnswer> {
    const answer = await this.ask(call, args, signal);
    refusedBy(call, answer.doc);
    return answer;
  }

  /**
   * Like `call`, but a `Result 0` answer resolves: for the writes, where the terminal refusing one
   * user is that user's outcome, not a failed session.
   */
  async ask(call: SoapCall, args: readonly SoapArg[] = [], signal?: AbortSignal): Promise<SoapAnswer> {
    const raw = await this.exchange(encodeRequest(call, this.o.commKey, args), signal);
    let http: HttpResponse;
    try {
      http = decodeHttpResponse(raw);
    } catch (error) {
      throw new SoapBodyError('GW_ERR_DEVICE_PROTOCOL', `${call}: not an HTTP answer (${errorMessage(error)}); is this port a ZK web server?`, 'zk-soap-not-http', { cause: error });
    }
    if (http.status !== 200) throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `${call}: HTTP ${http.status}${describeServer(http)}; the terminal does not serve ${SOAP_PATH} (SOAP off or not a ZK web server)`);
    let doc: SoapDocument;
    try {
      doc = decodeSoapBody(http.body);
    } catch (error) {
      // the catalogue's code for the reason: malformed XML is an answer cut short (GW_ERR_DOWNLOAD_INCOMPLETE)
      const reason: RejectionReason = error instanceof DecodeError ? error.code : 'zk-soap-body';
      const hint = reason === 'zk-soap-body-empty' ? ' (an empty answer may mean a wrong commKey)' : '';
      throw new SoapBodyError(rejectionCode(reason), `${call}: ${errorMessage(error)}${hint}${describeServer(http)}`, reason, { cause: error });
    }
    if (!/Response$/i.test(doc.root)) {
      throw new SoapBodyError('GW_ERR_DEVICE_PROTOCOL', `${call}: the terminal answered <${doc.root}>, not <${call}Response>${describeServer(http)}; is SOAP enabled?`, 'zk-soap-body-root');
    }
    return { http, doc, bytes: raw.length };
  }

  /**
   * Sends `call` and yields its answer's rows as they arrive, in documents of at most `rowsPerSlice`
   * rows; the next bytes are read only when the caller asks for the next slice. Same errors as
   * `call`; `peak` (when given) learns the most body text held at once.
   */
  async *stream(call: SoapCall, args: readonly SoapArg[], o: { rowsPerSlice: number; signal?: AbortSignal; peak?: (heldChars: number) => void }): AsyncGenerator<SoapDocument, { bytes: number }> {
    const { signal } = o;
    if (signal?.aborted) throw new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'aborted');
    const body = Buffer.from(encodeRequest(call, this.o.commKey, args), 'latin1');
    const head = `POST ${SOAP_PATH} HTTP/1.0\r\nHost: ${this.o.host}\r\nContent-Type: text/xml\r\nContent-Length: ${body.length}\r\n\r\n`;
    const socket = connect({ host: this.o.host, port: this.o.port });
    socket.once('connect', () => socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body])));
    let failure: Error | undefined;
    const fail = (error: Error): void => {
      failure ??= error;
      socket.destroy(error);
    };
    const onAbort = (): void => fail(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const split = new SoapAnswerSplitter(o.rowsPerSlice);
    const chunks = socket[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    let received = 0;
    try {
      for (;;) {
        const timer = setTimeout(() => fail(new GatewayError('GW_ERR_DEVICE_TIMEOUT', `no answer from ${this.where()} for ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
        let next: IteratorResult<Buffer>;
        try {
          next = await chunks.next();
        } catch (error) {
          throw failure ?? (error instanceof GatewayError ? error : connectError(error as NodeJS.ErrnoException, this.where()));
        } finally {
          clearTimeout(timer);
        }
        if (failure) throw failure;
        const docs = next.done ? this.split(call, split, () => split.end()) : this.split(call, split, () => split.push(next.value));
        if (!next.done) {
          received += next.value.length;
          if (received > this.o.maxBodyBytes) throw new SoapBodyError('GW_ERR_DEVICE_PROTOCOL', `answer larger than maxBodyBytes (${this.o.maxBodyBytes}); raise it for terminals with very large logs`, 'zk-soap-body-too-large');
        }
        o.peak?.(split.peakHeldChars);
        for (const doc of docs) {
          refusedBy(call, doc);
          yield doc;
          if (failure) throw failure;
        }
        if (next.done) return { bytes: received };
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
    }
  }

  /** One step of the splitter, its errors as `ask` reports them; the head and root checked once known. */
  private split(call: SoapCall, split: SoapAnswerSplitter, step: () => SoapDocument[]): SoapDocument[] {
    const hadHead = split.head !== undefined;
    const hadRoot = split.root !== undefined;
    let docs: SoapDocument[];
    try {
      docs = step();
    } catch (error) {
      const reason: RejectionReason = error instanceof DecodeError ? error.code : 'zk-soap-body';
      if (!hadHead || reason.startsWith('zk-soap-http-')) throw new SoapBodyError('GW_ERR_DEVICE_PROTOCOL', `${call}: not an HTTP answer (${errorMessage(error)}); is this port a ZK web server?`, 'zk-soap-not-http', { cause: error });
      const hint = reason === 'zk-soap-body-empty' ? ' (an empty answer may mean a wrong commKey)' : '';
      throw new SoapBodyError(rejectionCode(reason), `${call}: ${errorMessage(error)}${hint}${describeHead(split.head?.headers)}`, reason, { cause: error });
    }
    const http = split.head;
    if (!hadHead && http && http.status !== 200) throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `${call}: HTTP ${http.status}${describeHead(http.headers)}; the terminal does not serve ${SOAP_PATH} (SOAP off or not a ZK web server)`);
    const root = split.root ?? docs[0]?.root;
    if (!hadRoot && root !== undefined && !/Response$/i.test(root)) {
      throw new SoapBodyError('GW_ERR_DEVICE_PROTOCOL', `${call}: the terminal answered <${root}>, not <${call}Response>${describeHead(http?.headers)}; is SOAP enabled?`, 'zk-soap-body-root');
    }
    return docs;
  }

  /** Raw request/response bytes: write the request, read until the device closes. */
  exchange(xml: string, signal?: AbortSignal): Promise<Buffer> {
    const body = Buffer.from(xml, 'latin1');
    const head = `POST ${SOAP_PATH} HTTP/1.0\r\nHost: ${this.o.host}\r\nContent-Type: text/xml\r\nContent-Length: ${body.length}\r\n\r\n`;
    return new Promise<Buffer>((resolve, reject) => {
      if (signal?.aborted) return reject(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'aborted'));
      const socket = connect({ host: this.o.host, port: this.o.port });
      const chunks: Buffer[] = [];
      let received = 0;
      let settled = false;
      const finish = (error: Error | undefined): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        if (error) reject(error);
        else resolve(Buffer.concat(chunks, received));
      };
      const onAbort = (): void => finish(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.setTimeout(this.o.timeoutMs, () => finish(new GatewayError('GW_ERR_DEVICE_TIMEOUT', `no answer from ${this.where()} for ${this.o.timeoutMs} ms`)));
      // no half-close: the vendor samples keep their side open until the terminal closes
      socket.once('connect', () => socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body])));
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > this.o.maxBodyBytes) return finish(new SoapBodyError('GW_ERR_DEVICE_PROTOCOL', `answer larger than maxBodyBytes (${this.o.maxBodyBytes}); raise it for terminals with very large logs`, 'zk-soap-body-too-large'));
        chunks.push(chunk);
      });
      socket.once('end', () => finish(undefined));
      socket.once('error', (error: NodeJS.ErrnoException) => finish(connectError(error, this.where())));
    });
  }

  private where(): string {
    return `${this.o.host}:${this.o.port}`;
  }
}

function describeServer(http: HttpResponse): string {
  return describeHead(http.headers);
}

function describeHead(headers: Record<string, string> | undefined): string {
  const server = headers?.server;
  return server ? ` (Server: ${server.slice(0, 60)})` : '';
}

/** A `Result 0` answer that is not "No data!": the terminal refused the call. */
function refusedBy(call: SoapCall, doc: SoapDocument): void {
  const result = decodeResult(doc);
  if (result && !result.ok && !isNoData(doc)) {
    throw new GatewayError('GW_ERR_DEVICE_AUTH', `${call} refused by the terminal (Result 0: ${JSON.stringify(result.information.slice(0, 80))}); usually a wrong commKey`);
  }
}

function connectError(error: NodeJS.ErrnoException, where: string): GatewayError {
  if (error.code === 'ECONNREFUSED') return new GatewayError('GW_ERR_DEVICE_UNREACHABLE', `${where} refused the connection: no web server on that port`, { cause: error });
  if (error.code === 'ECONNRESET') return new GatewayError('GW_ERR_DOWNLOAD_INCOMPLETE', `${where} reset the connection mid-answer`, { cause: error });
  return new GatewayError('GW_ERR_DEVICE_UNREACHABLE', `${where}: ${error.message}`, { cause: error });
}
