// The demo's command line and its staff (issue 19, finding 5): `demo --help` names the three
// terminals it runs, and live punches go round a working day instead of all being check-in.
import { Command } from 'commander';
import { expect, it } from 'vitest';
import { DEMO_TERMINALS, nextPunchState, punchSomewhere, registerDemoCommand } from '../../src/cli/demo.js';
import { ZkPushSimulator } from '../../src/sim/zkPush/index.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { seededRandom } from '../../src/sim/zkTcp/output.js';

it('demo --help names the three terminals it runs', () => {
  const program = new Command();
  registerDemoCommand(program);
  const help = program.commands.find((c) => c.name() === 'demo')!.description();
  expect(help).toMatch(/^run 3 simulated terminals/);
  for (const id of ['lobby-1', 'hall-2', 'gate-3']) expect(help).toContain(id);
  expect(DEMO_TERMINALS).toHaveLength(3);
  expect(help).not.toMatch(/two/);
});

it('a person goes check-in, break-out, break-in, check-out, and in again', () => {
  const states: number[] = [];
  let previous: number | undefined;
  for (let i = 0; i < 5; i += 1) states.push((previous = nextPunchState(previous)));
  expect(states).toEqual([0, 2, 3, 1, 0]);
});

it('the live punches at the simulated terminals are not all check-in', () => {
  const terminals = [new ZkTcpSimulator({ users: 5 }), new ZkTcpSimulator({ users: 5 })];
  const gate = new ZkPushSimulator({ target: 'http://127.0.0.1:9', serial: 'DEMO0000000003' });
  const lastState = new Map<string, number>();
  const random = seededRandom(7);
  for (let i = 0; i < 40; i += 1) punchSomewhere(terminals, gate, lastState, random);
  const states = [...terminals.flatMap((t) => Array.from({ length: t.log.count }, (_, i) => t.log.punchAt(i).state)), ...gate.records.map((r) => r.state)];
  expect(states).toHaveLength(40);
  expect(new Set(states)).toEqual(new Set([0, 1, 2, 3]));
});
