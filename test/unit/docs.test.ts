import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, REASON_TABLES, reasonEntry, type ReasonEntry } from '../../src/util/catalogue.js';

const readme = readFileSync('README.md', 'utf8');

it('README documents every error code of the catalog', () => {
  const missing = Object.keys(ERROR_CODES).filter((code) => !readme.includes(`\`${code}\``));
  expect(missing).toEqual([]);
});

it('README opens with exactly two commands: run the main job, run the tests', () => {
  const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const commands = firstBlock.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#'));
  expect(commands).toHaveLength(2);
  expect(commands[1]).toMatch(/^npm test\b/);
});

/** README's "### Reasons" tables: per `#### ` heading, each row's reasons (first column) and code (second). */
function reasonRows(): { heading: string; reasons: string[]; code: string }[] {
  const section = /\n### Reasons\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
  return section.split('\n#### ').slice(1).flatMap((part) => {
    const heading = part.slice(0, part.indexOf('\n'));
    return part
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => {
        const [reasons = '', code = ''] = line.split('|').slice(1).map((cell) => cell.trim());
        return { heading, reasons: [...reasons.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string), code: code.replaceAll('`', '') };
      });
  });
}

describe('README "Reasons"', () => {
  const rows = reasonRows();
  const tables = Object.entries(REASON_TABLES) as [string, Record<string, ReasonEntry>][];
  /** the tables a README heading is about: its counter's, and for "Codec codes" the codec entries of the rejection table */
  const entriesUnder = (heading: string): Record<string, ReasonEntry> => {
    if (heading.startsWith('Codec codes')) return Object.fromEntries(tables.flatMap(([, table]) => Object.entries(table).filter(([, e]) => e.countedAs !== undefined)));
    const table = tables.find(([counter]) => heading.startsWith(`\`${counter}{`))?.[1];
    return Object.fromEntries(Object.entries(table ?? {}).filter(([, e]) => e.countedAs === undefined));
  };

  it('has a table per counter, and one of codec codes', () => {
    expect(new Set(rows.map((r) => r.heading.split('{')[0]))).toEqual(new Set([...tables.map(([counter]) => `\`${counter}`), 'Codec codes']));
  });

  it('names every reason of the catalogue, under its counter, with the code it is logged with', () => {
    const missing = tables.flatMap(([counter, table]) =>
      Object.entries(table)
        .filter(([reason, entry]) => !rows.some((row) => row.heading.startsWith(entry.countedAs ? 'Codec codes' : `\`${counter}{`) && row.reasons.includes(reason) && row.code === entry.code))
        .map(([reason, entry]) => `${counter} ${reason} (${entry.code})`),
    );
    expect(missing).toEqual([]);
  });

  it('names no reason the catalogue does not have (a renamed or removed one)', () => {
    const unknown = rows.flatMap((row) => row.reasons.filter((reason) => reasonEntry(entriesUnder(row.heading), reason) === undefined).map((reason) => `${row.heading.split(':')[0]}: ${reason}`));
    expect(unknown).toEqual([]);
  });
});
