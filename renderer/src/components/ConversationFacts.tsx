import { useSyncExternalStore } from 'react';
import { type Conversation, formatRoundTrip } from '../state/conversations';
import type { TrafficStore } from '../state/TrafficStore';
import type { TrafficRow } from '../state/trafficRows';

const STATE_WORDS: Record<Conversation['state'], string> = {
  answered: 'answered',
  pending: 'waiting for the reply',
  'peer-gone': 'no reply: the responder left (PEER_GONE)',
  'requester-left': 'no reply before the requester left (a request that timed out)',
  superseded: 'no reply before the same correlation ID was asked again',
};

/**
 * The detail pane's lines about a request or reply: what became of the request, the round-trip time,
 * and a button to the other half of the pair (disabled once the ring evicted it).
 */
export function ConversationFacts({ store, row, onSelect }: { store: TrafficStore; row: TrafficRow; onSelect: (row: TrafficRow) => void }) {
  useSyncExternalStore(store.subscribe, store.getVersion);
  if (row.kind !== 'request' && row.kind !== 'reply') return null;
  const conversation = store.conversation(row.rowNumber);
  if (conversation === null) {
    return (
      <>
        <dt>request</dt>
        <dd className="muted" data-testid="detail-conversation">
          none seen (evicted, or sent before this window watched)
        </dd>
      </>
    );
  }
  const other = row.kind === 'request' ? conversation.replyRow : conversation.requestRow;
  const otherRow = other === null ? null : store.row(other);
  const roundTrip = conversation.replyTime === null ? null : conversation.replyTime - conversation.requestTime;
  const failed = conversation.state !== 'answered' && conversation.state !== 'pending';
  return (
    <>
      <dt>conversation</dt>
      <dd className={failed ? 'warn' : undefined} data-testid="detail-conversation" data-state={conversation.state} title={conversation.detail ?? undefined}>
        {conversation.requester} → {conversation.responder} #{conversation.correlationId}: {STATE_WORDS[conversation.state]}
      </dd>
      <dt>round trip</dt>
      <dd>
        <span data-testid="detail-rtt">{roundTrip === null ? '—' : formatRoundTrip(roundTrip)}</span>{' '}
        {row.kind === 'request' ? (
          <button type="button" className="small" disabled={otherRow === null} onClick={() => otherRow !== null && onSelect(otherRow)} data-testid="go-to-reply">
            go to reply
          </button>
        ) : (
          <button
            type="button"
            className="small"
            disabled={otherRow === null}
            onClick={() => otherRow !== null && onSelect(otherRow)}
            data-testid="go-to-request"
            title={otherRow === null ? 'the request was evicted from the ring' : undefined}
          >
            go to request
          </button>
        )}
      </dd>
    </>
  );
}
