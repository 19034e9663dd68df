import type { CommandSpec, FlagSpec } from './args';

const socketFlag: FlagSpec = {
  type: 'string',
  valueName: 'S',
  description:
    'hub address: a socket path, @name (Linux abstract socket) or tcp://HOST:PORT; default $RELAYSCOPE_SOCKET, else $XDG_RUNTIME_DIR/relayscope.sock, else /tmp/relayscope-$UID/relayscope.sock',
};
const tokenFlag: FlagSpec = { type: 'string', valueName: 'T', description: 'token the hub requires (default $RELAYSCOPE_TOKEN); other users can read it with ps, so prefer --token-file' };
const tokenFileFlag: FlagSpec = {
  type: 'string',
  valueName: 'FILE',
  description: 'read the token from FILE (its content without the final line break); the file must be readable by you alone (chmod 600)',
};
const helpFlag: FlagSpec = { type: 'boolean', description: 'show this help' };
const asFlag: FlagSpec = { type: 'string', valueName: 'ID', description: 'module ID to register as (required)' };
const toFlag: FlagSpec = { type: 'string', valueName: 'DEST', description: 'module ID to send to (required)' };
const hexFlag: FlagSpec = { type: 'boolean', description: 'PAYLOAD (or standard input) is hex digits, two per byte, spaces and line breaks ignored: any bytes on one line' };
const payloadPositional = {
  name: 'PAYLOAD',
  description: 'the message; when omitted, standard input is read to its end (binary-safe). Put "--" before a payload that starts with "-".',
};

/** The flags that configure a hub, shared by `hub`, `serve` and the desktop app. */
export const hubFlags: Record<string, FlagSpec> = {
  socket: { type: 'string', multiple: true, valueName: 'S', description: 'listen on a socket path or @name; repeatable (default: the default socket, unless --tcp is given)' },
  tcp: { type: 'string', valueName: 'HOST:PORT', description: 'also listen on TCP; a non-loopback host requires a token' },
  'max-connections': { type: 'string', valueName: 'N', description: 'connections accepted at once (default 1024)' },
  'max-frame': { type: 'string', valueName: 'BYTES', description: 'largest message payload (default 16777216)' },
  'queue-bytes': { type: 'string', valueName: 'N', description: 'bytes queued towards one connection before the slow-consumer policy applies (default 8388608)' },
  'idle-timeout': { type: 'string', valueName: 'MS', description: 'close connections silent this long, 0 to never (default 30000)' },
  'handshake-timeout': { type: 'string', valueName: 'MS', description: 'close connections that have not sent HELLO this long after connecting (default 10000)' },
  'memory-budget': {
    type: 'string',
    valueName: 'BYTES',
    description: 'bytes the hub may hold for all connections together (partial frames, queued output); beyond it the largest holders are disconnected (default 1/8 of memory, 64 MiB to 1 GiB)',
  },
  'takeover-probe': { type: 'string', valueName: 'MS', description: 'how long a TAKEOVER waits for the current holder of the ID to answer (default 1000)' },
  mode: { type: 'string', valueName: 'OCTAL', description: 'file mode of socket paths (default 600: only you may connect)' },
  token: { type: 'string', valueName: 'T', description: 'require this token in HELLO (default $RELAYSCOPE_TOKEN); other users can read it with ps, so prefer --token-file' },
  'token-file': tokenFileFlag,
  'slow-consumer': { type: 'string', valueName: 'disconnect|drop', description: 'what happens to a module whose queue is full (default disconnect)' },
  tap: {
    type: 'string',
    multiple: true,
    valueName: 'LISTEN=UPSTREAM',
    description:
      'pass every connection made to LISTEN on to the server at UPSTREAM, unchanged both ways, and show both directions as messages (each connection and the server a module); each a path, @name or loopback tcp://HOST:PORT; ",framing=F" at the end sets its framing; repeatable (docs/PROTOCOL.md 15)',
  },
  'tap-in-place': {
    type: 'string',
    multiple: true,
    valueName: 'PATH',
    description:
      'tap the live server listening on the socket file PATH where it is: its socket is moved aside beside it, the tap listens at PATH with the same owner and mode, and exit (SIGINT/SIGTERM) puts it back; after a kill, relayscope tap --restore PATH does; ",framing=F" at the end sets its framing; repeatable',
  },
  'tap-framing': {
    type: 'string',
    valueName: 'raw|lines|u32be|http',
    description: 'how taps cut their bytes into messages for the view (default raw: each read is one message); the bytes passed on are never changed',
  },
  'allow-uid': {
    type: 'string',
    multiple: true,
    valueName: 'LIST',
    description: "admit only these users (uids or names from /etc/passwd, comma-separated; repeatable) and the hub's own; any other peer is refused with NOT_PERMITTED before HELLO (docs/SECURITY.md)",
  },
  'allow-gid': { type: 'string', multiple: true, valueName: 'LIST', description: 'also admit peers whose gid is one of these (gids or names from /etc/group, comma-separated; repeatable)' },
  owner: { type: 'string', multiple: true, valueName: 'ID=USER', description: 'only USER (a uid or name) may register module ID; repeatable (docs/PROTOCOL.md 14.4)' },
  nats: {
    type: 'string',
    valueName: 'URL',
    description: 'join a bus of hubs through the NATS server at URL (nats://HOST:PORT, comma-separated for several): modules of every hub on the bus reach each other by ID (docs/FEDERATION.md)',
  },
  bus: { type: 'string', valueName: 'NAME', description: 'the bus to join on that server (default "default")' },
  'hub-name': { type: 'string', valueName: 'NAME', description: "this hub's name on the bus, unique there (default: host name and process ID)" },
  'nats-creds': { type: 'string', valueName: 'FILE', description: 'a NATS credentials file (JWT and NKey seed) for the server' },
  'nats-token': { type: 'string', valueName: 'T', description: 'a token the NATS server requires' },
  plain: {
    type: 'string',
    multiple: true,
    valueName: 'FRAMING=ADDRESS',
    description:
      'also listen for programs that speak no Relayscope protocol, each connection a module; FRAMING id-byte (the classic relay: ID byte + data byte) or line (text lines, "@ID text" to one module); ADDRESS a path, @name or loopback tcp://HOST:PORT; repeatable (docs/PROTOCOL.md 14)',
  },
};

/** What `serve` and the desktop app show instead of a hub of their own, and --record (electron/serve/backendTarget.ts). */
const backendTargetFlags: Record<string, FlagSpec> = {
  attach: { type: 'string', valueName: 'S', description: 'run no hub: attach as a monitor to the hub already running on S (a path, @name or tcp://HOST:PORT)' },
  open: { type: 'string', valueName: 'FILE', description: 'run no hub: show the recording FILE (.mcap, .pcapng or .jsonl) in the offline view' },
  record: { type: 'string', valueName: 'FILE', description: 'record every message and event to FILE (MCAP) from the start, as the Record button does; exit completes it' },
};

/** The desktop app's flags (electron/shell/appOptions.ts): serve's, less its web server's. */
export const APP_FLAGS: Record<string, FlagSpec> = { ...hubFlags, ...backendTargetFlags };

export const COMMAND_SPECS: readonly CommandSpec[] = [
  {
    name: 'hub',
    summary: 'run a relay hub until SIGINT/SIGTERM',
    synopsis: '[--socket S]... [--tcp HOST:PORT] [options]',
    flags: {
      ...hubFlags,
      record: { type: 'string', valueName: 'FILE', description: 'record every message and event to FILE (MCAP, docs/CAPTURE.md), written in this process; completed on exit' },
      help: helpFlag,
    },
    notes: ['Prints one line per listening address, then a timestamped line per connect and disconnect.'],
  },
  {
    name: 'send',
    summary: 'send one message to a module',
    synopsis: '--as ID --to DEST [PAYLOAD]',
    positional: payloadPositional,
    flags: { as: asFlag, to: toFlag, hex: hexFlag, socket: socketFlag, token: tokenFlag, 'token-file': tokenFileFlag, help: helpFlag },
    notes: ['Exits 0 once the hub has taken the message, 1 when it refuses it (e.g. no such module).'],
  },
  {
    name: 'broadcast',
    summary: 'send one message to every other module',
    synopsis: '--as ID [PAYLOAD]',
    positional: payloadPositional,
    flags: { as: asFlag, hex: hexFlag, socket: socketFlag, token: tokenFlag, 'token-file': tokenFileFlag, help: helpFlag },
  },
  {
    name: 'request',
    summary: 'send a request and print the reply',
    synopsis: '--as ID --to DEST [PAYLOAD] [--timeout MS]',
    positional: payloadPositional,
    flags: {
      as: asFlag,
      to: toFlag,
      hex: hexFlag,
      timeout: { type: 'string', valueName: 'MS', description: 'how long to wait for the reply (default 5000)' },
      format: { type: 'string', valueName: 'text|hex|json', description: 'how to print the reply (default text: the payload itself)' },
      socket: socketFlag,
      token: tokenFlag,
      'token-file': tokenFileFlag,
      help: helpFlag,
    },
  },
  {
    name: 'listen',
    summary: 'register a module and print the messages it receives',
    synopsis: '--as ID [--count N] [--format text|hex|json] [--reply TEXT | --echo]',
    flags: {
      as: asFlag,
      count: { type: 'string', valueName: 'N', description: 'exit after N messages (default: run until killed)' },
      format: { type: 'string', valueName: 'text|hex|json', description: 'text: "SOURCE: payload" with unprintable bytes escaped; hex: the bytes in hex; json: one object per line' },
      reply: { type: 'string', valueName: 'TEXT', description: 'answer every request with TEXT' },
      echo: { type: 'boolean', description: 'answer every request with its own payload' },
      socket: socketFlag,
      token: tokenFlag,
      'token-file': tokenFileFlag,
      help: helpFlag,
    },
    notes: ['Keeps reconnecting when the hub goes away; notes about the connection go to standard error.'],
  },
  {
    name: 'monitor',
    summary: 'print every message relayed and every hub event',
    synopsis: '[--format text|json]',
    flags: {
      format: {
        type: 'string',
        valueName: 'text|json',
        description:
          'text: "TIME SRC -> DST kind size preview" (* is a broadcast; a tapped chunk has "to-upstream offset N" or "to-client offset N" for its kind, and "partial" after the size of a piece); json: one object per line, a tapped chunk\'s with tap: {direction, offset, partial}',
      },
      socket: socketFlag,
      token: tokenFlag,
      'token-file': tokenFileFlag,
      help: helpFlag,
    },
  },
  {
    name: 'list',
    summary: 'show the connected modules and their statistics',
    synopsis: '[--format text|json]',
    flags: {
      format: { type: 'string', valueName: 'text|json', description: 'text: a table and a totals line; json: the hub snapshot' },
      socket: socketFlag,
      token: tokenFlag,
      'token-file': tokenFileFlag,
      help: helpFlag,
    },
    notes: [
      "Counts are from each module's side: SENT and BYTES SENT are what the module sent to the hub, RECEIVED and BYTES RECEIVED what the hub delivered to it (a module that received one message shows RECEIVED 1). ERRORS counts the ERROR frames the hub sent it; DROPS the messages to it the hub discarded because its queue was full (--slow-consumer drop); QUEUED the bytes waiting to be written to it.",
      "The JSON snapshot keeps the hub's side: messagesIn is what the module sent, messagesOut what it received.",
    ],
  },
  {
    name: 'record',
    summary: 'record every relayed message and hub event to a capture file (MCAP, pcapng or JSON Lines)',
    synopsis: '--output FILE [--count N] [--seconds T] [--filter EXPR]',
    flags: {
      output: {
        type: 'string',
        valueName: 'FILE',
        description: 'the capture to write; its extension picks the format: .mcap (docs/CAPTURE.md), .pcapng (Wireshark) or .jsonl; an existing file is replaced',
      },
      count: { type: 'string', valueName: 'N', description: 'stop after N messages (events are not counted)' },
      seconds: { type: 'string', valueName: 'T', description: 'stop after T seconds' },
      filter: { type: 'string', valueName: 'EXPR', description: 'record only what matches, e.g. \'mod:A kind:request,reply "error"\' (docs/CAPTURE.md, Filters)' },
      socket: socketFlag,
      token: tokenFlag,
      'token-file': tokenFileFlag,
      help: helpFlag,
    },
    notes: ['Stops on SIGINT/SIGTERM too, and always closes the file properly; then prints how many messages and events it wrote and how many copies it missed.'],
  },
  {
    name: 'replay',
    summary: 'inject the messages of a capture file into a live hub',
    synopsis: 'FILE [--speed X | --fast] [--filter EXPR] [--as-recorded | --as ID]',
    positional: { name: 'FILE', description: 'a capture: .mcap (from record or hub --record), .pcapng or .jsonl (from convert)' },
    flags: {
      speed: { type: 'string', valueName: 'X', description: 'play X times as fast as recorded (default 1: the recorded gaps)' },
      fast: { type: 'boolean', description: 'no gaps: as fast as the hub answers' },
      filter: { type: 'string', valueName: 'EXPR', description: 'replay only the messages that match (docs/CAPTURE.md, Filters)' },
      'as-recorded': { type: 'boolean', description: 'each message from its recorded source (the default)' },
      as: { type: 'string', valueName: 'ID', description: 'every message from ID instead' },
      socket: socketFlag,
      token: tokenFlag,
      'token-file': tokenFileFlag,
      help: helpFlag,
    },
    notes: ['Each message goes to its recorded destination; prints how many were delivered and, by reason, which failed (e.g. NO_SUCH_MODULE). Exits 1 when any failed.'],
  },
  {
    name: 'convert',
    summary: 'convert a capture file between MCAP, pcapng (Wireshark) and JSON Lines',
    synopsis: 'IN OUT [--filter EXPR]',
    positional: { name: 'IN OUT', description: "the capture to read and the file to write; each file's extension (.mcap, .pcapng, .jsonl) sets its format", count: 2 },
    flags: {
      filter: { type: 'string', valueName: 'EXPR', description: 'write only what matches (docs/CAPTURE.md, Filters)' },
      help: helpFlag,
    },
    notes: [
      'OUT is replaced only once the whole capture is written; prints how many messages and events it wrote.',
      'Open a .pcapng in Wireshark with the dissector in wireshark/relayscope.lua: tshark -X lua_script:wireshark/relayscope.lua -r OUT.pcapng (docs/CAPTURE.md, Export formats).',
    ],
  },
  {
    name: 'serve',
    summary: 'run a hub (or attach to one) and show the monitor UI in a browser',
    synopsis: '[hub flags] [--port P] [--page-token-file FILE] | --attach S [--token-file FILE] [--port P] [--page-token-file FILE]',
    flags: {
      ...hubFlags,
      port: { type: 'string', valueName: 'P', description: 'HTTP port on 127.0.0.1 (default: one the system picks)' },
      'page-token-file': {
        type: 'string',
        valueName: 'FILE',
        description: "keep the page's token in FILE (created, mode 600, when missing): with the same --port a restart keeps the URL, so bookmarks and open tabs still work",
      },
      ...backendTargetFlags,
      help: helpFlag,
    },
    notes: [
      'Prints "relayscope serve: open http://127.0.0.1:PORT/#token=TOKEN": open that URL; the token (kept in the page, never in a cookie) keeps other web pages and users away from the bus.',
      "The token is new on every start unless --page-token-file FILE keeps it. --token-file is a hub token (the one the served hub requires, or the one --attach presents), not the page's.",
      'Serves the built UI from dist/renderer (npx vite build). SIGINT/SIGTERM stop it and the hub it runs.',
    ],
  },
  {
    name: 'tap',
    summary: 'put a tap in front of a Unix-socket server and print its traffic both ways',
    synopsis: 'UPSTREAM [--listen PATH | --in-place] [--record FILE] [--tap-framing raw|lines|u32be|http] | --restore PATH',
    positional: { name: 'UPSTREAM', description: "the server's address: a socket path, @name or tcp://127.0.0.1:PORT" },
    flags: {
      listen: { type: 'string', valueName: 'PATH', description: 'where clients connect instead of UPSTREAM (default: tap-NAME.sock in the private socket directory, printed at start)' },
      'in-place': {
        type: 'boolean',
        description:
          "take over UPSTREAM's own path: its socket is moved aside beside it, the tap listens there with the same owner and mode, and exit puts it back; clients already connected are not touched",
      },
      restore: {
        type: 'string',
        valueName: 'PATH',
        description: 'put back the socket a killed --in-place tap of PATH left aside (checks that the tap is gone and the server still listens)',
      },
      record: { type: 'string', valueName: 'FILE', description: 'record every chunk and event to FILE (MCAP, docs/CAPTURE.md); completed on exit' },
      'tap-framing': { type: 'string', valueName: 'raw|lines|u32be|http', description: 'how each direction is cut into messages for the view (default raw); the bytes passed on are never changed' },
      format: { type: 'string', valueName: 'text|json', description: 'how the traffic is printed, as by relayscope monitor (default text)' },
      socket: { type: 'string', valueName: 'S', description: "the tap's hub, for relayscope serve --attach and monitor (default: tap-PID.sock in the private socket directory)" },
      help: helpFlag,
    },
    notes: [
      'Prints "relayscope tap: point clients at PATH" once it listens, then a line per chunk in either direction and per connect and disconnect. SIGINT/SIGTERM close the tap (and the connections through it) and put an in-place socket back.',
      'Taking over a socket of another user needs root: the tap socket is given the same owner. A tap killed with SIGKILL cannot put the socket back; a later tap then refuses and names the command: relayscope tap --restore PATH.',
    ],
  },
  {
    name: 'socket',
    summary: 'print the default hub address, the one every command uses without --socket',
    synopsis: '',
    flags: { help: helpFlag },
    notes: ['It is $RELAYSCOPE_SOCKET when set, else $XDG_RUNTIME_DIR/relayscope.sock, else /tmp/relayscope-$UID/relayscope.sock; e.g. relayscope serve --attach "$(relayscope socket)".'],
  },
  {
    name: 'completion',
    summary: 'print a shell completion script for bash or zsh',
    synopsis: 'bash|zsh',
    positional: { name: 'SHELL', description: 'bash or zsh', choices: ['bash', 'zsh'] },
    flags: { help: helpFlag },
    notes: ['Load it in the running shell with: source <(relayscope completion bash). To keep it, add that line to ~/.bashrc (or the zsh one to ~/.zshrc, after compinit).'],
  },
];

export function findCommandSpec(name: string): CommandSpec | undefined {
  return COMMAND_SPECS.find((spec) => spec.name === name);
}
