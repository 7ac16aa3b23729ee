/**
 * The HTML report in a real browser (Debian's headless Chromium): its screenshot is a page
 * with content, its DOM holds the title, both SVG charts and the tables, and loading it made
 * no network request — Chromium is pointed at a proxy this test runs, which must see nothing,
 * while a control page with one remote image does reach it (so the test can fail).
 * Without Chromium the tests are skipped with a line saying so; with CI=true they fail.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cli, cliJson, tmpDir } from '../helpers.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
const skip = CHROMIUM === undefined && process.env.CI !== 'true';
if (skip) console.warn('report-chromium: SKIPPED, no chromium at /usr/bin/chromium (apt-get install chromium; with CI=true this is a failure)');

const FIXTURE = path.join(ROOT, 'fixtures', 'trading-sample.ndjson');
let dir: string;
let proxy: http.Server;
let port: number;
const requests: string[] = [];

/**
 * Chromium's own services still call these hosts whatever the flags (the component updater's
 * update check, sign-in, network time), before and independent of any page. They are left out
 * of what the page is charged with; nothing else is, and the report itself names no host at
 * all (checked below), so it cannot be the one asking them.
 */
const BROWSER_SERVICES = /^(CONNECT |[A-Z]+ http:\/\/)(update\.googleapis\.com|accounts\.google\.com|clients2\.google\.com)[:/]/;
const pageRequests = () => requests.filter((r) => !BROWSER_SERVICES.test(r));

/** Runs headless Chromium through the test's proxy; resolves with its stdout. */
function chromium(args: string[]): Promise<string> {
  const base = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${fs.mkdtempSync(path.join(dir, 'profile-'))}`,
    // Chromium's own services (component updater, network time, sign-in) would use the proxy
    // too, before any page asks for anything: turned off, so that what remains is the page's.
    '--component-updater=disable', '--disable-default-apps', '--disable-extensions', '--disable-domain-reliability',
    '--disable-client-side-phishing-detection', '--no-pings', '--metrics-recording-only', '--safebrowsing-disable-auto-update',
    '--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,CertificateTransparencyComponentUpdater,DialMediaRouteProvider',
    `--proxy-server=http://127.0.0.1:${port}`,
  ];
  return new Promise((resolve, reject) => {
    // Asynchronous: the proxy lives in this process and must keep answering meanwhile.
    execFile(CHROMIUM ?? '/usr/bin/chromium', [...base, ...args], { timeout: 90_000, maxBuffer: 64 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`chromium failed: ${error.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

/** Width, height and RGB(A) pixels of an 8-bit PNG (the filters undone): enough to tell a page from a blank. */
function decodePng(png: Buffer): { width: number; height: number; channels: number; pixels: Buffer } {
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      channels = { 2: 3, 6: 4 }[data[9]!] ?? 0;
      expect(channels).toBeGreaterThan(0);
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter]!;
      pixels[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

beforeAll(async () => {
  if (skip) return;
  dir = tmpDir('evtrail-report-chromium-');
  const db = path.join(dir, 'sample.duckdb');
  expect(cli(['ingest', FIXTURE, '--db', db]).code).toBe(0);
  const r = cli(['report', '--out', path.join(dir, 'report.html'), '--db', db, '--trace', 'ord-00000001']);
  expect(r.code, r.stderr).toBe(0);
  proxy = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(404).end();
  });
  proxy.on('connect', (req, socket) => {
    requests.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  port = (proxy.address() as AddressInfo).port;
}, 120_000);
afterAll(async () => {
  if (skip) return;
  await new Promise((resolve) => proxy.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skip)('the HTML report in headless Chromium', () => {
  it('the control page with a remote image does reach the proxy', async () => {
    const page = path.join(dir, 'control.html');
    fs.writeFileSync(page, '<!DOCTYPE html><html><body><img src="http://example.invalid/x.png"></body></html>');
    requests.length = 0;
    await chromium(['--dump-dom', `file://${page}`]);
    expect(pageRequests()).toContain('GET http://example.invalid/x.png');
  }, 120_000);

  it('shows title, charts and tables, and makes no request', async () => {
    requests.length = 0;
    const dom = await chromium(['--dump-dom', `file://${path.join(dir, 'report.html')}`]);
    expect(dom).toContain('<title>evtrail audit report: ');
    expect(dom.match(/<svg class="chart"/g)).toHaveLength(2);
    // Bars drawn in both charts.
    expect(dom.match(/<rect [^>]*class="bar"/g)!.length).toBeGreaterThan(10);
    expect(dom.match(/<rect [^>]*class="sev-(error|warning|info)"/g)!.length).toBe(14);
    expect(dom.match(/<table/g)!.length).toBeGreaterThanOrEqual(5);
    for (const rule of ['order-overfill', 'schema-violation', 'saga-incomplete']) expect(dom).toContain(rule);
    expect(dom).toContain('ord-00000001');
    expect(pageRequests()).toEqual([]);
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/https?:|\/\/[a-z]|google/i);
  }, 120_000);

  it('renders to a screenshot that is not blank, without a request', async () => {
    requests.length = 0;
    const png = path.join(dir, 'report.png');
    await chromium([`--screenshot=${png}`, '--window-size=1280,2400', `file://${path.join(dir, 'report.html')}`]);
    const bytes = fs.readFileSync(png);
    expect(bytes.length).toBeGreaterThan(50_000);
    const { width, height, channels, pixels } = decodePng(bytes);
    expect([width, height]).toEqual([1280, 2400]);
    // Colours: the page background, white cards, text, blue bars, red and amber badges.
    const colours = new Map<number, number>();
    for (let i = 0; i < pixels.length; i += channels * 7) {
      const rgb = (pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!;
      colours.set(rgb, (colours.get(rgb) ?? 0) + 1);
    }
    const sampled = pixels.length / (channels * 7);
    const top = Math.max(...colours.values());
    expect(colours.size).toBeGreaterThan(50);
    expect(top / sampled).toBeLessThan(0.9);
    // The events chart's blue (#2f5bd3) is on the page.
    expect(colours.get(0x2f5bd3) ?? 0).toBeGreaterThan(100);
    expect(pageRequests()).toEqual([]);
  }, 120_000);

  it('shows each trace as a waterfall: an svg element with one bar per event, the critical path marked', async () => {
    requests.length = 0;
    const dom = await chromium(['--dump-dom', `file://${path.join(dir, 'report.html')}`]);
    const svgs = dom.match(/<svg class="waterfall"[^]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(1);
    const trace = cliJson<{ nodes: { id: string }[]; criticalPath: { eventIds: string[] } }>(['trace', 'ord-00000001', '--db', path.join(dir, 'sample.duckdb'), '--no-audit']);
    const rows = [...svgs[0]!.matchAll(/<g class="event[^"]*" data-id="([^"]+)"[^>]*data-critical="(true|false)"/g)];
    expect(rows.map((m) => m[1]).sort()).toEqual(trace.nodes.map((n) => n.id).sort());
    expect(rows.filter((m) => m[2] === 'true').map((m) => m[1]).sort()).toEqual([...trace.criticalPath.eventIds].sort());
    expect(svgs[0]!.match(/<rect [^>]*class="bar/g)).toHaveLength(trace.nodes.length);
    // The text tree is still there, folded.
    expect(dom).toContain('<details class="trace-text">');
    expect(pageRequests()).toEqual([]);
  }, 120_000);

  it('trace --svg opens in Chromium as a picture: well-formed, the bars drawn in the critical path\'s blue, the finding in red', async () => {
    const file = path.join(dir, 'ord-38.svg');
    const r = cli(['trace', 'ord-00000038', '--svg', '--out', file, '--db', path.join(dir, 'sample.duckdb')]);
    expect(r.code, r.stderr).toBe(0);
    const dom = await chromium(['--dump-dom', `file://${file}`]);
    // Chromium's XML parser reports a malformed file as a <parsererror> page.
    expect(dom).not.toContain('parsererror');
    expect(dom.startsWith('<svg xmlns="http://www.w3.org/2000/svg" class="waterfall"')).toBe(true);
    const png = path.join(dir, 'ord-38.png');
    await chromium([`--screenshot=${png}`, '--window-size=1100,420', `file://${file}`]);
    const { channels, pixels } = decodePng(fs.readFileSync(png));
    const count = (rgb: number) => {
      let n = 0;
      for (let i = 0; i < pixels.length; i += channels) if (((pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!) === rgb) n++;
      return n;
    };
    expect(count(0x2f5bd3)).toBeGreaterThan(2000);
    expect(count(0xdd3333)).toBeGreaterThan(20);
  }, 120_000);
});
