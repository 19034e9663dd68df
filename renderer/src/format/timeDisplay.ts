import { formatMicros } from './timeFormat';

/**
 * The time column's formats, Wireshark's "time display formats": the time of day; seconds since
 * the first message; seconds since the previous row shown; seconds since a reference row the user
 * chose (before it, negative).
 */
export const TIME_MODES = ['absolute', 'relative', 'delta', 'reference'] as const;
export type TimeMode = (typeof TIME_MODES)[number];

export const TIME_MODE_LABELS: Record<TimeMode, string> = {
  absolute: 'time of day',
  relative: 'since the first message',
  delta: 'since the previous row shown',
  reference: 'since the reference row',
};

/** What a row's time is shown against; null where there is none (no rows yet, the first row shown, no reference). */
export interface TimeBasis {
  firstMicros: number | null;
  previousMicros: number | null;
  referenceMicros: number | null;
}

/** Seconds with microsecond digits and a sign when negative: "12.000345", "-0.250000". */
export function formatSeconds(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const magnitude = Math.round(Math.abs(micros));
  const whole = Math.floor(magnitude / 1_000_000);
  return `${sign}${whole}.${String(magnitude - whole * 1_000_000).padStart(6, '0')}`;
}

/**
 * A row's time in `mode`. The first row shown has a delta of 0; with no reference row chosen the
 * reference format counts from the first message, as Wireshark does.
 */
export function displayTime(mode: TimeMode, timeMicros: number, basis: TimeBasis): string {
  switch (mode) {
    case 'absolute':
      return formatMicros(timeMicros);
    case 'relative':
      return formatSeconds(timeMicros - (basis.firstMicros ?? timeMicros));
    case 'delta':
      return formatSeconds(timeMicros - (basis.previousMicros ?? timeMicros));
    case 'reference':
      return formatSeconds(timeMicros - (basis.referenceMicros ?? basis.firstMicros ?? timeMicros));
  }
}

export function isTimeMode(value: unknown): value is TimeMode {
  return typeof value === 'string' && (TIME_MODES as readonly string[]).includes(value);
}
