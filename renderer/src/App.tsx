import { useEffect, useRef, useState } from 'react';
import type { WireSnapshot } from '@contract';
import { DetailPane } from './components/DetailPane';
import { FilterBar } from './components/FilterBar';
import { type ComposerDraft, InjectComposer } from './components/InjectComposer';
import { ModulesPanel } from './components/ModulesPanel';
import { RateChart } from './components/RateChart';
import { StatusBar } from './components/StatusBar';
import { TrafficView } from './components/TrafficView';
import { animationFrameScheduler, EventBatcher } from './state/EventBatcher';
import { ModuleDirectory } from './state/ModuleDirectory';
import { RateHistory } from './state/RateHistory';
import { initialRowCapacity } from './state/rowCapacitySetting';
import { TrafficStore } from './state/TrafficStore';
import type { TrafficRow } from './state/trafficRows';
import type { BackendTransport, ConnectionState } from './transport/BackendTransport';

function nowMicros(): number {
  return Date.now() * 1000;
}

function isTypingTarget(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && target.closest('input, textarea, select, [contenteditable="true"]') !== null;
}

export function App({ transport }: { transport: BackendTransport }) {
  const [store] = useState(() => new TrafficStore(initialRowCapacity()));
  const [directory] = useState(() => new ModuleDirectory());
  const [rates] = useState(() => new RateHistory());
  const [snapshot, setSnapshot] = useState<WireSnapshot | null>(null);
  const [snapshotError, setSnapshotError] = useState<string | null>(null);
  const [connection, setConnection] = useState<ConnectionState>(() => transport.connectionState());
  const [selectedRow, setSelectedRow] = useState<TrafficRow | null>(null);
  const [composerDraft, setComposerDraft] = useState<ComposerDraft | null>(null);
  const filterInputRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const batcher = new EventBatcher((events) => {
      store.append(events);
      directory.applyEvents(events);
    }, animationFrameScheduler);

    const applySnapshot = (next: WireSnapshot): void => {
      directory.applySnapshot(next);
      rates.add(next);
      setSnapshot(next);
    };
    const fetchSnapshot = (): void => {
      void transport.snapshot().then((result) => {
        if (result.ok) {
          setSnapshotError(null);
          applySnapshot(result.value);
        } else {
          setSnapshotError(`${result.error.code}: ${result.error.message}`);
        }
      });
    };

    let wasConnected = transport.connectionState().status === 'connected';
    if (wasConnected) fetchSnapshot();
    const stopEvents = transport.onEvents((batch) => batcher.push(batch));
    const stopSnapshots = transport.onSnapshot(applySnapshot);
    const stopConnection = transport.onConnectionState((state) => {
      setConnection(state);
      if (state.status === 'connected' && !wasConnected) {
        batcher.flush();
        if (store.endRowNumber > 0) store.appendNote(nowMicros(), 'reconnected to the backend; events from while it was unreachable were not received');
        fetchSnapshot();
      } else if (state.status === 'disconnected' && wasConnected) {
        batcher.flush();
        store.appendNote(nowMicros(), `lost the connection to the backend (${state.detail})`);
      }
      wasConnected = state.status === 'connected';
    });
    // The socket may have opened between the first render and this effect, with no listener yet.
    setConnection(transport.connectionState());
    return () => {
      stopEvents();
      stopSnapshots();
      stopConnection();
      batcher.flush();
    };
  }, [transport, store, directory, rates]);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') {
        setSelectedRow(null);
        return;
      }
      if (isTypingTarget(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === '/') {
        event.preventDefault();
        filterInputRef.current?.focus();
        filterInputRef.current?.select();
      } else if (event.key === ' ' && !(event.target instanceof HTMLButtonElement)) {
        // A focused button takes space as a click; anywhere else space is the live-tail toggle.
        event.preventDefault();
        if (store.paused) store.resume();
        else store.pause();
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [store]);

  return (
    <div className="app">
      <div className="top-row">
        <ModulesPanel directory={directory} snapshot={snapshot} snapshotError={snapshotError} transport={transport} />
        <RateChart history={rates} snapshot={snapshot} />
      </div>
      <div className="main-row">
        <section className="traffic-section" aria-label="Traffic">
          <FilterBar store={store} directory={directory} filterInputRef={filterInputRef} />
          <TrafficView store={store} selectedRowNumber={selectedRow?.rowNumber ?? null} onSelect={setSelectedRow} />
        </section>
        <aside className="side-column">
          <DetailPane row={selectedRow} transport={transport} onInjectAgain={setComposerDraft} onClose={() => setSelectedRow(null)} />
          <InjectComposer transport={transport} snapshot={snapshot} draft={composerDraft} />
        </aside>
      </div>
      <StatusBar snapshot={snapshot} connection={connection} store={store} transport={transport} />
    </div>
  );
}
