import type { Page } from '@playwright/test';

/**
 * What bench:ui's scripted actions share in the page: waiting for frames, waiting until a result is
 * shown, and typing into one of the page's inputs. Plain JavaScript in a string: it runs in the
 * browser, and bench/ is type-checked against Node's typings only (no DOM).
 */
const PAGE_HELPERS = `
  const probe = window.__uiLoadProbe;
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const element = (selector) => {
    const found = document.querySelector(selector);
    if (found === null) throw new Error('no ' + selector + ' in the page');
    return found;
  };
  // Tested at the start of each frame; once true, the frame after that one has been painted with it.
  const untilShown = async (shown, what, timeoutMs = 15000) => {
    const since = performance.now();
    while (!shown()) {
      if (performance.now() - since > timeoutMs) throw new Error('not shown within ' + timeoutMs + ' ms: ' + what);
      await frame();
    }
    await frame();
    await frame();
    return performance.now();
  };
  // One input event per character, as a keyboard makes them (React reads the value the native setter wrote).
  const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  const typeInto = async (input, text, gapMs) => {
    input.focus();
    let lastKeyAt = performance.now();
    for (let typed = 1; typed <= text.length; typed++) {
      if (typed > 1) await pause(gapMs);
      lastKeyAt = performance.now();
      setValue.call(input, text.slice(0, typed));
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }
    return lastKeyAt;
  };
  const clearInput = (input) => {
    setValue.call(input, '');
    input.dispatchEvent(new Event('input', { bubbles: true }));
  };
`;

/** Runs `script`, the text of an async function of one argument, in the page with the helpers above in scope. */
export async function runInPage<T>(page: Page, script: string, arg: unknown): Promise<T> {
  return (await page.evaluate(`(async () => {${PAGE_HELPERS}\n  return (${script})(${JSON.stringify(arg)});\n})()`)) as T;
}

/** One scripted action repeated: each response in ms, and the page probe's frame count when it started and ended. */
export interface ActionResult {
  responses: number[];
  framesBefore: number;
  framesAfter: number;
}
