/**
 * The desktop app's main process: reads the options, starts or attaches to a hub, opens the window
 * and bridges it to the hub over IPC. The decisions live in shell/*.ts, testable without Electron.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { app, dialog, ipcMain, session } from 'electron';
import { BridgeService } from '../bridge/BridgeService';
import type { HubBackend } from '../bridge/HubBackend';
import { APP_USAGE, AppOptionsError, parseAppOptions, userArguments, type AppOptions } from './appOptions';
import { attachBackend, chooseBackend } from './chooseBackend';
import { confirmClose } from './closeConfirmation';
import { createMainWindow, hardenSession, hardenWebContents } from './createMainWindow';
import { wireIpcBridge } from './ipcBridge';
import { appFiles } from './windowSecurity';

let backend: HubBackend | null = null;
let stopping: Promise<void> | null = null;

/** Stops the hub (or detaches from it) once, then exits: every way out of the app ends here. */
function stopAndExit(code: number): Promise<void> {
  stopping ??= (async () => {
    try {
      await backend?.close();
    } catch (err) {
      console.error(`relayscope: stopping the hub failed: ${errorText(err)}`);
    }
    app.exit(code);
  })();
  return stopping;
}

function fail(code: number, title: string, message: string): void {
  console.error(`relayscope: ${message}`);
  dialog.showErrorBox(title, message);
  void stopAndExit(code);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Asks whether to watch the hub that already serves the address; null when the user declines. */
async function openBackend(options: AppOptions): Promise<HubBackend | null> {
  const choice = await chooseBackend(options, (line) => console.error(`relayscope: warning: ${line}`));
  if (choice.outcome !== 'live hub found') return choice.backend;
  const { response } = await dialog.showMessageBox({
    type: 'question',
    title: 'Relayscope',
    message: `A hub is already running on ${choice.address}.`,
    detail: 'Relayscope can attach to it as a monitor: you see its modules and traffic and can inject messages and kick modules. Closing Relayscope then leaves that hub running.',
    buttons: ['Attach as monitor', 'Quit'],
    defaultId: 0,
    cancelId: 1,
    noLink: true,
  });
  return response === 0 ? attachBackend(choice.address, options.token) : null;
}

/** Only in a source checkout: a packaged app gets its icon from the installer. */
function iconFile(): string | undefined {
  const icon = path.join(__dirname, '..', '..', '..', 'resources', 'icon.png');
  return fs.existsSync(icon) ? icon : undefined;
}

function showWindow(hub: HubBackend): void {
  const files = appFiles(__dirname);
  const window = createMainWindow(files, iconFile());
  const unwire = wireIpcBridge(ipcMain, new BridgeService(hub), window.webContents, files.indexUrl);

  let closeApproved = false;
  let asking = false;
  window.on('close', (event) => {
    if (closeApproved) return;
    event.preventDefault();
    if (asking) return;
    asking = true;
    void confirmClose(hub, async (question) => {
      const { response } = await dialog.showMessageBox(window, {
        type: 'warning',
        title: 'Relayscope',
        message: question.message,
        detail: question.detail,
        buttons: question.buttons,
        defaultId: 1,
        cancelId: 1,
        noLink: true,
      });
      return response === 0;
    })
      // A message box that cannot open must not trap the window: closing still stops the hub cleanly.
      .catch(() => true)
      .then((approved) => {
        asking = false;
        if (approved) {
          closeApproved = true;
          window.close();
        }
      });
  });
  window.once('closed', () => {
    unwire();
    void stopAndExit(0);
  });
  window.loadFile(files.indexHtml).catch((err: unknown) => fail(1, 'Relayscope cannot show its window', `cannot load ${files.indexHtml} (run "npx vite build"): ${errorText(err)}`));
}

async function start(options: AppOptions): Promise<void> {
  await app.whenReady();
  hardenSession(session.defaultSession);
  try {
    backend = await openBackend(options);
  } catch (err) {
    fail(1, 'Relayscope cannot start its hub', errorText(err));
    return;
  }
  if (backend === null) await stopAndExit(0);
  else showWindow(backend);
}

// Before 'ready', so every renderer is sandboxed whatever a window asks for.
app.enableSandbox();
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
// The windows' 'closed' handler stops the hub and exits; quitting on its own would not wait for that.
app.on('window-all-closed', () => {});
app.on('will-quit', (event) => {
  event.preventDefault();
  void stopAndExit(0);
});
// A signal is a request to stop, not to ask: the hub still says goodbye to its modules.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopAndExit(0));

let options: AppOptions | null = null;
try {
  options = parseAppOptions(userArguments(process.argv, process.defaultApp === true));
} catch (err) {
  if (!(err instanceof AppOptionsError)) throw err;
  fail(2, 'Relayscope: wrong arguments', `${err.message}\n${APP_USAGE}`);
}
if (options !== null) {
  if (options.ignored.length > 0) console.error(`relayscope: ignoring arguments it does not know: ${options.ignored.join(' ')}`);
  void start(options);
}
