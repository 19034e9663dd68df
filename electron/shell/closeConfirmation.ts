import type { HubBackend, HubBackendDescription } from '../bridge/HubBackend';

/** The question to put to the user before closing the window, as a message box shows it. */
export interface CloseQuestion {
  message: string;
  detail: string;
  /** [confirm, cancel] */
  buttons: [string, string];
}

/**
 * Closing the window stops the app's own hub, which disconnects every module on it, so that needs
 * a yes; with no modules connected, or when attached to a hub that keeps running, nothing is lost.
 */
export function closeQuestion(description: HubBackendDescription, connectedModules: readonly string[]): CloseQuestion | null {
  if (description.attachedTo !== null || connectedModules.length === 0) return null;
  const count = connectedModules.length;
  const shown = connectedModules.slice(0, 5).join(', ') + (count > 5 ? `, and ${count - 5} more` : '');
  return {
    message: `Stop the hub? ${count === 1 ? '1 module is' : `${count} modules are`} connected.`,
    detail: `Closing Relayscope stops the hub on ${description.listeners.join(', ')} and disconnects ${shown}.`,
    buttons: ['Stop the hub and close', 'Cancel'],
  };
}

/**
 * Decides whether the window may close: at once when closeQuestion has nothing to ask, otherwise
 * as the user answers `ask`. A hub that cannot say who is connected is treated as having nobody,
 * so a broken backend never keeps the window open.
 */
export async function confirmClose(backend: HubBackend, ask: (question: CloseQuestion) => Promise<boolean>): Promise<boolean> {
  let modules: string[];
  try {
    modules = (await backend.snapshot()).modules.map((module) => module.id);
  } catch {
    modules = [];
  }
  const question = closeQuestion(backend.describe(), modules);
  return question === null ? true : ask(question);
}
