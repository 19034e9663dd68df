import type { Page } from '@playwright/test';
import { type ActionResult, runInPage } from './uiPageScript';

/**
 * bench:ui's scripted action "open the sequence view": in the page, press the table's "sequence ▸"
 * button and time until the first frame after the view's canvas is in the page (the response a
 * person sees), close it again, and repeat; the last opening stays open, so the rest of the run
 * measures frames with the view at the live tail.
 */
const OPEN_SEQUENCE_SCRIPT = `async (times) => {
  const framesBefore = probe.frames.length;
  const responses = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    element('[data-testid="sequence-toggle"]').click();
    const shownAt = await untilShown(() => document.querySelector('[data-testid="sequence-canvas"]') !== null, 'the sequence view');
    responses.push(shownAt - start);
    await pause(150);
    if (i < times - 1) {
      element('[data-testid="sequence-close"]').click();
      await pause(150);
    }
  }
  return { responses, framesBefore, framesAfter: probe.frames.length };
}`;

export type SequenceActionResult = ActionResult;

export async function openSequenceView(page: Page, times: number): Promise<SequenceActionResult> {
  return runInPage<SequenceActionResult>(page, OPEN_SEQUENCE_SCRIPT, times);
}
