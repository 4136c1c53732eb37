// HTTP requests to a push listener from a chosen loopback source address, over real sockets: the
// real terminal calls from 127.0.0.1, the forger from 127.0.0.2 (Linux routes all of 127.0.0.0/8
// to loopback). A fresh connection per request (agent: false), so each is seen with its own
// source address; the body may be text or bytes.
import { request } from 'node:http';

export const TERMINAL_ADDRESS = '127.0.0.1';
export const FORGER_ADDRESS = '127.0.0.2';

export interface WireReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface WireRequest {
  port: number;
  /** source address (localAddress); default 127.0.0.1 */
  from?: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export function sendFrom(r: WireRequest): Promise<WireReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: r.port, localAddress: r.from ?? TERMINAL_ADDRESS, method: r.method, path: r.path, agent: false, headers: { 'content-type': 'text/plain', ...r.headers } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

/** The iclock requests of one zk-push serial, sent from one address. */
export function zkPushCaller(port: number, serial: string, from: string) {
  const q = `SN=${encodeURIComponent(serial)}`;
  return {
    handshake: (commKey?: string) => sendFrom({ port, from, method: 'GET', path: `/iclock/cdata?${q}&options=all&pushver=2.4.1&language=73${commKey !== undefined ? `&pushcommkey=${encodeURIComponent(commKey)}` : ''}` }),
    upload: (body: string, stamp = '1') => sendFrom({ port, from, method: 'POST', path: `/iclock/cdata?${q}&table=ATTLOG&Stamp=${stamp}`, body }),
    poll: () => sendFrom({ port, from, method: 'GET', path: `/iclock/getrequest?${q}` }),
    result: (body: string) => sendFrom({ port, from, method: 'POST', path: `/iclock/devicecmd?${q}`, body }),
    ping: () => sendFrom({ port, from, method: 'GET', path: `/iclock/ping?${q}` }),
  };
}

/** One synthetic ATTLOG line (layout of the quoted saifulcoder body): `PIN⇥time⇥0⇥1⇥⇥0⇥0⇥`. */
export function attlogLine(pin: string, localTime: string): string {
  return `${pin}\t${localTime.replace('T', ' ')}\t0\t1\t\t0\t0\t`;
}
