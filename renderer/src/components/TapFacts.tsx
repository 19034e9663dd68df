import { httpSummary, tapByteRange, tapDirection } from '../format/tapChunkText';
import { decodeUtf8 } from '../format/utf8';
import type { TrafficRow } from '../state/trafficRows';

/** Enough of a payload to find an HTTP message's first line in. */
const SUMMARY_SCAN_BYTES = 8192;

/**
 * The detail pane's lines about a chunk a tap passed on: which way it went, where it sits in that
 * direction's stream, and an HTTP message's request or status line. `bytes` is the payload as far
 * as fetched (the preview until the full payload arrives).
 */
export function TapFacts({ row, bytes }: { row: TrafficRow; bytes: Uint8Array }) {
  if (row.tap === undefined) return null;
  const direction = tapDirection(row.tap);
  const summary = httpSummary(decodeUtf8(bytes.subarray(0, SUMMARY_SCAN_BYTES)));
  return (
    <>
      <dt>tapped</dt>
      <dd data-testid="detail-tap-direction">{direction.long}</dd>
      <dt>stream</dt>
      <dd data-testid="detail-tap-bytes">
        {tapByteRange(row.tap, row.size)}
        {row.tap.partial ? ' · a piece: longer than the display limit, or cut off by the end of the stream' : ''}
      </dd>
      {summary !== null && (
        <>
          <dt>http</dt>
          <dd data-testid="detail-http-summary">{summary}</dd>
        </>
      )}
    </>
  );
}
