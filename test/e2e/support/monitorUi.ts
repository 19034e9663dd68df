import type { Locator, Page } from '@playwright/test';

/** The monitor UI's parts, found by their data-testid hooks, and the steps a user takes with them. */
export class MonitorUi {
  constructor(readonly page: Page) {}

  get moduleRows(): Locator {
    return this.page.getByTestId('module-row');
  }

  moduleRow(id: string): Locator {
    return this.page.locator(`[data-testid="module-row"][data-module-id="${id}"]`);
  }

  get trafficRows(): Locator {
    return this.page.getByTestId('traffic-row');
  }

  /** Traffic rows of messages from `source` (and to `destination`, when given). */
  trafficRowsFrom(source: string, destination?: string): Locator {
    const to = destination === undefined ? '' : `[data-destination="${destination}"]`;
    return this.page.locator(`[data-testid="traffic-row"][data-source="${source}"]${to}`);
  }

  get filterText(): Locator {
    return this.page.getByTestId('filter-text');
  }

  get matchCount(): Locator {
    return this.page.getByTestId('match-count');
  }

  get pauseToggle(): Locator {
    return this.page.getByTestId('pause-toggle');
  }

  get pendingCount(): Locator {
    return this.page.getByTestId('pending-count');
  }

  get detailPane(): Locator {
    return this.page.getByTestId('detail-pane');
  }

  get statusBar(): Locator {
    return this.page.getByTestId('status-bar');
  }

  get composerResult(): Locator {
    return this.page.getByTestId('composer-result');
  }

  get composerError(): Locator {
    return this.page.getByTestId('composer-error');
  }

  /** Fills the composer and presses send; `source` left out keeps the composer's default. */
  async compose(message: { target: string; payload: string; source?: string; mode?: 'send' | 'request' }): Promise<void> {
    await this.page.getByTestId('composer-target').selectOption(message.target);
    if (message.source !== undefined) await this.page.getByTestId('composer-source').fill(message.source);
    await this.page.getByTestId('composer-mode').selectOption(message.mode ?? 'send');
    await this.page.getByTestId('composer-payload').fill(message.payload);
    await this.page.getByTestId('composer-send').click();
  }

  /** Presses the row's kick button and confirms in the question it asks. */
  async kick(id: string): Promise<void> {
    await this.moduleRow(id).getByTestId('kick-button').click();
    await this.page.getByTestId('kick-confirm-button').click();
  }
}
