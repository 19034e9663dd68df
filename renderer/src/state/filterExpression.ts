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
  if (spec.text !== '') terms.push(spec.regex ? `/${spec.text}/` : `"${spec.text.replace(/["\\]/g, '\\$&')}"`);
  return terms.join(' ');
}
