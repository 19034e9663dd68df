import { describe, expect, it } from 'vitest';
import { CAPTURE_FILE_FILTERS, droppedCapture } from '../../electron/shell/droppedCapture';

describe('a file dropped on the window', () => {
  it('is opened when its file: URL names a capture, whatever the case of its extension', () => {
    expect(droppedCapture('file:///home/me/run%201.mcap')).toBe('/home/me/run 1.mcap');
    expect(droppedCapture('file:///tmp/x.PCAPNG')).toBe('/tmp/x.PCAPNG');
    expect(droppedCapture('file:///tmp/x.jsonl')).toBe('/tmp/x.jsonl');
  });

  it('stays refused for any other file or scheme', () => {
    expect(droppedCapture('file:///etc/passwd')).toBeNull();
    expect(droppedCapture('file:///tmp/x.mcap.txt')).toBeNull();
    expect(droppedCapture('https://example.com/x.mcap')).toBeNull();
    expect(droppedCapture('file://remote-host/x.mcap')).toBeNull();
  });

  it('has the open dialog offer the same three extensions', () => {
    expect(CAPTURE_FILE_FILTERS[0].extensions).toEqual(['mcap', 'pcapng', 'jsonl']);
  });
});
