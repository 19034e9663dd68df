import type { WireModule } from '@contract';
import { shellQuote } from '../format/shellQuote';
import { formatDuration } from '../format/timeFormat';

/** What the hub could not read, said the same way everywhere a field is missing. */
const UNKNOWN = 'unknown';

/** The last part of an executable's path: what the table has room for. */
export function exeName(exe: string): string {
  return exe.slice(exe.lastIndexOf('/') + 1) || exe;
}

/** "1000 (alice)", "1000" when the name is not known here, "unknown" when the hub could not read it. */
export function userText(module: WireModule): string {
  if (module.uid === undefined) return UNKNOWN;
  return module.user !== undefined ? `${module.uid} (${module.user})` : String(module.uid);
}

/** A module of another hub of the bus, when this hub is federated. */
export function isRemote(module: WireModule | null, localHub: string | null): boolean {
  return module?.hub !== undefined && localHub !== null && module.hub !== localHub;
}

/** Why a module has no process to show: the kinds of module for which the hub cannot know one. */
function whyNoProcess(module: WireModule, localHub: string | null): string {
  if (isRemote(module, localHub)) return `it is connected to hub ${module.hub}, which knows its process`;
  if (module.tap === 'upstream') return 'the hub connected to this server; the kernel tells who connects, not who accepts';
  if (module.transport === 'stream') return 'it runs inside the hub process';
  if (module.transport === 'tcp') return 'no process on this machine owns its TCP connection, or /proc did not say';
  return "the hub could not read its credentials (native helper not built) or its /proc entry (another user's process)";
}

/** The process cell: "socat 4123" and the user; the tooltip has the full path and arguments. */
export function ModuleProcess({ module, localHub }: { module: WireModule | null; localHub: string | null }) {
  if (module === null) return <span className="muted">—</span>;
  if (module.pid === undefined && module.exe === undefined) {
    return (
      <span className="muted" data-testid="module-process" title={`process unknown: ${whyNoProcess(module, localHub)}`}>
        {UNKNOWN}
      </span>
    );
  }
  return (
    <span data-testid="module-process" title={describeModuleProcess(module)}>
      {module.exe !== undefined ? exeName(module.exe) : UNKNOWN}
      {module.pid !== undefined && <span className="muted"> {module.pid}</span>}
      <span className="muted"> · {module.user ?? (module.uid !== undefined ? `uid ${module.uid}` : `uid ${UNKNOWN}`)}</span>
    </span>
  );
}

/**
 * The badge after a module's ID: the framing of a program that speaks no Relayscope protocol
 * (id-byte, line) or a tap's side, so a person sees at once which rows are not Relayscope modules.
 */
export function FramingBadge({ module }: { module: WireModule | null }) {
  if (module === null) return null;
  if (module.tap !== undefined) {
    const title =
      module.tap === 'client'
        ? `A program connected to a tap${module.tapUpstream !== undefined ? ` and passed on to ${module.tapUpstream}` : ''}: every chunk it writes or reads is a row`
        : 'The server a tap passes its clients on to';
    return (
      <span className="framing-badge tap" data-testid="framing-badge" title={title}>
        {module.tap === 'client' ? `tap → ${module.tapUpstream ?? UNKNOWN}` : 'tap upstream'}
      </span>
    );
  }
  if (module.framing === undefined) return null;
  const title =
    module.framing === 'id-byte'
      ? 'A classic relay client on a --plain id-byte listener: destination ID byte + data byte (PROTOCOL.md 14)'
      : 'A text program on a --plain line listener: one message per line, "@ID text" for one module (PROTOCOL.md 14)';
  return (
    <span className={`framing-badge ${module.framing}`} data-testid="framing-badge" title={title}>
      {module.framing}
    </span>
  );
}

/** The module's hub on a federated bus; a remote one is marked so. */
export function HubCell({ module, localHub }: { module: WireModule | null; localHub: string | null }) {
  if (module?.hub === undefined) return <span className="muted">—</span>;
  const remote = isRemote(module, localHub);
  return (
    <span data-testid="module-hub" data-remote={remote} title={remote ? `Connected to hub ${module.hub}; this hub forwards its messages over NATS` : 'Connected to this hub'}>
      {module.hub}
      {remote && <span className="framing-badge remote"> remote</span>}
    </span>
  );
}

/** Who the module is, as far as the hub knows, in one line: for tooltips and the kick question. */
export function describeModuleProcess(module: WireModule | null): string {
  if (module === null) return 'no details from the hub yet';
  const parts = [module.transport];
  if (module.peer !== undefined) parts.push(module.peer);
  parts.push(`pid ${module.pid ?? UNKNOWN}`, `uid ${userText(module)}`);
  if (module.gid !== undefined) parts.push(`gid ${module.gid}`);
  if (module.exe !== undefined) parts.push(module.exe);
  if (module.cmdline !== undefined) parts.push(`args: ${module.cmdline.join(' ')}`);
  return parts.join(', ');
}

/** Everything the hub knows of one module, opened under its row in the modules panel. */
export function ModuleDetail({ module, localHub, now }: { module: WireModule; localHub: string | null; now: number }) {
  const facts: [string, string][] = [
    ['listener', module.listener],
    ['transport', `${module.transport}${module.peer !== undefined ? ` ${module.peer}` : ''}`],
    ['pid', module.pid !== undefined ? String(module.pid) : UNKNOWN],
    ['uid', userText(module)],
    ['gid', module.gid !== undefined ? String(module.gid) : UNKNOWN],
    ['executable', module.exe ?? UNKNOWN],
    ['arguments', module.cmdline !== undefined ? module.cmdline.map(shellQuote).join(' ') : UNKNOWN],
    ['speaks', module.framing !== undefined ? `${module.framing} (a --plain listener)` : module.tap !== undefined ? 'whatever it speaks: a tapped connection' : 'the Relayscope protocol'],
  ];
  if (module.pid === undefined && module.exe === undefined) facts.splice(2, 0, ['process', `${UNKNOWN}: ${whyNoProcess(module, localHub)}`]);
  if (module.tap === 'client') facts.push(['passed on to', module.tapUpstream ?? UNKNOWN]);
  if (module.hub !== undefined) facts.push(['hub', `${module.hub}${isRemote(module, localHub) ? ' (remote)' : ' (this hub)'}`]);
  facts.push(['connected', `${new Date(module.connectedAt).toLocaleString()} (${formatDuration(now - module.connectedAt)})`]);
  return (
    <dl className="module-detail mono" data-testid="module-detail">
      {facts.map(([name, value]) => (
        <div key={name} className={value === UNKNOWN ? 'unknown' : undefined}>
          <dt>{name}</dt>
          <dd data-fact={name}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
