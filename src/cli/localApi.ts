// Where a CLI command finds the running daemon: its local API at the config's api.listen, with a
// wildcard listen address reached on loopback.
import type { GatewayConfig } from '../config/schema.js';

/** The base URL of the daemon's local API as `config` names it. */
export function localApiUrl(config: GatewayConfig): string {
  const { host, port } = config.api.listen;
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `http://${reachable}:${port}`;
}
