import { formatMicros, isoMicros } from '../format/timeFormat';
import type { FilterSpec } from './rowFilter';
import { ROW_KINDS } from './rowKinds';

/**
 * The filter bar's settings written in the capture filter language (electron/capture/captureFilter.ts,
 * docs/CAPTURE.md "Filters"), so an export writes what the table shows.
 */
export function filterExpression(spec: FilterSpec): string {
  const terms: string[] = [];
  // Between two modules, either way: each row names both, so mod:A mod:B (all terms must match).
  if (spec.module !== '' && (spec.peer ?? '') !== '') terms.push(`mod:${spec.module}`, `mod:${spec.peer}`);
  else if (spec.module !== '') terms.push(`${spec.moduleSide === 'source' ? 'src' : spec.moduleSide === 'destination' ? 'dst' : 'mod'}:${spec.module}`);
  if (spec.kinds.length < ROW_KINDS.length) terms.push(spec.kinds.length === 0 ? '-kind:' + ROW_KINDS.join(',') : `kind:${spec.kinds.join(',')}`);
  // The compiled spec (TrafficStore.filterSpec) holds the range resolved to ISO 8601, which a file reads the same.
  if ((spec.time ?? '') !== '') terms.push(`time:${spec.time}`);
  const payload = payloadExpression(spec);
  if (payload !== '') terms.push(payload);
  return terms.join(' ');
}

/**
 * The text, regex and field terms alone: what the backend's whole-payload search takes. Case-sensitive
 * text and regexes are written as regexes with the u flag, which compare case wherever the
 * expression is read (an export, relayscope record --filter).
 */
export function payloadExpression(spec: FilterSpec): string {
  const terms: string[] = [];
  if (spec.text !== '') {
    if (spec.caseSensitive === true) terms.push(`/${spec.regex ? spec.text : spec.text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/u`);
    else terms.push(spec.regex ? `/${spec.text}/` : `"${spec.text.replace(/["\\]/g, '\\$&')}"`);
  }
  const fields = (spec.fields ?? '').trim();
  if (fields !== '') terms.push(fields);
  return terms.join(' ');
}

/**
 * A row's time as a bound of a `time:` range: the time of day the table shows (HH:MM:SS.uuuuuu)
 * when it falls on the anchor's day, which is what a time of day is read against, else ISO 8601.
 */
export function timeBoundText(micros: number, anchorMicros: number): string {
  return new Date(micros / 1000).toDateString() === new Date(anchorMicros / 1000).toDateString() ? formatMicros(micros) : isoMicros(micros);
}

/** The typed range with one end replaced: "from" sets START, "to" sets END. */
export function withTimeBound(range: string, end: 'from' | 'to', bound: string): string {
  const dots = range.indexOf('..');
  const [from, to] = dots < 0 ? [range.trim(), ''] : [range.slice(0, dots).trim(), range.slice(dots + 2).trim()];
  return end === 'from' ? `${bound}..${to}` : `${from}..${bound}`;
}
