import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { WireSnapshot } from '@contract';
import { formatBytes, formatRate } from '../format/numberFormat';
import { formatClock } from '../format/timeFormat';
import { KIND_COLORS, moduleColor } from '../state/moduleColors';
import { type Rate, RATE_WINDOW_MS, RateHistory, type RateSample } from '../state/RateHistory';

type Group = 'modules' | 'kinds';
type Unit = 'messages' | 'bytes';

interface SeriesSpec {
  key: string;
  label: string;
  color: string;
  width: number;
  rate: (sample: RateSample) => Rate;
}

const HUB_COLOR = '#e6e6e6';
const AXIS = { stroke: '#999', grid: { stroke: '#30353e', width: 1 }, ticks: { stroke: '#30353e', width: 1 }, font: '10px ui-monospace, monospace' };

/** The hub's line and, as chosen, one line per module (by ID, so lines do not swap places) or per kind. */
function seriesSpecs(history: RateHistory, group: Group): SeriesSpec[] {
  const hub: SeriesSpec = { key: 'hub', label: 'hub', color: HUB_COLOR, width: 2, rate: (sample) => sample.hub };
  if (group === 'kinds') {
    return [
      hub,
      ...history
        .kinds()
        .map((kind) => ({ key: `kind:${kind}`, label: kind, color: KIND_COLORS[kind] ?? '#8a919c', width: 1.25, rate: (sample: RateSample) => RateHistory.rateOf(sample.perKind, kind) })),
    ];
  }
  const ids = history.modules().sort();
  return [hub, ...ids.map((id) => ({ key: `module:${id}`, label: id, color: moduleColor(id), width: 1.25, rate: (sample: RateSample) => RateHistory.rateOf(sample.perModule, id) }))];
}

function formatValue(unit: Unit, value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return unit === 'bytes' ? `${formatBytes(Math.round(value))}/s` : `${formatRate(value)}/s`;
}

/**
 * messages/s or bytes/s over the last five minutes (uPlot): the hub's total and every module with
 * traffic, or every kind. Hovering shows each line's value at that second in the legend; clicking a
 * legend entry hides or shows its line (remembered while the page lives). Each point is the rate over
 * the second before it, drawn as a step.
 */
export function RateChart({ history, snapshot }: { history: RateHistory; snapshot: WireSnapshot | null }) {
  const plotRef = useRef<HTMLDivElement>(null);
  const legendRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<{ plot: uPlot; signature: string } | null>(null);
  const hidden = useRef(new Set<string>());
  const endRef = useRef(Date.now());
  const [group, setGroup] = useState<Group>('modules');
  const [unit, setUnit] = useState<Unit>('messages');

  const specs = seriesSpecs(history, group);
  const signature = `${unit}|${specs.map((spec) => spec.key).join(',')}`;
  endRef.current = snapshot?.now ?? Date.now();

  useEffect(() => {
    const host = plotRef.current;
    const legendHost = legendRef.current;
    if (host === null || legendHost === null) return;
    const samples = history.all;
    const data: uPlot.AlignedData = [samples.map((sample) => sample.at / 1000), ...specs.map((spec) => samples.map((sample) => spec.rate(sample)[unit]))];
    const current = chartRef.current;
    if (current !== null && current.signature === signature) {
      current.plot.setData(data);
      return;
    }
    current?.plot.destroy();
    legendHost.replaceChildren();
    const options: uPlot.Options = {
      width: Math.max(100, host.clientWidth),
      height: Math.max(60, host.clientHeight),
      scales: { x: { time: true, range: () => [endRef.current / 1000 - RATE_WINDOW_MS / 1000, endRef.current / 1000] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        { ...AXIS, values: (_u, splits) => splits.map((at) => `-${Math.round((endRef.current / 1000 - at) / 60)}m`.replace('-0m', 'now')) },
        { ...AXIS, size: 56, values: (_u, splits) => splits.map((value) => (unit === 'bytes' ? formatBytes(value) : formatRate(value))) },
      ],
      series: [
        { label: 'at', value: (_u, at) => (at === null ? '—' : formatClock(at * 1000)) },
        ...specs.map((spec) => ({
          label: spec.label,
          stroke: spec.color,
          width: spec.width,
          show: !hidden.current.has(spec.key),
          paths: uPlot.paths.stepped?.({ align: -1 }),
          points: { show: false },
          value: (_u: uPlot, value: number | null) => formatValue(unit, value),
        })),
      ],
      legend: { live: true, mount: (_u, legend) => legendHost.appendChild(legend) },
      cursor: { drag: { x: false, y: false } },
      hooks: {
        setSeries: [
          (plot, index) => {
            if (index === null || index === 0) return;
            const key = specs[index - 1].key;
            if (plot.series[index].show === false) hidden.current.add(key);
            else hidden.current.delete(key);
          },
        ],
      },
    };
    chartRef.current = { plot: new uPlot(options, data, host), signature };
  });

  useEffect(() => {
    const host = plotRef.current;
    if (host === null) return;
    const observer = new ResizeObserver(() => chartRef.current?.plot.setSize({ width: Math.max(100, host.clientWidth), height: Math.max(60, host.clientHeight) }));
    observer.observe(host);
    return () => {
      observer.disconnect();
      chartRef.current?.plot.destroy();
      chartRef.current = null;
    };
  }, []);

  return (
    <section className="panel rate-chart" aria-label="Message rate" data-testid="rate-chart">
      <header className="panel-header">
        <h2>rate</h2>
        <span className="muted">last 5 min</span>
        <span className="spacer" />
        <select value={unit} onChange={(event) => setUnit(event.target.value as Unit)} data-testid="rate-unit" title="What the lines count">
          <option value="messages">msgs/s</option>
          <option value="bytes">bytes/s</option>
        </select>
        <select value={group} onChange={(event) => setGroup(event.target.value as Group)} data-testid="rate-group" title="One line per module (what it sent plus received) or per kind">
          <option value="modules">by module</option>
          <option value="kinds">by kind</option>
        </select>
      </header>
      <div className="rate-plot" ref={plotRef} />
      <div className="rate-legend" ref={legendRef} data-testid="rate-legend" title="Hover the chart for the values at that time; click an entry to hide or show its line" />
    </section>
  );
}
