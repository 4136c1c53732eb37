// The simulated terminal's HTTP client: one request per TCP connection, as ZK firmware does it
// ("Connection: close"), optionally as HTTP/1.0 and with a gzip body. Written on a raw socket so
// the request line and headers are exactly what a terminal sends (User-Agent iClock Proxy/1.09).
// Invariants:
// - Resolves with status, headers and body once the server closed the connection; rejects on a
//   connection error, an abort, or when `dropReply` asks to hang up before reading the reply.
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface SimRequest {
  target: URL;
  method: 'GET' | 'POST';
  pathAndQuery: string;
  body?: string;
  http10?: boolean;
  gzip?: boolean;
  /** close the socket right after sending (the reply is lost, as on a network cut) */
  dropReply?: boolean;
  signal?: AbortSignal;
}

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function simRequest(r: SimRequest): Promise<SimResponse> {
  const payload = r.body === undefined ? undefined : r.gzip ? gzipSync(r.body) : Buffer.from(r.body, 'utf8');
  const head = [
    `${r.method} ${r.pathAndQuery} HTTP/${r.http10 ? '1.0' : '1.1'}`,
    `Host: ${r.target.host}`,
    'User-Agent: iClock Proxy/1.09',
    'Connection: close',
    'Accept: */*',
    ...(payload ? [`Content-Length: ${payload.length}`, 'Content-Type: text/plain', ...(r.gzip ? ['Content-Encoding: gzip'] : [])] : []),
  ];
  return new Promise((resolve, reject) => {
    if (r.signal?.aborted) return reject(new Error('aborted'));
    const socket = connect({ host: r.target.hostname, port: Number(r.target.port || 80) });
    const chunks: Buffer[] = [];
    const onAbort = (): void => {
      socket.destroy();
      reject(new Error('aborted'));
    };
    r.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => r.signal?.removeEventListener('abort', onAbort);
    socket.on('connect', () => {
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
      if (payload) socket.write(payload);
      if (r.dropReply) {
        socket.end();
        socket.destroy();
        done();
        reject(new Error('reply dropped (simulated network cut)'));
      }
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      done();
      reject(error);
    });
    socket.on('end', () => {
      done();
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error as Error);
      }
      socket.destroy();
    });
  });
}

function parseResponse(bytes: Buffer): SimResponse {
  const text = bytes.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`incomplete HTTP response (${bytes.length} bytes)`);
  const [statusLine = '', ...headerLines] = text.slice(0, split).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) throw new Error(`bad status line ${JSON.stringify(statusLine.slice(0, 40))}`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = text.slice(split + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = unchunk(body);
  return { status, headers, body };
}

function unchunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 4 + size);
  }
}
