import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { pgLayout } from '../../src/ingest/stores/layouts.js';
import { natsTarget } from '../../src/ingest/stores/nats.js';
import { pgError, pgTarget } from '../../src/ingest/stores/postgres.js';

/** The pure parts of the event-store readers: layouts, URLs, error lines (no server, no DuckDB). */
describe('event-store sources without a server', () => {
  it('knows each preset\'s table, position column and columns; --schema and --table move it', () => {
    expect(pgLayout('messagedb', {})).toMatchObject({ schema: 'message_store', table: 'messages', positionColumn: 'global_position', resolveCausation: true });
    expect(pgLayout('marten', { schema: 'orders' })).toMatchObject({ schema: 'orders', table: 'mt_events', positionColumn: 'seq_id' });
    expect(pgLayout('emmett', {})).toMatchObject({ schema: 'public', table: 'emt_messages', positionColumn: 'global_position' });
    expect(pgLayout('emmett', { table: 'es.emt_messages' })).toMatchObject({ schema: 'es', table: 'emt_messages' });
    expect(pgLayout('table', { table: 'audit.events', positionColumn: 'seq' })).toMatchObject({ schema: 'audit', table: 'events', positionColumn: 'seq', columns: ['seq'] });
    expect(() => pgLayout('table', { positionColumn: 'seq' })).toThrow(/--preset table needs --table/);
    expect(() => pgLayout('table', { table: 'a.b' })).toThrow(/--map position=<column>/);
    expect(() => pgLayout('table', { table: 'a.b', positionColumn: 'x.y' })).toThrow(/--map position=<column>/);
    expect(() => pgLayout('canonical', {})).toThrow(UserError);
  });

  it('names a PostgreSQL source without its password, and fills in the user as psql does', () => {
    const layout = pgLayout('messagedb', {});
    const t = pgTarget('postgres://alice:s3cret@db.example:6543/events', layout);
    expect(t.uri).toBe('postgres://db.example:6543/events/message_store.messages');
    expect(t.where).toBe('db.example:6543/events');
    expect(t.uri + t.where).not.toContain('s3cret');
    const saved = { PGUSER: process.env.PGUSER, USER: process.env.USER };
    process.env.PGUSER = 'bob';
    try {
      const d = pgTarget('postgres://127.0.0.1/test', layout);
      expect(new URL(d.url).username).toBe('bob');
      expect(d.where).toBe('127.0.0.1:5432/test');
    } finally {
      if (saved.PGUSER === undefined) delete process.env.PGUSER;
      else process.env.PGUSER = saved.PGUSER;
    }
    expect(() => pgTarget('postgres://[bad', layout)).toThrow(/not a valid URL/);
  });

  it('turns server errors into one line naming the host and what failed', () => {
    const layout = pgLayout('marten', {});
    const t = pgTarget('postgres://u@h:5432/d', layout);
    const line = (e: unknown) => pgError(e, t, layout).message;
    expect(line(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('PostgreSQL at h:5432/d: connection refused');
    expect(line(Object.assign(new Error('password authentication failed for user "u"'), { code: '28P01' }))).toMatch(/^PostgreSQL at h:5432\/d: authentication failed/);
    expect(line(Object.assign(new Error('database "d" does not exist'), { code: '3D000' }))).toBe('PostgreSQL at h:5432/d: database "d" does not exist');
    expect(line(Object.assign(new Error('relation does not exist'), { code: '42P01' }))).toBe('PostgreSQL at h:5432/d: no table public.mt_events');
    expect(line(new Error('Connection terminated due to connection timeout'))).toBe('PostgreSQL at h:5432/d: connection timed out');
    for (const e of [new Error('x\ny'), { code: '28000', message: 'a\nb' }]) expect(line(e)).not.toContain('\n');
  });

  it('reads nats:// URLs, --stream and --since', () => {
    const t = natsTarget('nats://127.0.0.1:4222', 'ORDERS', 'orders.>', '2025-08-26T09:00Z');
    expect(t).toMatchObject({ where: '127.0.0.1:4222', stream: 'ORDERS', since: '2025-08-26T09:00:00.000Z', uri: 'nats://127.0.0.1:4222/ORDERS?subject=orders.>' });
    expect(natsTarget('nats://h', 'S', undefined, undefined).uri).toBe('nats://h:4222/S');
    expect(() => natsTarget('nats://h', undefined, undefined, undefined)).toThrow(/which JetStream stream/);
    expect(() => natsTarget('nats://h', 'S', undefined, 'yesterday')).toThrow(/--since yesterday: not a time/);
    expect(() => natsTarget('nats://h', 'S', undefined, '2025-13-45T00:00Z')).toThrow(/not a time/);
  });
});
