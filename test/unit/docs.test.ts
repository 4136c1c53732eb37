import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/util/errors.js';

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
