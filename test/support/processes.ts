import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Cleanup } from './cleanup';

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A child process killed (by its own pid) at cleanup if it is still running. */
export interface TrackedChild {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<ChildResult>;
}

export function spawnTracked(cleanup: Cleanup, command: string, args: string[], options: SpawnOptions = {}): TrackedChild {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  // A child that exits before reading its stdin would otherwise raise EPIPE on our side.
  child.stdin?.on('error', () => {});
  const exited = new Promise<ChildResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  cleanup.add(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs a command to completion, failing after `timeoutMs`. */
export async function runToCompletion(cleanup: Cleanup, command: string, args: string[], input: Buffer | string | null, timeoutMs = 10_000): Promise<ChildResult> {
  const tracked = spawnTracked(cleanup, command, args);
  if (input !== null) tracked.child.stdin?.end(input);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      tracked.child.kill('SIGKILL');
      reject(new Error(`${command} did not finish within ${timeoutMs} ms; stderr: ${tracked.stderr()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([tracked.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
