import { injectSourceProblem } from '@contract';
import { type EncodeResult, encodePayload, type PayloadEncoding } from '../format/payloadEncoding';
import { parseHex } from './hexInput';
import type { ComposerMode } from './sentHistory';

export const BROADCAST_TARGET = 'broadcast';
export const MAX_TIMEOUT_MS = 600_000;

export interface ComposerFields {
  target: string;
  source: string;
  encoding: PayloadEncoding;
  payload: string;
  mode: ComposerMode;
  timeoutText: string;
}

/** What is wrong with each field, null where nothing is; the composer shows each under its field and sends nothing while any is set. */
export interface ComposerProblems {
  target: string | null;
  source: string | null;
  payload: string | null;
  /** Where in the payload text the hex problem is (an index), so the composer can select it; null otherwise. */
  payloadAt: number | null;
  timeout: string | null;
}

/**
 * The composer's fields checked as they are typed. The source is checked with the hub's own rule
 * (injectSourceProblem, which the hub's INJECT and the bridge apply too), so what the composer
 * accepts the hub takes; a request always goes as the backend's own ID, so its source is not checked.
 */
export function checkComposer(fields: ComposerFields, encoded: EncodeResult = encodePayload(fields.payload, fields.encoding)): ComposerProblems {
  const request = fields.mode === 'request';
  const timeoutMs = Number(fields.timeoutText);
  return {
    target: request && fields.target === BROADCAST_TARGET ? 'a request goes to one module: choose a target' : null,
    source: request ? null : injectSourceProblem(fields.source.trim()),
    payload: encoded.ok ? null : encoded.error,
    payloadAt: hexProblemIndex(fields, encoded),
    timeout:
      request && (fields.timeoutText.trim() === '' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS)
        ? `timeout must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`
        : null,
  };
}

function hexProblemIndex(fields: ComposerFields, encoded: EncodeResult): number | null {
  if (encoded.ok || fields.encoding !== 'hex') return null;
  const parsed = parseHex(fields.payload);
  return parsed.ok ? null : parsed.problem.index;
}

export function firstProblem(problems: ComposerProblems): string | null {
  return problems.target ?? problems.source ?? problems.payload ?? problems.timeout;
}
