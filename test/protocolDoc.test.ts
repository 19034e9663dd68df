/**
 * Keeps docs/PROTOCOL.md honest: every `Example: NAME {json}` line followed by a ```hex block must be
 * a real frame, as the hub's own decoder and parsers read it, and every frame type and error code
 * in protocol.ts must be named in the document.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_PAYLOAD,
  decodeFrames,
  ErrorCode,
  FrameDecoder,
  FrameType,
  HelloFlag,
  HubEventCode,
  LENGTH_PREFIX_BYTES,
  maxFrameLength,
  MessageKind,
  parseBye,
  parseCorrelationOnly,
  parseError,
  parseEvent,
  parseHello,
  parseInject,
  parseKick,
  parseListReply,
  parseMessage,
  parsePresence,
  parseStatsReply,
  parseSubscribePresence,
  parseTraffic,
  parseTrafficRun,
  parseWelcome,
  PresenceEvent,
  RelayHub,
  TrafficFlag,
} from '../electron/hub';

const DOC_PATH = path.join(__dirname, '..', 'docs', 'PROTOCOL.md');
const doc = fs.readFileSync(DOC_PATH, 'utf8');
const lines = doc.split('\n');

interface DocExample {
  /** 1-based line of the `Example:` line, for failure messages. */
  line: number;
  name: string;
  fields: unknown;
  bytes: Buffer;
}

/** `{...}` for most frames; TRAFFIC_RUN's parser returns an array, one entry per message. */
const EXAMPLE_LINE = /^Example: ([A-Z_]+) (\{.*\}|\[.*\])\s*$/;

/** Every `Example:` line immediately followed by a ```hex block. */
function findExamples(): DocExample[] {
  const examples: DocExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = EXAMPLE_LINE.exec(lines[i]);
    if (match === null || lines[i + 1]?.trim() !== '```hex') continue;
    const hexLines: string[] = [];
    let j = i + 2;
    while (j < lines.length && lines[j].trim() !== '```') hexLines.push(lines[j++]);
    if (j >= lines.length) throw new Error(`the hex block after line ${i + 1} is never closed`);
    const hex = hexLines.join('').replace(/\s+/g, '');
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw new Error(`the hex block after line ${i + 1} is not whole bytes of hex`);
    examples.push({ line: i + 1, name: match[1], fields: JSON.parse(match[2]) as unknown, bytes: Buffer.from(hex, 'hex') });
    i = j;
  }
  return examples;
}

type Parser = (buf: Buffer, start: number, end: number) => unknown;

/** The parser for each frame type, returning the fields an Example line documents. */
const PARSERS: Record<keyof typeof FrameType, Parser> = {
  HELLO: parseHello,
  WELCOME: parseWelcome,
  ERROR: parseError,
  // PING and PONG have no parser: their whole body is the field.
  PING: (buf, start, end) => ({ body: buf.subarray(start, end) }),
  PONG: (buf, start, end) => ({ body: buf.subarray(start, end) }),
  BYE: parseBye,
  OK: (buf, start, end) => ({ correlationId: parseCorrelationOnly(buf, start, end, 'OK') }),
  MESSAGE: parseMessage,
  LIST: (buf, start, end) => ({ correlationId: parseCorrelationOnly(buf, start, end, 'LIST') }),
  LIST_REPLY: parseListReply,
  STATS: (buf, start, end) => ({ correlationId: parseCorrelationOnly(buf, start, end, 'STATS') }),
  STATS_REPLY: parseStatsReply,
  SUBSCRIBE_PRESENCE: parseSubscribePresence,
  PRESENCE: parsePresence,
  TRAFFIC: parseTraffic,
  EVENT: parseEvent,
  TRAFFIC_RUN: parseTrafficRun,
  INJECT: parseInject,
  KICK: parseKick,
};

/** Buffers become UTF-8 strings, the way the document writes payloads. */
function withTextPayloads(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return value.map(withTextPayloads);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withTextPayloads(v)]));
  }
  return value;
}

function mentions(word: string): boolean {
  return new RegExp(`\\b${word.replace(/[$]/g, '\\$&')}\\b`).test(doc);
}

const examples = findExamples();

describe('docs/PROTOCOL.md', () => {
  it('has at least 15 examples of an Example line followed by a hex block', () => {
    expect(examples.length).toBeGreaterThanOrEqual(15);
  });

  it('puts an Example line immediately before every hex block', () => {
    const orphans = lines.flatMap((line, i) => (line.trim() === '```hex' && !EXAMPLE_LINE.test(lines[i - 1] ?? '') ? [i + 1] : []));
    expect(orphans, `hex blocks without an Example line just above, at lines ${orphans.join(', ')}`).toEqual([]);
  });

  it('gives at least one example of every frame type', () => {
    const shown = new Set(examples.map((e) => e.name));
    expect(Object.keys(FrameType).filter((name) => !shown.has(name))).toEqual([]);
  });

  it('names every frame type of protocol.ts', () => {
    expect(Object.keys(FrameType).filter((name) => !mentions(name))).toEqual([]);
  });

  it('names every error code of protocol.ts', () => {
    expect(Object.keys(ErrorCode).filter((name) => !mentions(name))).toEqual([]);
  });

  it('lists every error code with its number in the error table', () => {
    const missing = Object.entries(ErrorCode).filter(([name, code]) => !new RegExp(`^\\| ${code} \\| ${name} \\|`, 'm').test(doc));
    expect(missing.map(([name]) => name)).toEqual([]);
  });

  it('names every HELLO flag, traffic flag, message kind, presence event and hub event code', () => {
    const names = [...Object.keys(HelloFlag), ...Object.keys(TrafficFlag), ...Object.keys(MessageKind), ...Object.keys(PresenceEvent), ...Object.keys(HubEventCode)];
    expect(names.filter((name) => !mentions(name))).toEqual([]);
  });

  describe('names every field of the STATS snapshot', () => {
    const hub = new RelayHub();
    afterAll(() => hub.close('test finished', 0));
    const snapshot = hub.snapshot();

    it('at the top level, in totals and in limits', () => {
      const fields = [...Object.keys(snapshot), ...Object.keys(snapshot.totals), ...Object.keys(snapshot.limits)];
      expect(fields.filter((field) => !doc.includes(`\`${field}\``))).toEqual([]);
    });

    it('in the module statistics', () => {
      const stats = ['messagesIn', 'bytesIn', 'messagesOut', 'bytesOut', 'errors', 'drops', 'queuedBytes', 'messagesInPerSecond', 'messagesOutPerSecond'];
      expect(stats.filter((field) => !doc.includes(`\`stats.${field}\``))).toEqual([]);
    });
  });

  it('names every field a federated hub adds to the STATS snapshot (section 16)', async () => {
    // Port 1 refuses: the hub is federated but not connected, which is enough to list the fields.
    const hub = new RelayHub({ federation: { url: 'nats://127.0.0.1:1', bus: 'doc', hubName: 'doc' } });
    try {
      const federation = hub.snapshot().federation;
      expect(federation).toBeDefined();
      const fields = ['federation', 'hub', ...Object.keys(federation ?? {})];
      expect(fields.filter((field) => !doc.includes(`\`${field}\``))).toEqual([]);
      expect(doc).toContain('`FederationStatus`');
    } finally {
      await hub.close('test finished', 0);
    }
  });

  it('shows STATS_REPLY examples whose JSON has the same fields as a real snapshot', () => {
    const hub = new RelayHub();
    const real = hub.snapshot();
    void hub.close('test finished', 0);
    const replies = examples.filter((e) => e.name === 'STATS_REPLY');
    expect(replies.length).toBeGreaterThan(0);
    for (const reply of replies) {
      const json = JSON.parse(String((reply.fields as { json: string }).json)) as typeof real;
      expect(Object.keys(json).sort()).toEqual(Object.keys(real).sort());
      expect(Object.keys(json.totals).sort()).toEqual(Object.keys(real.totals).sort());
      expect(json.limits).toEqual(real.limits);
    }
  });

  describe.each(examples.map((example, i) => ({ ...example, n: i + 1 })))('example $n, a $name frame at line $line,', (example) => {
    it('names a frame type of protocol.ts', () => {
      expect(Object.keys(FrameType)).toContain(example.name);
    });

    it('has a length prefix equal to the bytes that follow it', () => {
      expect(example.bytes.length).toBeGreaterThan(LENGTH_PREFIX_BYTES);
      expect(example.bytes.readUInt32BE(0)).toBe(example.bytes.length - LENGTH_PREFIX_BYTES);
    });

    it('decodes into exactly one frame of that type with nothing left over', () => {
      const decoder = new FrameDecoder(maxFrameLength(DEFAULT_MAX_PAYLOAD));
      const frames = decodeFrames(decoder, example.bytes);
      expect(frames).toHaveLength(1);
      expect(frames[0].type).toBe(FrameType[example.name as keyof typeof FrameType]);
      expect(decoder.bufferedBytes).toBe(0);
    });

    it('parses to the fields its Example line gives', () => {
      const parse = PARSERS[example.name as keyof typeof FrameType] as Parser | undefined;
      expect(parse, `this test has no parser for ${example.name}: add it to PARSERS`).toBeTypeOf('function');
      if (parse === undefined) return;
      const body = example.bytes.subarray(LENGTH_PREFIX_BYTES + 1);
      expect(withTextPayloads(parse(body, 0, body.length))).toEqual(example.fields);
    });
  });
});
