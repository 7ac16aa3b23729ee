import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliJson, tmpDir } from '../helpers.js';
import { martenDdl } from '../marten.js';
import { PG_URL, skipWithout } from '../servers.js';

/**
 * A Marten log as a .NET service writes it (issue 17 points 8 and 1): Marten's own type names
 * (snake case of the class: `order_placed`) and System.Text.Json's PascalCase bodies
 * (`{"OrderId": …, "Quantity": …}`), in a table built with Marten 9.29.0's DDL (test/marten.ts)
 * and written through its quick-append function, with conjoined tenancy. Read through a
 * vocabulary mapping kept in the store, the trading pack's rules, projections, saga and trace
 * keys apply; --tenant keeps one tenant's events.
 */
const skip = await skipWithout('postgres', 'stores-vocabulary');

const placed = (id: string, qty: number) => ({ OrderId: id, AccountId: 'acc-1', Symbol: 'MSFT', Side: 'BUY', Quantity: qty, LimitPrice: 410.5, OrderType: 'LIMIT' });

describe.skipIf(skip)('a Marten log in .NET spelling, read through a vocabulary mapping', { timeout: 300_000 }, () => {
  let dir: string;
  let client: pg.Client;
  let schema: string;
  let db: string;
  let plainDb: string;

  beforeAll(async () => {
    dir = tmpDir();
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    schema = `evt_vocab_${crypto.randomBytes(4).toString('hex')}`;
    await client.query(martenDdl(schema));
    let t = Date.parse('2026-03-02T14:00:00Z');
    const append = async (tenant: string, stream: string, events: [string, object][]) => {
      // Marten's quick append stamps now(); the times are set after, a second apart, for stable output.
      const { rows } = await client.query<{ r: string[] }>(
        `SELECT ${schema}.mt_quick_append_events($1, 'Order', $2, $3::uuid[], $4::varchar[], $5::varchar[], $6::jsonb[], $7::bytea[], $8::varchar[], $9::varchar[], $10::jsonb[], $11::varchar[])::text[] AS r`,
        [stream, tenant, events.map(() => crypto.randomUUID()), events.map(([type]) => type),
          events.map(([type]) => `Trading.${type.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}, Trading`),
          events.map(([, data]) => JSON.stringify(data)), events.map(() => null),
          events.map(() => null), events.map(() => `corr-${stream}`), events.map(() => null), events.map(() => 'svc-oms')],
      );
      for (const seq of rows[0]!.r.slice(1)) {
        await client.query(`UPDATE ${schema}.mt_events SET timestamp = $1 WHERE seq_id = $2`, [new Date((t += 1000)).toISOString(), seq]);
      }
    };
    // ord-1 (default tenant): filled 150 of 100, an overfill.
    await append('*DEFAULT*', 'order-ord-1', [
      ['order_placed', placed('ord-1', 100)],
      ['risk_check_passed', { OrderId: 'ord-1', ExposureAfter: 41050 }],
      ['order_routed', { OrderId: 'ord-1', Venue: 'XNAS' }],
      ['order_acknowledged', { OrderId: 'ord-1', VenueOrderId: 'v-1' }],
      ['order_filled', { OrderId: 'ord-1', FillQty: 150, FillPrice: 410.5, CumQty: 150, LeavesQty: 0, TradeId: 't-1' }],
    ]);
    // ord-2 (tenant acme): clean, settled.
    await append('acme', 'order-ord-2', [
      ['order_placed', placed('ord-2', 10)],
      ['risk_check_passed', { OrderId: 'ord-2', ExposureAfter: 4105 }],
      ['order_routed', { OrderId: 'ord-2', Venue: 'XNAS' }],
      ['order_acknowledged', { OrderId: 'ord-2', VenueOrderId: 'v-2' }],
      ['order_filled', { OrderId: 'ord-2', FillQty: 10, FillPrice: 410, CumQty: 10, LeavesQty: 0, TradeId: 't-2' }],
      ['settlement_completed', { OrderId: 'ord-2', Amount: 4100, Currency: 'USD' }],
    ]);
    // ord-3 (tenant globex): routed with no risk check, then cancelled.
    await append('globex', 'order-ord-3', [
      ['order_placed', placed('ord-3', 5)],
      ['order_routed', { OrderId: 'ord-3', Venue: 'XNYS' }],
      ['order_cancel_requested', { OrderId: 'ord-3' }],
      ['order_cancelled', { OrderId: 'ord-3', LeavesQty: 5 }],
    ]);
    // The mapping: Marten's type names and the PascalCase fields match the pack's loosely
    // (auto); Quantity is another word for qty, said explicitly.
    const config = path.join(dir, 'evtrail.config.json');
    fs.writeFileSync(config, JSON.stringify({ vocabulary: { auto: true, fields: { Quantity: 'qty' } } }));
    db = path.join(dir, 'mapped.duckdb');
    const ingest = cliJson(['ingest', PG_URL, '--preset', 'marten', '--schema', schema, '--config', config, '--db', db]);
    expect(ingest.ingested).toBe(15);
    expect(ingest.vocabulary.types.order_placed).toBe('OrderPlaced');
    expect(ingest.vocabulary.fields).toMatchObject({ Quantity: 'qty', OrderId: 'orderId', FillQty: 'fillQty', LimitPrice: 'limitPrice' });
    expect(ingest.vocabulary.automatic.fields).not.toContain('Quantity');
    plainDb = path.join(dir, 'plain.duckdb');
    cliJson(['ingest', PG_URL, '--preset', 'marten', '--schema', schema, '--db', plainDb]);
  }, 300_000);

  afterAll(async () => {
    await client?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client?.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('without a mapping the trading rules are skipped (0% of the events); with it, audit runs them and finds the injected violations', () => {
    const plain = cli(['audit', '--db', plainDb, '--json']);
    const plainRules = JSON.parse(plain.stdout).rules as { id: string; status: string; reason?: string }[];
    expect(plainRules.find((r) => r.id === 'order-overfill')).toMatchObject({ status: 'skipped' });
    expect(plainRules.find((r) => r.id === 'order-overfill')!.reason).toMatch(/does not speak the trading vocabulary \(0% of its events/);

    const mapped = cli(['audit', '--db', db, '--json']);
    expect(mapped.code).toBe(1);
    const doc = JSON.parse(mapped.stdout);
    expect(doc.packs.find((p: { id: string }) => p.id === 'trading').active).toBe(true);
    const by = (rule: string) => doc.violations.filter((v: { rule: string }) => v.rule === rule).map((v: { stream: string }) => v.stream);
    expect(by('order-overfill')).toEqual(['order-ord-1']);
    expect(by('route-without-risk-check')).toEqual(['globex/order-ord-3']);
    expect(by('schema-violation')).toEqual([]);
    expect(by('unknown-event-type')).toEqual([]);
    expect(doc.vocabulary.fields.Quantity).toBe('qty');
    // The text output says what the log was read through.
    const text = cli(['audit', '--db', db]);
    expect(text.stdout).toMatch(/Read through the store's vocabulary mapping: .*type order_placed → OrderPlaced \(auto\), /);
    expect(text.stdout).toMatch(/Read through the store's vocabulary mapping: .*data\.Quantity → data\.qty, .*data\.OrderId → data\.orderId \(auto\)/);
    // info shows the mapping.
    const info = cliJson(['info', '--db', db]);
    expect(info.vocabulary.types.order_filled).toBe('OrderFilled');
    expect(cli(['info', '--db', db]).stdout).toMatch(/vocabulary mapping[\s\S]*data field\s+Quantity\s+qty\s+config/);
  });

  it('replay orders and trace by order id work on the mapped log; the events themselves are unchanged', () => {
    const orders = cliJson(['replay', '--projection', 'orders', '--db', db]).rows as Record<string, unknown>[];
    expect(orders.map((o) => [o.orderId, o.qty, o.cumQty, o.status, o.venue])).toEqual([
      ['ord-1', 100, 150, 'FILLED', 'XNAS'],
      ['ord-2', 10, 10, 'SETTLED', 'XNAS'],
      ['ord-3', 5, 0, 'CANCELLED', 'XNYS'],
    ]);
    expect(cliJson(['replay', '--projection', 'orders', '--key', 'ord-2', '--db', db]).rows.map((o: { orderId: string }) => o.orderId)).toEqual(['ord-2']);

    const trace = cliJson(['trace', 'ord-1', '--db', db]);
    expect(trace.query).toMatchObject({ as: 'key', keyPath: 'data.orderId' });
    expect(trace.nodes.map((n: { type: string }) => n.type)).toEqual(['OrderPlaced', 'RiskCheckPassed', 'OrderRouted', 'OrderAcknowledged', 'OrderFilled']);
    expect(trace.sagas[0]).toMatchObject({ key: 'ord-1' });
    // query and the stored rows keep the source's spelling; verify passes (the hashes are the source's).
    const raw = cliJson(['query', "select type, data->>'Quantity' AS q from events order by seq limit 1", '--db', db]);
    expect(raw).toEqual([{ type: 'order_placed', q: '100' }]);
    expect(cli(['verify', '--db', db]).code).toBe(0);
  });

  it('a vocabulary naming a type no pack has is refused before anything is read, naming the file', () => {
    const bad = path.join(dir, 'bad.config.json');
    fs.writeFileSync(bad, JSON.stringify({ vocabulary: { types: { placed: 'OrderPlacd' } } }));
    const r = cli(['ingest', PG_URL, '--preset', 'marten', '--schema', schema, '--config', bad, '--db', path.join(dir, 'bad.duckdb')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`evtrail: ${bad}: vocabulary.types.placed: "OrderPlacd" is not a type of any pack\nhint: a pack's type, e.g. OrderPlaced, OrderRouted, OrderAcknowledged, OrderPartiallyFilled (evtrail audit --list shows the packs)\n`);
    expect(fs.existsSync(path.join(dir, 'bad.duckdb'))).toBe(false);
  });

  it('--tenant keeps one tenant: audit, replay, trace, query; an unknown tenant names the ones there are', () => {
    const globex = cliJson(['audit', '--db', db, '--tenant', 'globex', '--fail-on', 'none']);
    expect(globex.tenant).toBe('globex');
    expect(globex.events).toBe(4);
    expect(globex.violations.map((v: { rule: string; stream: string }) => [v.rule, v.stream])).toEqual([['route-without-risk-check', 'globex/order-ord-3']]);
    const acme = cliJson(['audit', '--db', db, '--tenant', 'acme']);
    expect(acme.violations).toEqual([]);

    expect(cliJson(['replay', '--projection', 'orders', '--tenant', 'acme', '--db', db]).rows.map((o: { orderId: string }) => o.orderId)).toEqual(['ord-2']);
    expect(cliJson(['trace', 'ord-3', '--tenant', 'globex', '--db', db]).nodes).toHaveLength(4);
    const other = cli(['trace', 'ord-3', '--tenant', 'acme', '--db', db]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/^evtrail: no event id, stream, business key or correlation id "ord-3" in the store/);
    expect(cliJson(['query', 'select count(*)::INTEGER AS n from events', '--tenant', '*DEFAULT*', '--db', db])).toEqual([{ n: 5 }]);

    const unknown = cli(['audit', '--db', db, '--tenant', 'initech']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^evtrail: no events of tenant "initech" in the store\nhint: tenants in the store: acme \(6\), \*DEFAULT\* \(5\), globex \(4\)/);
  });
});
