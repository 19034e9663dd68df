import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appFiles, CONTENT_SECURITY_POLICY, isAppMainFrame, secureWebPreferences } from '../../electron/shell/windowSecurity';

describe('the window security settings', () => {
  it('isolate the page from Node and from the preload, sandboxed, per the Electron security checklist', () => {
    const preferences = secureWebPreferences('/app/dist/electron/shell/preload.js');
    expect(preferences).toMatchObject({
      preload: '/app/dist/electron/shell/preload.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('send a CSP header that allows the app its own scripts and no network, plugins or frames', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((directive) => [directive.split(' ')[0], directive.slice(directive.indexOf(' ') + 1)]));
    expect(directives.get('default-src')).toBe("'none'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('connect-src')).toBe("'none'");
    expect(directives.get('object-src')).toBe("'none'");
    expect(directives.get('frame-src')).toBe("'none'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
  });

  it('find the preload next to main.js and the page in dist/renderer', () => {
    const files = appFiles('/app/dist/electron/shell');
    expect(files).toEqual({ preload: '/app/dist/electron/shell/preload.js', indexHtml: path.join('/app/dist/renderer/index.html'), indexUrl: 'file:///app/dist/renderer/index.html' });
  });
});

describe('the IPC sender check', () => {
  const indexUrl = 'file:///app/dist/renderer/index.html';

  it("accepts the window's main frame showing the app's index.html, with or without a fragment", () => {
    expect(isAppMainFrame({ url: indexUrl, parent: null }, indexUrl)).toBe(true);
    expect(isAppMainFrame({ url: `${indexUrl}#/modules`, parent: null }, indexUrl)).toBe(true);
  });

  it('refuses a subframe, another file, another scheme, a query, a missing frame and a malformed URL', () => {
    expect(isAppMainFrame({ url: indexUrl, parent: { url: indexUrl } }, indexUrl)).toBe(false);
    expect(isAppMainFrame({ url: 'file:///tmp/evil.html', parent: null }, indexUrl)).toBe(false);
    expect(isAppMainFrame({ url: 'https://example.com/app/dist/renderer/index.html', parent: null }, indexUrl)).toBe(false);
    expect(isAppMainFrame({ url: `${indexUrl}?x=1`, parent: null }, indexUrl)).toBe(false);
    expect(isAppMainFrame({ url: 'file://otherhost/app/dist/renderer/index.html', parent: null }, indexUrl)).toBe(false);
    expect(isAppMainFrame(null, indexUrl)).toBe(false);
    expect(isAppMainFrame({ url: 'not a url', parent: null }, indexUrl)).toBe(false);
  });
});
