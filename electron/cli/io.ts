/** The CLI's standard streams and signals. */

export function writeOut(data: string | Uint8Array): void {
  process.stdout.write(data);
}

/** Writes one "relayscope: ..." line to standard error. */
export function note(message: string): void {
  process.stderr.write(`relayscope: ${oneLine(message)}\n`);
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** Resolves once everything written to stdout and stderr so far has been handed to the OS. */
export async function flushOutput(): Promise<void> {
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))));
}

/** A reader that went away (e.g. `relayscope monitor | head`) ends the command quietly, not with a stack trace. */
export function exitQuietlyOnBrokenPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') note(`cannot write to standard output: ${err.message}`);
    process.exit(err.code === 'EPIPE' ? 0 : 1);
  });
}

/** Reads standard input to its end, as bytes. */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Resolves on the first SIGINT or SIGTERM so the caller can shut down cleanly. A second signal
 * means the user does not want to wait for that: exit at once.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) {
        note(`${signal} again: exiting without finishing the shutdown`);
        process.exit(1);
      }
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
