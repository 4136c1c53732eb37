// The table families' driver: online at start, nothing else (the daemon test needs a device it is connected to).
import type { Driver, DriverContext } from '../../../src/devices/driver.js';
import type { TableConfig } from './definition.js';

export class TableDriver implements Driver {
  constructor(
    private readonly config: TableConfig,
    private readonly ctx: DriverContext,
  ) {}

  async start(): Promise<void> {
    this.ctx.status.update({ online: true, serial: `TABLE-${this.config.id}` });
  }

  async stop(): Promise<void> {}
}
