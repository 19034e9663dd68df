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

/** How long exiting waits for output a reader has not taken yet (a pipe nobody reads must not hold the exit up). */
const FLUSH_WAIT_MS = 2000;

/** Resolves once everything written to stdout and stderr so far has been handed to the OS, or after FLUSH_WAIT_MS. */
export async function flushOutput(): Promise<void> {
  const flushed = Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([flushed, new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_WAIT_MS)))]);
  clearTimeout(timer);
}

/** Log lines buffered for standard output at most; beyond it lines are dropped, and then counted in one line. */
const LOG_BACKLOG_BYTES = 1024 * 1024;

/**
 * A writer for a long-running command's log (the hub's connect/disconnect lines). When nobody reads
 * standard output (`relayscope hub | slow-reader`), Node would buffer every line in memory; this
 * keeps at most LOG_BACKLOG_BYTES and says how many lines it dropped once the reader catches up.
 */
export function boundedLogWriter(stream: NodeJS.WritableStream & { writableLength: number } = process.stdout): (line: string) => void {
  let dropped = 0;
  return (line) => {
    if (stream.writableLength > LOG_BACKLOG_BYTES) {
      dropped++;
      return;
    }
    if (dropped > 0) {
      stream.write(`(${dropped} log lines dropped: standard output was not being read)\n`);
      dropped = 0;
    }
    stream.write(line);
  };
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
