import { type CSSProperties, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { WireHubLink, WireSnapshot } from '@contract';
import { DetailPane } from './components/DetailPane';
import { OpenCaptureControl } from './components/OpenCaptureControl';
import { FilterBar, type FollowRequest } from './components/FilterBar';
import { type ComposerDraft, InjectComposer } from './components/InjectComposer';
import { ExportControl } from './components/ExportControl';
import { ModulesPanel } from './components/ModulesPanel';
import { OfflineModules } from './components/OfflineModules';
import { PaneSplitter } from './components/PaneSplitter';
import { RateChart } from './components/RateChart';
import { RecordControl } from './components/RecordControl';
import { ReplayPanel } from './components/ReplayPanel';
import { SequenceSplit } from './components/SequenceSplit';
import { Timeline } from './components/Timeline';
import { StatusBar } from './components/StatusBar';
import { TrafficView } from './components/TrafficView';
import { installShortcuts } from './keyboardShortcuts';
import { animationFrameScheduler, EventBatcher } from './state/EventBatcher';
import { ModuleDirectory } from './state/ModuleDirectory';
import { PayloadSearchRunner } from './state/PayloadSearchRunner';
import { DEFAULT_PANE_LAYOUT, fitPaneLayout, loadPaneLayout, type PaneLayout, savePaneLayout } from './state/paneLayout';
import { RateHistory } from './state/RateHistory';
import { markRows, NO_MARKS, type RowMarks, type SelectHow, selectedSeqs } from './state/rowSelection';
import { SequenceSettings } from './state/SequenceSettings';
import { initialRowCapacity } from './state/rowCapacitySetting';
import { TimeDisplay } from './state/TimeDisplay';
import { TrafficStore } from './state/TrafficStore';
import type { TrafficRow } from './state/trafficRows';
import type { BackendTransport, ConnectionState } from './transport/BackendTransport';

/** The .app grid's padding in styles.css, between the window's edge and the panes. */
const APP_PADDING = 4;

function nowMicros(): number {
  return Date.now() * 1000;
}

export function App({ transport }: { transport: BackendTransport }) {
  const [store] = useState(() => new TrafficStore(initialRowCapacity()));
  const [directory] = useState(() => new ModuleDirectory());
  const [rates] = useState(() => new RateHistory());
  const [timeDisplay] = useState(() => new TimeDisplay());
  const [sequence] = useState(() => new SequenceSettings());
  const [searchRunner] = useState(() => new PayloadSearchRunner(transport, store));
  const [follow, setFollow] = useState<FollowRequest | null>(null);
  const followConversation = (module: string, peer: string): void => setFollow((previous) => ({ nonce: (previous?.nonce ?? 0) + 1, module, peer }));
  const [snapshot, setSnapshot] = useState<WireSnapshot | null>(null);
  const [snapshotError, setSnapshotError] = useState<string | null>(null);
  const [connection, setConnection] = useState<ConnectionState>(() => transport.connectionState());
  const [selectedRow, setSelectedRow] = useState<TrafficRow | null>(null);
  const [composerDraft, setComposerDraft] = useState<ComposerDraft | null>(null);
  const filterInputRef = useRef<HTMLInputElement>(null);
  const batcherRef = useRef<EventBatcher | null>(null);
  const [seekError, setSeekError] = useState<string | null>(null);
  const [hubLink, setHubLink] = useState<WireHubLink | null>(null);
  const selectedRowRef = useRef<TrafficRow | null>(null);
  selectedRowRef.current = selectedRow;
  const [marks, setMarks] = useState<RowMarks>(NO_MARKS);
  /** A plain selection (a click, the keys, go to reply) drops the rows marked with Ctrl/⌘- or Shift-click. */
  const selectRow = useCallback(
    (row: TrafficRow | null, how?: SelectHow): void => {
      const current = selectedRowRef.current?.rowNumber ?? null;
      setMarks((previous) => (row === null || how === undefined ? NO_MARKS : markRows(store, previous, current, row.rowNumber, how)));
      setSelectedRow(row);
    },
    [store],
  );
  /** After a seek: the moment whose first message row is selected once it arrives, so the table shows it (the window starts before it). */
  const soughtRef = useRef<number | null>(null);
  const replaySeqs = useMemo(() => selectedSeqs(store, marks, selectedRow?.seq ?? null), [store, marks, selectedRow]);
  const appRef = useRef<HTMLDivElement>(null);
  const sideRef = useRef<HTMLElement>(null);
  const topRef = useRef<HTMLDivElement>(null);
  const [paneLayout, setPaneLayout] = useState<PaneLayout>(loadPaneLayout);
  const paneLayoutRef = useRef(paneLayout);
  paneLayoutRef.current = paneLayout;
  const [, setWindowSize] = useState(() => [window.innerWidth, window.innerHeight]);

  useEffect(() => {
    const batcher = new EventBatcher((events) => {
      const end = store.endRowNumber;
      store.append(events);
      directory.applyEvents(events);
      rates.countEvents(events);
      const sought = soughtRef.current;
      if (sought === null) return;
      for (let rowNumber = Math.max(end, store.firstRowNumber); rowNumber < store.endRowNumber; rowNumber++) {
        const row = store.row(rowNumber);
        if (row === null || row.seq === null || row.timeMicros < sought) continue;
        soughtRef.current = null;
        selectRow(row);
        break;
      }
    }, animationFrameScheduler);
    batcherRef.current = batcher;

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
        // The backend dropped this page's search with the connection.
        searchRunner.restart();
      } else if (state.status === 'disconnected' && wasConnected) {
        batcher.flush();
        store.appendNote(nowMicros(), `lost the connection to the backend (${state.detail})`);
      }
      wasConnected = state.status === 'connected';
    });
    // Attached to a hub elsewhere: the backend says at once when that hub goes and comes back.
    let lastLink: WireHubLink | null = null;
    const stopLink = transport.onLink((link) => {
      if (lastLink !== null && lastLink.status !== link.status) {
        batcher.flush();
        if (link.status === 'down') store.appendNote(nowMicros(), `lost the hub (${link.detail}); the modules shown are the last known`);
        else store.appendNote(nowMicros(), 'reconnected to the hub; messages relayed while it was unreachable were not seen');
      }
      lastLink = link;
      setHubLink(link);
    });
    // The socket may have opened between the first render and this effect, with no listener yet.
    setConnection(transport.connectionState());
    return () => {
      stopEvents();
      stopSnapshots();
      stopConnection();
      stopLink();
      batcher.flush();
    };
  }, [transport, store, directory, rates, searchRunner, selectRow]);

  useEffect(
    () =>
      installShortcuts({
        store,
        selected: () => selectedRowRef.current,
        select: selectRow,
        focusFilter: () => {
          filterInputRef.current?.focus();
          filterInputRef.current?.select();
        },
        openDetail: () => document.querySelector<HTMLElement>('[data-testid="detail-pane"]')?.scrollIntoView({ block: 'nearest' }),
        toggleSequence: () => sequence.toggle(),
      }),
    [store, sequence, selectRow],
  );

  // A layout saved in a larger window is fitted again whenever the window changes size.
  useEffect(() => {
    const onResize = (): void => setWindowSize([window.innerWidth, window.innerHeight]);
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);

  const offline = snapshot?.offline ?? null;
  const fitted = fitPaneLayout(paneLayout, window.innerWidth, window.innerHeight);
  const layoutStyle = {
    ...(fitted.sideWidth !== null ? { '--side-width': `${fitted.sideWidth}px` } : {}),
    ...(fitted.topHeight !== null ? { '--top-height': `${fitted.topHeight}px` } : {}),
  } as CSSProperties;
  const appBox = (): DOMRect => (appRef.current as HTMLDivElement).getBoundingClientRect();
  const resizeSide = (width: number): void => setPaneLayout((layout) => fitPaneLayout({ ...layout, sideWidth: width }, window.innerWidth, window.innerHeight));
  const resizeTop = (height: number): void => setPaneLayout((layout) => fitPaneLayout({ ...layout, topHeight: height }, window.innerWidth, window.innerHeight));
  const rememberLayout = (): void => savePaneLayout(paneLayoutRef.current);
  const resetPane = (pane: keyof PaneLayout): void => {
    const next = { ...paneLayoutRef.current, [pane]: DEFAULT_PANE_LAYOUT[pane] };
    setPaneLayout(next);
    savePaneLayout(next);
  };
  const sideSplitter = (testId: string) => (
    <PaneSplitter
      orientation="vertical"
      label="Width of the detail column"
      testId={testId}
      current={() => sideRef.current?.getBoundingClientRect().width ?? 0}
      size={(x) => appBox().right - APP_PADDING - x}
      onResize={resizeSide}
      onDone={rememberLayout}
      onReset={() => resetPane('sideWidth')}
    />
  );

  /** The backend stops the old window's pushes before it answers, so what is queued then is the old window's. */
  const seek = async (time: number): Promise<void> => {
    const result = await transport.seek({ time });
    if (!result.ok) {
      setSeekError(`${result.error.code}: ${result.error.message}`);
      return;
    }
    setSeekError(null);
    batcherRef.current?.discard();
    store.clear();
    searchRunner.restart();
    selectRow(null);
    soughtRef.current = time;
    void transport.snapshot().then((next) => {
      if (next.ok) setSnapshot(next.value);
    });
  };

  return (
    <div className={`app${offline !== null ? ' offline' : ''}`} ref={appRef} style={layoutStyle}>
      <div className="top-row" ref={topRef}>
        {offline !== null ? <OfflineModules offline={offline} /> : <ModulesPanel directory={directory} snapshot={snapshot} snapshotError={snapshotError} hubLink={hubLink} transport={transport} />}
        {sideSplitter('splitter-top-side')}
        {offline !== null ? <Timeline offline={offline} store={store} onSeek={(time) => void seek(time)} /> : <RateChart history={rates} snapshot={snapshot} />}
      </div>
      <PaneSplitter
        orientation="horizontal"
        label="Height of the modules row"
        testId="splitter-top"
        current={() => topRef.current?.getBoundingClientRect().height ?? 0}
        size={(y) => y - appBox().top - APP_PADDING}
        onResize={resizeTop}
        onDone={rememberLayout}
        onReset={() => resetPane('topHeight')}
      />
      <div className="capture-bar">
        {offline !== null ? (
          <>
            <span data-testid="offline-file" title={offline.file}>
              recording {offline.file.split('/').pop()} · {offline.hub} on {offline.host}
            </span>
            <ExportControl transport={transport} store={store} source="opened" />
            <OpenCaptureControl transport={transport} offline={true} onOpened={() => void seek(0)} />
            {seekError !== null && (
              <span className="warn" data-testid="offline-error">
                {seekError}
              </span>
            )}
          </>
        ) : (
          <>
            {snapshot !== null && <RecordControl transport={transport} store={store} attached={snapshot.attachedTo !== null} />}
            <OpenCaptureControl transport={transport} offline={false} onOpened={() => void seek(0)} />
          </>
        )}
      </div>
      <div className="main-row">
        <section className="traffic-section" aria-label="Traffic">
          <FilterBar store={store} directory={directory} filterInputRef={filterInputRef} follow={follow} search={searchRunner} selectedRow={selectedRow} />
          <SequenceSplit settings={sequence} store={store} selectedRowNumber={selectedRow?.rowNumber ?? null} onSelect={selectRow}>
            <TrafficView store={store} timeDisplay={timeDisplay} selectedRowNumber={selectedRow?.rowNumber ?? null} marks={marks} onSelect={selectRow} onFollow={followConversation} />
          </SequenceSplit>
        </section>
        {sideSplitter('splitter-side')}
        <aside className="side-column" ref={sideRef}>
          <DetailPane
            row={selectedRow}
            transport={transport}
            store={store}
            timeDisplay={timeDisplay}
            onSelect={selectRow}
            onFollow={followConversation}
            onInjectAgain={offline === null ? setComposerDraft : undefined}
            onClose={() => selectRow(null)}
          />
          {offline === null ? <InjectComposer transport={transport} snapshot={snapshot} draft={composerDraft} /> : <ReplayPanel transport={transport} store={store} selectedSeqs={replaySeqs} />}
        </aside>
      </div>
      <StatusBar snapshot={snapshot} connection={connection} hubLink={hubLink} store={store} transport={transport} />
    </div>
  );
}
