// The terminal mix of `npm run bench:scale` and the gateway config that reads it.
// Invariants:
// - The mix is ~1/3 ZK TCP realtime, ~1/3 ZK UDP polled, ~1/3 ADMS push, by index modulo 3, so
//   10, 100 and 500 terminals have the same proportions.
// - Ids and serials are a pure function of the index; the farm fills in the ports it bound.
export type TerminalKind = 'zk-tcp' | 'zk-udp' | 'zk-push';

export interface FarmTerminal {
  index: number;
  id: string;
  serial: string;
  kind: TerminalKind;
  /** bound by the farm (ZK kinds) */
  port?: number;
}

export interface FarmPlan {
  terminals: FarmTerminal[];
  /** the gateway's push listener, http://127.0.0.1:port */
  pushTarget: string;
}

const KINDS: TerminalKind[] = ['zk-tcp', 'zk-udp', 'zk-push'];

export function terminalMix(count: number): FarmTerminal[] {
  return Array.from({ length: count }, (_, index) => {
    const kind = KINDS[index % 3] as TerminalKind;
    const n = String(index + 1).padStart(4, '0');
    return { index, kind, id: `t${n}-${kind.slice(3)}`, serial: `SCALE${kind === 'zk-push' ? 'P' : 'Z'}${n}` };
  });
}

export interface GatewayYaml {
  site: string;
  dataDir: string;
  apiPort: number;
  pushPort: number;
  mqttUrl: string;
  pollSeconds: number;
  terminals: FarmTerminal[];
}

function deviceYaml(t: FarmTerminal, pollSeconds: number): string {
  if (t.kind === 'zk-push') return `  - {id: ${t.id}, driver: zk-push, serial: ${t.serial}, realtime: true}`;
  const udp = t.kind === 'zk-udp';
  // realtime terminals are also polled (catch-up) at the driver default of 5 min; polled ones often
  return `  - {id: ${t.id}, driver: zk-tcp, host: 127.0.0.1, port: ${t.port}, transport: ${udp ? 'udp' : 'tcp'}, realtime: ${!udp}, pollInterval: ${udp ? `${pollSeconds}s` : '5m'}}`;
}

export function gatewayYaml(c: GatewayYaml): string {
  return [
    `gateway: {id: gw-scale, site: ${c.site}, dataDir: ${c.dataDir}, logLevel: warn}`,
    `api: {listen: "127.0.0.1:${c.apiPort}"}`,
    `pushListener: {listen: "127.0.0.1:${c.pushPort}"}`,
    `publish: {mqtt: {url: "${c.mqttUrl}", clientId: gw-scale-${c.site}}}`,
    'supervisor: {restartMin: 1s, restartMax: 10s, shutdownTimeout: 5s}',
    c.terminals.length > 0 ? 'devices:' : 'devices: []',
    ...c.terminals.map((t) => deviceYaml(t, c.pollSeconds)),
    '',
  ].join('\n');
}
