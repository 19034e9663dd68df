/** The CLI's standard streams and signals. */

/** Writes to standard output; once its reader is gone (EPIPE) the data is dropped, see stopOnBrokenPipe. */
export function writeOut(data: string | Uint8Array): void {
  if (process.stdout.writable) process.stdout.write(data);
}

/** Writes one "relayscope: ..." line to standard error. */
export function note(message: string): void {
  if (process.stderr.writable) process.stderr.write(`relayscope: ${oneLine(message)}\n`);
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
    if (!stream.writable) return;
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

/** Called when the command should stop: a signal, or standard output's reader went away. */
const stopRequests = new Set<(reason: NodeJS.Signals) => void>();
/** Set by the first stop: later broken-pipe errors must not cut the shutdown short. */
let shuttingDown = false;

function requestStop(reason: NodeJS.Signals): void {
  shuttingDown = true;
  for (const stop of stopRequests) stop(reason);
}

/**
 * A reader that went away (`relayscope monitor | head`, or `tee` killed by the same Ctrl-C) stops the
 * command the way SIGINT does: a hub still closes its listeners and removes its socket file. Exiting
 * on the spot, as Node would with the error unhandled, would leave the socket file behind. Output
 * written afterwards is dropped (writeOut checks `writable`); a command with nothing to shut down
 * ends at once, exit code 0.
 */
export function stopOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && stream === process.stdout) note(`cannot write to standard output: ${err.message}`);
      if (shuttingDown) return;
      if (stopRequests.size === 0) process.exit(err.code === 'EPIPE' ? 0 : 1);
      requestStop('SIGPIPE');
    });
  }
}

/** Reads standard input to its end, as bytes. */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Resolves on the first SIGINT, SIGTERM or SIGHUP, or with 'SIGPIPE' when standard output's reader
 * goes away, so the caller can shut down cleanly. A second signal means the user does not want to
 * wait for that: exit at once.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let signalled = false;
    stopRequests.add(resolve);
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        note(`${signal} again: exiting without finishing the shutdown`);
        process.exit(1);
      }
      signalled = true;
      requestStop(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // A closed terminal sends SIGHUP; its default action would leave the socket file behind.
    process.on('SIGHUP', onSignal);
  });
}
