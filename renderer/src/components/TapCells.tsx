import type { WireTapChunk } from '@contract';
import { formatCount } from '../format/numberFormat';
import { previewText } from '../format/previewText';
import { httpSummary, tapByteRange, tapDirection } from '../format/tapChunkText';
import { decodeUtf8 } from '../format/utf8';
import type { TrafficRow } from '../state/trafficRows';
import './tap.css';

/** The kind cell of a tapped chunk: which way it went, instead of "unicast" (which is what the hub calls every copy). */
export function TapKind({ tap }: { tap: WireTapChunk }) {
  const direction = tapDirection(tap);
  return (
    <span className="tap-direction" data-testid="row-tap-direction" title={`Tapped: ${direction.long}`}>
      {direction.short}
    </span>
  );
}

/** The preview cell of a tapped chunk: its offset in the stream, then an HTTP message's first line or the bytes. */
export function TapPreview({ row, tap }: { row: TrafficRow; tap: WireTapChunk }) {
  const summary = httpSummary(decodeUtf8(row.preview));
  return (
    <>
      <span className="muted" data-testid="row-tap-offset" title={`Where it sits in its direction's stream: ${tapByteRange(tap, row.size)}`}>
        @{formatCount(tap.offset)}{' '}
      </span>
      {summary !== null ? (
        <span className="strong" data-testid="row-http-summary">
          {summary}
        </span>
      ) : (
        previewText(row.preview)
      )}
      {tap.partial && (
        <span className="warn" title="A piece: longer than the display limit, or cut off by the end of the stream">
          {' '}
          (piece)
        </span>
      )}
    </>
  );
}
