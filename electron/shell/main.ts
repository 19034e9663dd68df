/**
 * The desktop app's main process: reads the options, starts or attaches to a hub, opens the window
 * and bridges it to the hub over IPC. The decisions live in shell/*.ts, testable without Electron.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { app, type BrowserWindow, dialog, ipcMain, Menu, session } from 'electron';
import type { BridgeService } from '../bridge/BridgeService';
import type { HubBackend } from '../bridge/HubBackend';
import { OfflineBackend } from '../bridge/OfflineBackend';
import { APP_USAGE, AppOptionsError, parseAppOptions, userArguments, type AppOptions } from './appOptions';
import { wantsHelp } from '../cli/args';
import { clockMillis } from '../cli/format';
import { AppBackend, recordFromStart } from './backendLifecycle';
import { attachBackend, chooseBackend } from './chooseBackend';
import { type CloseQuestion, confirmClose } from './closeConfirmation';
import { CAPTURE_FILE_FILTERS, droppedCapture } from './droppedCapture';
import { createMainWindow, hardenSession, hardenWebContents } from './createMainWindow';
import { wireIpcBridge } from './ipcBridge';
import { appFiles } from './windowSecurity';

function report(line: string): void {
  console.error(`relayscope: ${line}`);
}

const backends = new AppBackend(report);
let stopping: Promise<void> | null = null;

/** Stops the hub (or detaches from it) once, then exits: every way out of the app ends here. */
function stopAndExit(code: number): Promise<void> {
  stopping ??= backends.stop().then(() => app.exit(code));
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
  const choosing = chooseBackend(options.target, {
    warn: (line) => report(`warning: ${line}`),
    log: (line) => process.stdout.write(`${clockMillis()} ${line}\n`),
  });
  // A signal while the hub starts must still find it to stop it.
  backends.track(choosing.then((choice) => (choice.outcome === 'live hub found' ? null : choice.backend)));
  const choice = await choosing;
  if (choice.outcome === 'started local hub') for (const line of choice.announcements) process.stdout.write(`${line}\n`);
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
  if (response !== 0) return null;
  const attaching = attachBackend(choice.address, choice.token);
  backends.track(attaching);
  return attaching;
}

/** Only in a source checkout: a packaged app gets its icon from the installer. */
function iconFile(): string | undefined {
  const icon = path.join(__dirname, '..', '..', '..', 'resources', 'icon.png');
  return fs.existsSync(icon) ? icon : undefined;
}

function askInWindow(window: BrowserWindow): (question: CloseQuestion) => Promise<boolean> {
  return async (question) => {
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
  };
}

/** File → Open Recording…, and the usual edit and window menus (copy and paste in the filter and composer). */
function applicationMenu(openRecording: () => void): Menu {
  return Menu.buildFromTemplate([
    { label: 'File', submenu: [{ label: 'Open Recording…', accelerator: 'CmdOrCtrl+O', click: openRecording }, { type: 'separator' }, { role: 'quit' }] },
    { role: 'editMenu' },
    { role: 'windowMenu' },
  ]);
}

/** Opens the window onto `hub`; returns the bridge to it (for --record). */
function showWindow(hub: HubBackend): BridgeService {
  const files = appFiles(__dirname);
  const window = createMainWindow(files, iconFile());
  let unwire = (): void => {};
  const wire = (next: HubBackend): BridgeService => {
    const bridge = backends.use(next);
    unwire = wireIpcBridge(ipcMain, bridge, window.webContents, files.indexUrl);
    return bridge;
  };
  const first = wire(hub);

  /**
   * Shows a recording in this window instead of what it shows now. A hub of the app's own stops,
   * so the same question as on close is asked first; the page reloads onto the new backend.
   */
  const openRecording = async (file: string): Promise<void> => {
    const current = backends.backend;
    if (current !== null && !(await confirmClose(current, askInWindow(window)).catch(() => true))) return;
    let next: OfflineBackend;
    try {
      next = await OfflineBackend.open(file);
    } catch (err) {
      dialog.showErrorBox('Relayscope cannot open the recording', errorText(err));
      return;
    }
    unwire();
    await backends.closeCurrent();
    wire(next);
    window.webContents.reload();
  };
  // Dropping a file on the window navigates to it; hardenWebContents refuses that, and a capture file is opened instead.
  window.webContents.on('will-navigate', (_event, url) => {
    const file = droppedCapture(url);
    if (file !== null) void openRecording(file);
  });
  Menu.setApplicationMenu(
    applicationMenu(() => {
      void dialog.showOpenDialog(window, { title: 'Open a recording', properties: ['openFile'], filters: CAPTURE_FILE_FILTERS }).then(({ canceled, filePaths }) => {
        if (!canceled && filePaths[0] !== undefined) void openRecording(filePaths[0]);
      });
    }),
  );

  let closeApproved = false;
  let asking = false;
  window.on('close', (event) => {
    if (closeApproved) return;
    event.preventDefault();
    const current = backends.backend;
    if (asking || current === null) return;
    asking = true;
    void confirmClose(current, askInWindow(window))
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
  return first;
}

async function start(options: AppOptions): Promise<void> {
  await app.whenReady();
  hardenSession(session.defaultSession);
  let opened: HubBackend | null;
  try {
    opened = await openBackend(options);
  } catch (err) {
    fail(1, 'Relayscope cannot start its hub', errorText(err));
    return;
  }
  if (opened === null) {
    await stopAndExit(0);
    return;
  }
  const shown = showWindow(opened);
  try {
    const file = await recordFromStart(shown, options.target);
    if (file !== null) process.stdout.write(`relayscope: recording to ${file}\n`);
  } catch (err) {
    fail(1, 'Relayscope cannot record', errorText(err));
  }
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

const args = userArguments(process.argv, process.defaultApp === true);
let options: AppOptions | null = null;
try {
  // --help (or -h) as relayscope serve --help would: the usage, and no hub started.
  if (wantsHelp(args)) {
    process.stdout.write(`${APP_USAGE}\n`);
    app.exit(0);
  } else options = parseAppOptions(args);
} catch (err) {
  if (!(err instanceof AppOptionsError)) throw err;
  fail(2, 'Relayscope: wrong arguments', `${err.message}\n${APP_USAGE}`);
}
if (options !== null) {
  if (options.ignored.length > 0) console.error(`relayscope: ignoring arguments it does not know: ${options.ignored.join(' ')}`);
  void start(options);
}
