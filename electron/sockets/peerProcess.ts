import * as fs from 'node:fs';

/** What /proc tells of a peer process besides SO_PEERCRED's numbers; each field absent when unreadable. */
export interface PeerProcess {
  /** The executable, from the /proc/PID/exe link. */
  exe?: string;
  /** The arguments, from /proc/PID/cmdline, the last one ending in "…" when cut at CMDLINE_BYTES. */
  cmdline?: string[];
}

/** /proc/PID/cmdline can hold megabytes of arguments: a connection keeps at most this much of it. */
export const CMDLINE_BYTES = 4096;

/**
 * Best effort, read once at accept: the link and file are unreadable for another user's process
 * unless the hub runs as root (or with CAP_SYS_PTRACE), and gone for one that exited since it
 * connected. The pid is the one SO_PEERCRED recorded at connect(), which a process that exited
 * may have handed on, so this is what the kernel shows now under that pid.
 */
export function peerProcess(pid: number): PeerProcess {
  const found: PeerProcess = {};
  if (process.platform !== 'linux' || !Number.isInteger(pid) || pid <= 0) return found;
  try {
    found.exe = fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // Another user's process, or gone: left out.
  }
  const cmdline = readCmdline(pid);
  if (cmdline !== null) found.cmdline = cmdline;
  return found;
}

function readCmdline(pid: number): string[] | null {
  let fd: number;
  try {
    fd = fs.openSync(`/proc/${pid}/cmdline`, 'r');
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.alloc(CMDLINE_BYTES + 1);
    const length = fs.readSync(fd, buffer, 0, buffer.length, 0);
    // A kernel thread or a zombie has an empty cmdline: nothing to show.
    if (length === 0) return null;
    const cut = length > CMDLINE_BYTES;
    const text = buffer.toString('utf8', 0, Math.min(length, CMDLINE_BYTES));
    const args = (text.endsWith('\0') ? text.slice(0, -1) : text).split('\0');
    if (cut) args[args.length - 1] += '…';
    return args;
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}
