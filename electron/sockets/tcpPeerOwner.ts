import { promises as fsp } from 'node:fs';
import { type PeerProcess, peerProcess } from './peerProcess';

/**
 * Who owns the other end of a loopback TCP connection, as far as /proc tells: the socket's uid
 * from /proc/net/tcp(6), and the process holding it from /proc/PID/fd. Each field absent when unknown.
 */
export interface TcpPeerOwner {
  uid?: number;
  pid?: number;
  /** The effective gid of that process, from /proc/PID/status. */
  gid?: number;
  process?: PeerProcess;
}

/** One end of a TCP connection as Node reports it (socket.remoteAddress/remotePort, localAddress/localPort). */
export interface TcpEnd {
  address: string;
  port: number;
}

/** What one lookup may cost; past any of them it stops with what it found. */
export interface TcpLookupLimits {
  /** Processes whose descriptors are read. */
  processes: number;
  /** Descriptor links read in all. */
  descriptors: number;
  /** Wall time of the descriptor scan. */
  ms: number;
  /** Descriptor scans running at once in this process; a connection over it gets the uid only. */
  concurrent: number;
}

export const TCP_LOOKUP_LIMITS: TcpLookupLimits = { processes: 4096, descriptors: 65_536, ms: 1000, concurrent: 4 };

let scansRunning = 0;

/**
 * Best effort, asynchronous, once per accepted connection, in two steps. The table entry whose local
 * end is the peer's and whose remote end is ours gives the uid (filled into `owner`) and the
 * socket's inode, returned (null when there is no such entry). Never throws.
 */
export async function findTcpPeerSocket(peer: TcpEnd, local: TcpEnd, owner: TcpPeerOwner): Promise<number | null> {
  if (process.platform !== 'linux') return null;
  const entry = await findSocketEntry(peer, local);
  if (entry === null) return null;
  owner.uid = entry.uid;
  return entry.inode === 0 ? null : entry.inode;
}

/**
 * The second step: the process is the first (newest pid first) with a descriptor `socket:[inode]`,
 * among the processes of the socket's uid, read within `limits`; its pid, gid, exe and cmdline go into
 * `owner`. A hub that is not root sees the descriptors of its own user's processes only; a socket
 * shared by several processes (fork) names one of them. Never throws.
 */
export async function findTcpPeerProcess(inode: number, owner: TcpPeerOwner, limits: TcpLookupLimits = TCP_LOOKUP_LIMITS): Promise<void> {
  if (owner.uid === undefined || scansRunning >= limits.concurrent) return;
  scansRunning++;
  try {
    const pid = await findSocketHolder(inode, owner.uid, limits);
    if (pid === null) return;
    owner.pid = pid;
    const gid = await effectiveGid(pid);
    if (gid !== null) owner.gid = gid;
    owner.process = peerProcess(pid);
  } finally {
    scansRunning--;
  }
}

interface SocketEntry {
  uid: number;
  inode: number;
}

/** The line of /proc/net/tcp or tcp6 (format: proc_net_tcp.rst in the kernel's documentation) for the peer's end. */
async function findSocketEntry(peer: TcpEnd, local: TcpEnd): Promise<SocketEntry | null> {
  const want = { address: canonicalAddress(peer.address), port: peer.port, remoteAddress: canonicalAddress(local.address), remotePort: local.port };
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await fsp.readFile(table, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const here = decodeEndpoint(fields[1]);
      const there = decodeEndpoint(fields[2]);
      if (here === null || there === null || here.port !== want.port || there.port !== want.remotePort) continue;
      if (here.address !== want.address || there.address !== want.remoteAddress) continue;
      return { uid: Number(fields[7]), inode: Number(fields[9]) };
    }
  }
  return null;
}

async function findSocketHolder(inode: number, uid: number, limits: TcpLookupLimits): Promise<number | null> {
  const deadline = performance.now() + limits.ms;
  const target = `socket:[${inode}]`;
  let names: string[];
  try {
    names = await fsp.readdir('/proc');
  } catch {
    return null;
  }
  // Newest first: the program that just connected is more likely near the top.
  const pids = names
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => b - a);
  let descriptorsLeft = limits.descriptors;
  let processesLeft = limits.processes;
  for (const pid of pids) {
    if (processesLeft-- <= 0 || descriptorsLeft <= 0 || performance.now() > deadline) return null;
    try {
      if ((await fsp.stat(`/proc/${pid}`)).uid !== uid) continue;
      const fds = (await fsp.readdir(`/proc/${pid}/fd`)).slice(0, descriptorsLeft);
      descriptorsLeft -= fds.length;
      const links = await Promise.all(fds.map((fd) => fsp.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
      if (links.includes(target)) return pid;
    } catch {
      // Gone, or another user's process the hub may not look into.
    }
  }
  return null;
}

async function effectiveGid(pid: number): Promise<number | null> {
  try {
    const status = await fsp.readFile(`/proc/${pid}/status`, 'latin1');
    // "Gid:\treal\teffective\tsaved\tfs"
    const match = /^Gid:\s+\d+\s+(\d+)/m.exec(status);
    return match === null ? null : Number(match[1]);
  } catch {
    return null;
  }
}

/** "0100007F:1F90" (IPv4) or 32 hex digits and a port (IPv6): each 32-bit word in the host's byte order, which is little-endian on the machines Relayscope runs on. */
function decodeEndpoint(text: string): TcpEnd | null {
  const colon = text.indexOf(':');
  if (colon !== 8 && colon !== 32) return null;
  const bytes: number[] = [];
  for (let word = 0; word < colon; word += 8) {
    const value = Number.parseInt(text.slice(word, word + 8), 16);
    bytes.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24);
  }
  return { address: canonicalBytes(bytes), port: Number.parseInt(text.slice(colon + 1), 16) };
}

/** An address as Node writes it, in the form decodeEndpoint gives: dotted IPv4 (also for ::ffff:a.b.c.d), else eight full hex groups. */
export function canonicalAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1];
  if (!address.includes(':')) return address;
  const [head, tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((group) => Number.parseInt(group, 16).toString(16)).join(':');
}

function canonicalBytes(bytes: number[]): string {
  if (bytes.length === 4) return bytes.join('.');
  const mapped = bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(':');
}
