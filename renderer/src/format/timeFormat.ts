function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** µs since the Unix epoch → HH:MM:SS.uuuuuu in local time. */
export function formatMicros(micros: number): string {
  const wholeSeconds = Math.floor(micros / 1_000_000);
  const date = new Date(wholeSeconds * 1000);
  const fraction = micros - wholeSeconds * 1_000_000;
  return `${pad(date.getHours(), 2)}:${pad(date.getMinutes(), 2)}:${pad(date.getSeconds(), 2)}.${pad(fraction, 6)}`;
}

/** µs since the Unix epoch → ISO 8601 in UTC with six fraction digits: 2026-12-02T06:00:05.000250Z. */
export function isoMicros(micros: number): string {
  const wholeMillis = Math.floor(micros / 1000);
  return `${new Date(wholeMillis).toISOString().slice(0, -1)}${pad(micros - wholeMillis * 1000, 3)}Z`;
}

/** ms since the Unix epoch → HH:MM:SS in local time. */
export function formatClock(millis: number): string {
  const date = new Date(millis);
  return `${pad(date.getHours(), 2)}:${pad(date.getMinutes(), 2)}:${pad(date.getSeconds(), 2)}`;
}

/** A duration as "3d 04:05:06", "04:05:06" or "05:06". */
export function formatDuration(millis: number): string {
  const totalSeconds = Math.max(0, Math.floor(millis / 1000));
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const clock = hours > 0 || days > 0 ? `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}` : `${pad(minutes, 2)}:${pad(seconds, 2)}`;
  return days > 0 ? `${days}d ${clock}` : clock;
}
