import { ERROR_COLOR, type Lane, SEQUENCE_ROW_HEIGHT, type SequenceArc, type SequenceMark, type SequenceScene } from './sequenceScene';

/** styles.css's panel, alternate-row, selection, muted and text colours: the canvas cannot read CSS variables cheaply per frame. */
const COLORS = { background: '#1d2026', rowAlt: '#1a1d22', selected: '#2d4263', muted: '#8a919c', text: '#d8dbe0', arc: '#d7ba7d', join: '#81c784', leave: '#8a919c' };
const FONT = '10px ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace';
/** Where in a row's band the arrow runs, and where its label's baseline sits above it. */
const LINE_Y = 15;
const LABEL_Y = 10;
const HEAD = 6;

export interface PaintInput {
  width: number;
  height: number;
  /** Lanes at their canvas x. */
  lanes: readonly Lane[];
  scene: SequenceScene;
  /** Every row band in view: its top and its view index (for the alternate shading). */
  bands: readonly { top: number; index: number; rowNumber: number }[];
  selectedRowNumber: number | null;
}

/** Draws one frame of the sequence view: bands, lane lines, request→reply arcs, then each row's mark. */
export function paintSequence(ctx: CanvasRenderingContext2D, input: PaintInput): void {
  const { width, height } = input;
  ctx.fillStyle = COLORS.background;
  ctx.fillRect(0, 0, width, height);
  for (const band of input.bands) {
    const fill = band.rowNumber === input.selectedRowNumber ? COLORS.selected : band.index % 2 === 1 ? COLORS.rowAlt : null;
    if (fill === null) continue;
    ctx.fillStyle = fill;
    ctx.fillRect(0, band.top, width, SEQUENCE_ROW_HEIGHT);
  }
  ctx.lineWidth = 1;
  ctx.globalAlpha = 0.35;
  for (const lane of input.lanes) {
    ctx.strokeStyle = lane.color;
    line(ctx, lane.x, 0, lane.x, height);
  }
  ctx.globalAlpha = 1;
  ctx.font = FONT;
  ctx.textBaseline = 'alphabetic';
  charWidth = ctx.measureText('0').width || charWidth;
  for (const arc of input.scene.arcs) paintArc(ctx, arc, height);
  for (const mark of input.scene.marks) paintMark(ctx, mark, width);
}

function line(ctx: CanvasRenderingContext2D, x1: number, y1: number, x2: number, y2: number): void {
  ctx.beginPath();
  ctx.moveTo(Math.round(x1) + 0.5, Math.round(y1) + 0.5);
  ctx.lineTo(Math.round(x2) + 0.5, Math.round(y2) + 0.5);
  ctx.stroke();
}

/** The font is monospaced: one measure per frame gives every label's width without measuring each. */
let charWidth = 6;

/** The longest start of `text` (with an ellipsis when cut) that fits in `room` pixels. */
function fitted(text: string, room: number): string {
  const fits = Math.floor(room / charWidth);
  if (fits < 2) return '';
  return text.length <= fits ? text : `${text.slice(0, fits - 1)}…`;
}

function label(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, room: number, color: string, align: CanvasTextAlign = 'left'): void {
  const shown = fitted(text, room);
  if (shown === '') return;
  ctx.fillStyle = color;
  ctx.textAlign = align;
  ctx.fillText(shown, x, y);
}

function arrowHead(ctx: CanvasRenderingContext2D, x: number, y: number, direction: 1 | -1): void {
  ctx.beginPath();
  ctx.moveTo(x, y + 0.5);
  ctx.lineTo(x - direction * HEAD, y + 0.5 - HEAD / 2);
  ctx.lineTo(x - direction * HEAD, y + 0.5 + HEAD / 2);
  ctx.closePath();
  ctx.fill();
}

function paintMark(ctx: CanvasRenderingContext2D, mark: SequenceMark, width: number): void {
  const y = mark.top + LINE_Y;
  switch (mark.type) {
    case 'arrow': {
      ctx.strokeStyle = mark.color;
      ctx.fillStyle = mark.color;
      ctx.setLineDash(mark.dashed || mark.stub !== null ? [4, 3] : []);
      if (mark.from === mark.to) {
        // To itself: a loop out to the right and back.
        ctx.beginPath();
        ctx.moveTo(mark.from, mark.top + 6.5);
        ctx.lineTo(mark.from + 16, mark.top + 6.5);
        ctx.lineTo(mark.from + 16, y + 0.5);
        ctx.lineTo(mark.from + HEAD, y + 0.5);
        ctx.stroke();
        ctx.setLineDash([]);
        arrowHead(ctx, mark.from, y, -1);
        label(ctx, mark.label, mark.from + 22, mark.top + 14, 140, mark.error ? ERROR_COLOR : COLORS.text);
        return;
      }
      const direction = mark.to > mark.from ? 1 : -1;
      // An error is thicker and crossed where it ends, so it is not taken for a module coloured red.
      ctx.lineWidth = mark.error ? 2 : 1;
      line(ctx, mark.from, y, mark.to - direction * HEAD, y);
      ctx.lineWidth = 1;
      ctx.setLineDash([]);
      arrowHead(ctx, mark.to, y, direction);
      if (mark.error) {
        const x = mark.to - direction * (HEAD + 6);
        line(ctx, x - 3, y - 3, x + 3, y + 3);
        line(ctx, x - 3, y + 3, x + 3, y - 3);
      }
      if (mark.stub === 'source') {
        ctx.beginPath();
        ctx.arc(mark.from, y + 0.5, 2.5, 0, 2 * Math.PI);
        ctx.stroke();
      }
      const left = Math.min(mark.from, mark.to);
      const span = Math.abs(mark.to - mark.from);
      if (mark.stub === null) label(ctx, mark.label, left + span / 2, mark.top + LABEL_Y, span - 8, mark.error ? ERROR_COLOR : COLORS.text, 'center');
      // A stub is short: its label (naming the hidden module) runs on past its end.
      else label(ctx, mark.label, mark.stub === 'destination' ? mark.to + 4 : mark.to + 8, mark.top + 14, 160, COLORS.muted);
      return;
    }
    case 'fanout': {
      const xs = mark.x === null ? mark.ticks : [mark.x, ...mark.ticks];
      ctx.strokeStyle = mark.color;
      ctx.fillStyle = mark.color;
      ctx.setLineDash(mark.dashed ? [4, 3] : []);
      ctx.globalAlpha = 0.6;
      if (xs.length > 1) line(ctx, Math.min(...xs), y, Math.max(...xs), y);
      ctx.globalAlpha = 1;
      ctx.setLineDash([]);
      for (const x of mark.ticks) line(ctx, x, y - 4, x, y + 4);
      if (mark.x !== null) {
        ctx.beginPath();
        ctx.arc(mark.x, y + 0.5, 4, 0, 2 * Math.PI);
        ctx.fill();
      }
      const at = mark.x ?? Math.min(...xs);
      label(ctx, mark.label, at + 8, mark.top + LABEL_Y, 150, COLORS.text);
      return;
    }
    case 'event': {
      const color = mark.error ? ERROR_COLOR : mark.event === 'join' ? COLORS.join : COLORS.leave;
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.beginPath();
      if (mark.error) {
        ctx.moveTo(mark.x, y - 5);
        ctx.lineTo(mark.x + 5, y);
        ctx.lineTo(mark.x, y + 5);
        ctx.lineTo(mark.x - 5, y);
        ctx.closePath();
        ctx.fill();
      } else {
        ctx.arc(mark.x, y, 4.5, 0, 2 * Math.PI);
        if (mark.event === 'join') ctx.fill();
        else ctx.stroke();
      }
      ctx.font = `italic ${FONT}`;
      label(ctx, mark.label, mark.x + 9, y + 3.5, 200, mark.error ? ERROR_COLOR : COLORS.muted);
      ctx.font = FONT;
      return;
    }
    case 'note':
      ctx.font = `italic ${FONT}`;
      label(ctx, mark.label, 8, y + 3.5, width - 16, mark.error ? ERROR_COLOR : COLORS.muted);
      ctx.font = FONT;
      return;
  }
}

/** A bracket beside the requester's lane from the request's arrow to the reply's, its depth growing with the rows between. */
function paintArc(ctx: CanvasRenderingContext2D, arc: SequenceArc, height: number): void {
  const y1 = arc.requestTop + LINE_Y;
  const y2 = arc.replyTop + LINE_Y;
  const depth = Math.min(48, 12 + (y2 - y1) / 6);
  const bulge = arc.x + arc.side * depth;
  ctx.strokeStyle = COLORS.arc;
  ctx.beginPath();
  ctx.moveTo(arc.x, y1);
  ctx.bezierCurveTo(bulge, y1, bulge, y2, arc.x, y2);
  ctx.stroke();
  // The label stays in view while either end is: at the middle of the part of the arc on the canvas.
  const middle = (Math.max(8, y1) + Math.min(height - 4, y2)) / 2;
  const labelX = arc.x + arc.side * (depth * 0.75 + 3);
  ctx.fillStyle = COLORS.background;
  const text = arc.label;
  const textWidth = text.length * charWidth;
  ctx.fillRect(arc.side > 0 ? labelX - 1 : labelX - textWidth - 1, middle - 8, textWidth + 2, 11);
  label(ctx, text, labelX, middle + 1, 80, COLORS.arc, arc.side > 0 ? 'left' : 'right');
}
