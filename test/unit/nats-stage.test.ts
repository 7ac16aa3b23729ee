import fs from 'node:fs';
import path from 'node:path';
import { headers } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { StageWriter, binaryCloudEvent, decodeHeaderValue, rawSafe, serverNanos } from '../../src/ingest/stores/nats-range.js';
import { tmpDir } from '../helpers.js';

describe('JetStream stage lines (nats-range.ts)', () => {
  it('the stage writer keeps every line whole and in order across buffer flips and lines larger than a buffer', async () => {
    const file = path.join(tmpDir(), 'stage.txt');
    const handle = await fs.promises.open(file, 'w');
    const want: Buffer[] = [];
    try {
      const out = new StageWriter(handle);
      for (let i = 0; i < 3000; i++) {
        // Mostly small lines; every 997th one 5 MB, larger than a buffer (4 MB).
        const payload = Buffer.alloc(i % 997 === 5 ? 5 << 20 : 100 + (i % 50) * 40, String.fromCharCode(97 + (i % 26)));
        const head = `${i}\x1fr\x1f\x1fsubj.${i}\x1f`;
        const wait = out.line(head, payload);
        if (wait) await wait;
        want.push(Buffer.from(head), payload, Buffer.from('\n'));
      }
      await out.close();
    } finally {
      await handle.close();
    }
    expect(fs.readFileSync(file).equals(Buffer.concat(want))).toBe(true);
  });

  it('a payload goes raw only when it holds no line break or US byte and is UTF-8', () => {
    expect(rawSafe(Buffer.from('{"a":"é"}'))).toBe(true);
    for (const bad of ['{"a":\n1}', '{"a":\r1}', '{"a":"\x1f"}']) expect(rawSafe(Buffer.from(bad)), JSON.stringify(bad)).toBe(false);
    expect(rawSafe(Uint8Array.of(0x7b, 0xff, 0x7d))).toBe(false);
  });

  it('a binary-mode CloudEvent becomes the structured event; structured mode stays as it is', () => {
    const h = headers();
    h.set('ce-specversion', '1.0');
    h.set('ce-id', 'e-1');
    h.set('Ce-Type', 'OrderPlaced');
    h.set('content-type', 'application/json; charset=utf-8');
    expect(JSON.parse(binaryCloudEvent({ headers: h, data: Buffer.from('{"qty":5}') })!.event)).toEqual({
      specversion: '1.0', id: 'e-1', type: 'OrderPlaced', datacontenttype: 'application/json; charset=utf-8', data: { qty: 5 },
    });
    // JSON media type, but the payload is not JSON: kept as text.
    expect(JSON.parse(binaryCloudEvent({ headers: h, data: Buffer.from('not json') })!.event).data).toBe('not json');
    // No payload: no data member.
    expect(JSON.parse(binaryCloudEvent({ headers: h, data: new Uint8Array(0) })!.event)).not.toHaveProperty('data');
    const plain = headers();
    plain.set('X-Trace', 't');
    expect(binaryCloudEvent({ headers: plain, data: Buffer.from('{}') })).toBeNull();
    expect(binaryCloudEvent({ headers: undefined, data: Buffer.from('{}') })).toBeNull();
  });

  it('ce- header values: unquoted, then one round of percent-decoding; bad escapes and invalid UTF-8 are null', () => {
    expect(decodeHeaderValue('Euro%20%E2%82%AC%20%F0%9F%98%80')).toBe('Euro € 😀');
    expect(decodeHeaderValue('lower%c3%a9')).toBe('loweré');
    expect(decodeHeaderValue('%41%42c')).toBe('ABc'); // encoded without need: accepted
    expect(decodeHeaderValue('%2541')).toBe('%41'); // one round only
    expect(decodeHeaderValue('"a \\"b\\" %25"')).toBe('a "b" %');
    expect(decodeHeaderValue('plain+text=1')).toBe('plain+text=1');
    expect(decodeHeaderValue('é%20')).toBe('é '); // a character that should have been encoded is kept
    for (const bad of ['%C0%A0', '%FF', '100%', '%G1', '%E2%82']) expect(decodeHeaderValue(bad), bad).toBeNull();
  });

  it("the server's time is the digits of the ack subject, in its old and new forms", () => {
    const msg = (reply: string) => ({ reply, timestampNanos: 0n });
    expect(serverNanos(msg('$JS.ACK.ORDERS.oc_1.1.42.42.1756200600123456789.7'))).toBe('1756200600123456789');
    expect(serverNanos(msg('$JS.ACK._.ACCHASH.ORDERS.oc_1.1.42.42.1756200600123456789.7'))).toBe('1756200600123456789');
    expect(serverNanos(msg('$JS.ACK.dom.ACCHASH.ORDERS.oc_1.1.42.42.1756200600123456789.7.r4nd0m'))).toBe('1756200600123456789');
  });
});
