// One row of `bench:stream` (issue 17): a family's bare read ÷ the gateway end to end, both on the
// same simulator settings. A family joins the bench with one entry in the row list it is given.
import type { TestBroker } from '../helpers/broker.js';

export interface GatewayRun {
  ms: number;
  peakRssMb: number;
  /** what the row adds after the ratio, e.g. how far delivery had got when the terminal was done */
  detail: string;
}

export interface StreamRow {
  /** e.g. `100000 records`, `zk-soap 20000 rows (1460-byte packets every 2 ms)` */
  label: string;
  /** e.g. `bare download`, `bare GetAttLog read` */
  floorName: string;
  /** where the gateway delivers, e.g. `MQTT subscriber`, `HTTPS receiver` */
  sinkName: string;
  /** wall time of the bare read, in ms */
  floor: () => Promise<number>;
  gateway: (broker: TestBroker, dir: string) => Promise<GatewayRun>;
}

export async function runStreamRows(rows: readonly StreamRow[], broker: TestBroker, dir: string, runs: number, write: (line: string) => void): Promise<void> {
  for (const row of rows) {
    for (let run = 1; run <= runs; run++) {
      const bare = await row.floor();
      const gw = await row.gateway(broker, dir);
      write(
        `${row.label}: ${row.floorName} ${(bare / 1000).toFixed(2)} s, gateway to ${row.sinkName} ${(gw.ms / 1000).toFixed(2)} s, ratio ${(gw.ms / bare).toFixed(2)}, gateway peak RSS ${gw.peakRssMb} MB (${gw.detail})\n`,
      );
    }
  }
}
