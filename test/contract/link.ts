// A loopback TCP link between a driver and its terminal (or a terminal and the push listener),
// for the driver contract suite: the network the terminal sits behind, which a test can cut and
// restore and watch.
// Invariants:
// - Listens on 127.0.0.1 only; a restored link listens on the same port, so the peer reconnects
//   to the address it was configured with.
// - `cut()` stops accepting (connects are refused) and destroys every relayed connection, both
//   sides; nothing is relayed until `restore()`.
// - `open` counts connections the client side holds through the link right now; `accepted`
//   counts every connection ever accepted: a driver that keeps retrying after stop shows here.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class Link {
  accepted = 0;
  private server: Server | undefined;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private boundPort = 0;

  constructor(private readonly upstreamPort: number) {}

  get port(): number {
    return this.boundPort;
  }

  /** connections the client side holds open through the link */
  get open(): number {
    return this.pairs.size;
  }

  async listen(): Promise<number> {
    const server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.boundPort = (server.address() as { port: number }).port;
    return this.boundPort;
  }

  /** The terminal goes away: refuse connections and drop every open one. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** The terminal is back at the same address. */
  async restore(): Promise<void> {
    if (!this.server) await this.listen();
  }

  /** Writes bytes to every client side (as if the terminal had sent them). */
  inject(bytes: Uint8Array): number {
    for (const pair of this.pairs) pair.client.write(bytes);
    return this.pairs.size;
  }

  async close(): Promise<void> {
    await this.cut();
  }

  private relay(client: Socket): void {
    this.accepted += 1;
    const upstream = connect({ host: '127.0.0.1', port: this.upstreamPort });
    const pair = { client, upstream };
    this.pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    // a side that closed ends the other after what it sent is written; an error drops both
    const closed = (other: Socket) => (): void => {
      this.pairs.delete(pair);
      other.end();
    };
    const failed = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', closed(upstream)).on('error', failed);
    upstream.on('close', closed(client)).on('error', failed);
  }
}
