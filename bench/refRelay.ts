/**
 * The C reference relay (bench/c/refRelay.c) for bench.ts: compiled into the temp dir and started on
 * its own socket next to the hub, so every throughput and round-trip scenario can run through it with
 * the same generator in the same run. It is the physical reference for one hop: the hub's main ratio.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { compileC } from './cProgram';

export interface RefRelay {
  socketPath: string;
  /** How it was built, for the bench's header. */
  command: string;
  stop(): Promise<void>;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Compiles and starts the reference relay on DIR/ref.sock; a missing compiler gives the reason to skip it. */
export async function startRefRelay(dir: string): Promise<RefRelay | { skipped: string }> {
  const compiled = compileC('refRelay', dir, { std: 'c99' });
  if ('skipped' in compiled) return compiled;
  const socketPath = path.join(dir, 'ref.sock');
  const child = spawn(compiled.binary, [socketPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`refRelay did not say "ready" within 5 s: ${log.trim()}`));
    }, 5000);
    child.stdout?.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`refRelay exited with ${code}: ${log.trim()}`));
    });
  });
  return {
    socketPath,
    command: compiled.command,
    async stop(): Promise<void> {
      if (hasExited(child)) return;
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (!hasExited(child)) child.kill('SIGKILL');
    },
  };
}
