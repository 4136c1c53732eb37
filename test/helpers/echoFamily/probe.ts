// `probe <host> --protocol echo --greeting <text>`: send the line, print what came back.
import { connect } from 'node:net';
import type { ProbeRun } from '../../../src/devices/facets.js';
import { GatewayError } from '../../../src/util/errors.js';
import { loadedModules } from './loads.js';

loadedModules.add('probe');

export const echoProbe: ProbeRun = {
  probe: ({ host, port, timeoutMs }, values) =>
    new Promise((resolve, reject) => {
      const greeting = String(values.greeting);
      const socket = connect({ host, port, timeout: timeoutMs }, () => socket.write(`${greeting}\n`));
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.on('end', () => {
        const result = { host, port, answer: answer.trim() };
        resolve({ result, text: `terminal   ${host}:${port} (echo) answered "${result.answer}"\n` });
      });
      socket.on('timeout', () => socket.destroy(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'no answer')));
      socket.on('error', reject);
    }),
};
