// A real `absensi-gateway central` process (the CLI from source, with the shipped node flags), for
// the process tests and the centre's benchmark.
import { spawn, type ChildProcess } from 'node:child_process';
import { daemonArgs } from '../helpers/daemonCommand.js';

export interface CentralProcess {
  child: ChildProcess;
  /** resolves with the exit code, or the signal's name */
  exited: Promise<number | string>;
  output: () => string;
  /** SIGTERM, and the exit code */
  stop(): Promise<number | string>;
}

/** Starts `central --config <config> --instance <instance>`; resolves once it logged "central started" (subscribed to its group). */
export async function startCentralProcess(config: string, instance: string): Promise<CentralProcess> {
  const child = spawn(process.execPath, daemonArgs(['central', '--config', config, '--instance', instance]), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  await new Promise<void>((resolve, reject) => {
    const watch = (): void => {
      if (output.includes('"central started"')) resolve();
    };
    child.stdout!.on('data', watch);
    void exited.then((code) => reject(new Error(`central ${instance} exited (${code}) before it started:\n${output}`)));
  });
  return {
    child,
    exited,
    output: () => output,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
