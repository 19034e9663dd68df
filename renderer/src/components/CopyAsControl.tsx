import { useMemo, useState } from 'react';
import { COPY_FORMAT_LABELS, COPY_FORMATS, type CopiedMessage, type CopyFormat, copyAs } from '../format/copyAs';

/** The preview shows this much of the text; copying takes all of it. */
const PREVIEW_CHARS = 2000;

/** "copy as" in the detail pane: a format, a copy button, and what it copies (or why it cannot). */
export function CopyAsControl({ kind, source, destination, bytes, complete }: CopiedMessage & { bytes: Uint8Array; complete: boolean }) {
  const [format, setFormat] = useState<CopyFormat>('cli');
  const [outcome, setOutcome] = useState<string | null>(null);
  // Rendering a large payload is the cost here, so only a new payload or format renders it again.
  const result = useMemo(() => copyAs(format, { kind, source, destination }, bytes), [format, kind, source, destination, bytes]);

  const copy = async (): Promise<void> => {
    if (!result.ok) return;
    try {
      await navigator.clipboard.writeText(result.text);
      setOutcome('copied');
    } catch (error) {
      setOutcome(`copy failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    setTimeout(() => setOutcome(null), 2000);
  };

  return (
    <div className="payload-view copy-as">
      <div className="payload-view-header">
        <span className="strong">copy as</span>
        <select value={format} onChange={(event) => setFormat(event.target.value as CopyFormat)} data-testid="copy-as-format" aria-label="copy as">
          {COPY_FORMATS.map((choice) => (
            <option key={choice} value={choice}>
              {COPY_FORMAT_LABELS[choice]}
            </option>
          ))}
        </select>
        <button type="button" className="small" disabled={!result.ok} onClick={() => void copy()} data-testid="copy-as">
          copy
        </button>
        {outcome !== null && <span className={outcome === 'copied' ? 'muted' : 'inline-error'}>{outcome}</span>}
        {!complete && <span className="warn">only the bytes fetched</span>}
      </div>
      <pre className="mono payload-body copy-as-text" data-testid="copy-as-text">
        {result.ok ? result.text.length > PREVIEW_CHARS ? `${result.text.slice(0, PREVIEW_CHARS)}…` : result.text : <span className="muted">{result.reason}</span>}
      </pre>
      {result.ok && result.note !== null && <p className="muted notice">{result.note}</p>}
    </div>
  );
}
