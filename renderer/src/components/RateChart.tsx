import { useEffect, useRef, useState } from 'react';
import type { WireSnapshot } from '@contract';
import { formatRate } from '../format/numberFormat';
import { RATE_WINDOW_MS, type RateHistory } from '../state/RateHistory';

const TOP_MODULES = 4;
const TOTAL_COLOR = '#e6e6e6';
const MODULE_COLORS = ['#4fc3f7', '#ffb74d', '#81c784', '#f06292'];
const AXIS_COLOR = '#555';
const LABEL_COLOR = '#999';

/** Rounds up to 1, 2 or 5 times a power of ten, so the axis reads cleanly. */
function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

/** messages/s over the last five minutes: the hub's total and the busiest modules, from snapshot pushes. */
export function RateChart({ history, snapshot }: { history: RateHistory; snapshot: WireSnapshot | null }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  const topModules = history.topModules(TOP_MODULES);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null) return;
    const observer = new ResizeObserver(() => setSize({ width: canvas.clientWidth, height: canvas.clientHeight }));
    observer.observe(canvas);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null || size.width === 0 || size.height === 0) return;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(size.width * ratio);
    canvas.height = Math.round(size.height * ratio);
    const context = canvas.getContext('2d');
    if (context === null) return;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, size.width, size.height);

    const left = 44;
    const right = size.width - 8;
    const top = 8;
    const bottom = size.height - 18;
    const samples = history.all;
    const end = snapshot?.now ?? Date.now();
    const start = end - RATE_WINDOW_MS;
    const yMax = niceCeiling(history.peak);
    const x = (at: number): number => left + ((at - start) / RATE_WINDOW_MS) * (right - left);
    const y = (rate: number): number => bottom - (rate / yMax) * (bottom - top);

    context.font = '10px ui-monospace, monospace';
    context.fillStyle = LABEL_COLOR;
    context.strokeStyle = AXIS_COLOR;
    context.lineWidth = 1;
    context.textAlign = 'right';
    context.textBaseline = 'middle';
    for (const fraction of [0, 0.5, 1]) {
      const rate = yMax * fraction;
      const yPosition = Math.round(y(rate)) + 0.5;
      context.beginPath();
      context.moveTo(left, yPosition);
      context.lineTo(right, yPosition);
      context.stroke();
      context.fillText(Number.isInteger(rate) ? String(rate) : rate.toFixed(1), left - 4, yPosition);
    }
    context.textAlign = 'center';
    context.textBaseline = 'top';
    for (let minutesAgo = 5; minutesAgo >= 0; minutesAgo--) {
      context.fillText(minutesAgo === 0 ? 'now' : `-${minutesAgo}m`, Math.min(right - 10, Math.max(left + 10, x(end - minutesAgo * 60_000))), bottom + 4);
    }

    const drawSeries = (color: string, rateAt: (index: number) => number, width: number): void => {
      context.strokeStyle = color;
      context.lineWidth = width;
      context.beginPath();
      samples.forEach((sample, index) => {
        const point = [x(sample.at), y(rateAt(index))] as const;
        if (index === 0) context.moveTo(...point);
        else context.lineTo(...point);
      });
      context.stroke();
    };
    topModules.forEach((id, index) => {
      drawSeries(MODULE_COLORS[index], (i) => samples[i].perModule.get(id) ?? 0, 1.25);
    });
    drawSeries(TOTAL_COLOR, (i) => samples[i].total, 2);
  }, [history, snapshot, size, topModules]);

  const latest = history.all[history.all.length - 1];
  return (
    <section className="panel rate-chart" aria-label="Message rate">
      <header className="panel-header">
        <h2>msg/s</h2>
        <span className="muted">last 5 min</span>
        <span className="spacer" />
        <span className="legend mono">
          <span style={{ color: TOTAL_COLOR }}>■ hub {formatRate(latest?.total ?? 0)}</span>
          {topModules.map((id, index) => (
            <span key={id} style={{ color: MODULE_COLORS[index] }} title={`${id}: messages in + out per second`}>
              ■ {id} {formatRate(latest?.perModule.get(id) ?? 0)}
            </span>
          ))}
        </span>
      </header>
      <canvas ref={canvasRef} className="rate-canvas" />
    </section>
  );
}
