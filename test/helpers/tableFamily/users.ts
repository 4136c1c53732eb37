// The table families' user side: a TableSession over the entry's tableFile, saved after every change.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UsersAccess } from '../../../src/devices/facets.js';
import { GatewayError } from '../../../src/util/errors.js';
import { loadTable, saveTable, TableSession } from '../usersTable.js';
import type { TableConfig } from './definition.js';

/** What `witnessDir` held when the first write began: file name → content. */
export function witnessFile(config: Pick<TableConfig, 'tableFile'>): string {
  return `${config.tableFile}.witness.json`;
}

export const tableUsersAccess: UsersAccess<TableConfig> = {
  async open(config) {
    let table;
    try {
      table = loadTable(config.tableFile);
    } catch (error) {
      throw new GatewayError('GW_ERR_DEVICE_UNREACHABLE', `no terminal at ${config.tableFile}`, { cause: error });
    }
    const witness = (): void => {
      const dir = config.witnessDir;
      const seen = dir ? Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')])) : {};
      writeFileSync(witnessFile(config), JSON.stringify(seen));
    };
    return new TableSession(table, {
      failPins: config.failPins,
      ...(config.dropAfter !== undefined ? { dropAfter: config.dropAfter } : {}),
      onFirstWrite: witness,
      save: (t) => saveTable(config.tableFile, t),
    });
  },
};
