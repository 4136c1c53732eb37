// `simulate echo [--port N]`: an echo terminal on 127.0.0.1 that answers one connection and exits.
import { createServer } from 'node:net';
import type { Command } from 'commander';
import { intArg, parseOrUsage } from '../../../src/sim/cliKit.js';
import { loadedModules } from './loads.js';

loadedModules.add('simulator');

export function configureSimulateEcho(command: Command): void {
  command.option('--port <port>', 'TCP port (0 picks a free one)', '7').action(async (options: { port: string }) => {
    const port = parseOrUsage('echo', options, (o) => intArg('--port', o.port, { min: 0 }));
    if (port === undefined) return;
    const server = createServer((socket) => {
      socket.setEncoding('utf8');
      socket.once('data', (line: string) => socket.end(line));
      socket.once('close', () => server.close());
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    process.stdout.write(`echo terminal simulator on 127.0.0.1:${address.port}\n`);
    await new Promise((resolve) => server.once('close', resolve));
  });
}
