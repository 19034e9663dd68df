import type { WireSnapshot } from '@contract';
import { shellQuote } from '../format/shellQuote';

/** Shown while no module is connected: the exact commands that connect two and send a message. */
export function EmptyState({ snapshot }: { snapshot: WireSnapshot }) {
  const socket = snapshot.attachedTo ?? snapshot.listeners[0] ?? null;
  const socketFlag = socket === null ? '' : ` --socket ${shellQuote(socket)}`;
  return (
    <div className="empty-state" data-testid="empty-state">
      <p>
        No modules are connected
        {socket !== null ? (
          <>
            {' '}
            to <code>{socket}</code>
          </>
        ) : null}
        . In two terminals, start a module that prints what it receives, then send it a message:
      </p>
      <pre className="command">{`relayscope listen --as B${socketFlag}`}</pre>
      <pre className="command">{`relayscope send --as A --to B hello${socketFlag}`}</pre>
      <p className="muted">
        B appears here, A's message appears in the traffic below. From C or Python, connect to the same socket with the client in <code>clients/</code>.
      </p>
    </div>
  );
}
