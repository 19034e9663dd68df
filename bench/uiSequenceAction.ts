import type { Page } from '@playwright/test';

/**
 * bench:ui's scripted action "open the sequence view": in the page, press the table's "sequence ▸"
 * button and time until the first frame after the view's canvas is in the page (the response a
 * person sees), close it again, and repeat; the last opening stays open, so the rest of the run
 * measures frames with the view at the live tail. Plain JavaScript in a string: it runs in the
 * browser, and bench/ is type-checked against Node's typings only (no DOM).
 */
const OPEN_SEQUENCE_SCRIPT = `async (times) => {
  const probe = window.__uiLoadProbe;
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const framesBefore = probe.frames.length;
  const responses = [];
  for (let i = 0; i < times; i++) {
    const toggle = document.querySelector('[data-testid="sequence-toggle"]');
    if (toggle === null) throw new Error('no "sequence" button in the page');
    const start = performance.now();
    toggle.click();
    while (document.querySelector('[data-testid="sequence-canvas"]') === null) await frame();
    // The frame after the one in which the view first appears: it has been painted by then.
    await frame();
    await frame();
    responses.push(performance.now() - start);
    await pause(150);
    if (i < times - 1) {
      document.querySelector('[data-testid="sequence-close"]').click();
      await pause(150);
    }
  }
  return { responses, framesBefore, framesAfter: probe.frames.length };
}`;

export interface SequenceActionResult {
  /** ms from the click to the first frame painted with the view, one per opening */
  responses: number[];
  /** How many frames the page probe had recorded when the action started and when it ended. */
  framesBefore: number;
  framesAfter: number;
}

export async function openSequenceView(page: Page, times: number): Promise<SequenceActionResult> {
  return (await page.evaluate(`(${OPEN_SEQUENCE_SCRIPT})(${times})`)) as SequenceActionResult;
}
