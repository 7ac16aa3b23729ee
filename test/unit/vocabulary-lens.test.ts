import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { looseName, packNames, resolveVocabulary } from '../../src/packs/vocabulary-map.js';
import { renameKeysSql, typeSql } from '../../src/store/lens.js';

describe('vocabulary mapping', () => {
  it('auto matches names that differ only in case and separators; explicit entries win; a type must be a pack type', () => {
    expect(looseName('order_placed')).toBe(looseName('OrderPlaced'));
    expect(packNames().fields).toEqual(expect.arrayContaining(['orderId', 'qty', 'fillQty']));
    const v = resolveVocabulary({ auto: true, fields: { Quantity: 'qty', OrderID: 'orderId' } }, ['order_placed', 'OrderFilled', 'Unrelated'], ['OrderID', 'FILL_QTY', 'Quantity', 'notes', 'qty']);
    expect(v.types).toEqual({ order_placed: 'OrderPlaced' });
    expect(v.fields).toEqual({ Quantity: 'qty', OrderID: 'orderId', FILL_QTY: 'fillQty' });
    expect(v.automatic).toEqual({ types: ['order_placed'], fields: ['FILL_QTY'] });
    // Without auto only the explicit map.
    expect(resolveVocabulary({ fields: { Quantity: 'qty' } }, ['order_placed'], ['OrderId']).types).toEqual({});
    expect(() => resolveVocabulary({ types: { placed: 'OrderPlacd' } }, [], [])).toThrow(/vocabulary\.types\.placed: "OrderPlacd" is not a type of any pack/);
  });

  it('renames keys at any depth, never inside string values, and keeps every digit of the values', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      const data = `{"OrderId":"o-1", "OrderType":"LIMIT", "Quantity" : 100.10000000000000000001, "Note":"{\\"OrderId\\":1}, \\"Quantity\\":", "Legs":[{"OrderId":"o-2"}], "a\\"OrderId":3}`;
      const sql = `SELECT ${renameKeysSql('d', { OrderId: 'orderId', Quantity: 'qty', OrderType: 'orderType', Side: 'side' })}::VARCHAR AS j, ${typeSql({ order_placed: 'OrderPlaced' })} AS t
        FROM (SELECT '${data.replaceAll("'", "''")}'::JSON AS d, 'order_placed' AS type)`;
      const [row] = (await conn.runAndReadAll(sql)).getRowObjectsJson() as { j: string; t: string }[];
      expect(row!.t).toBe('OrderPlaced');
      expect(row!.j).toBe(`{"orderId":"o-1", "orderType":"LIMIT", "qty" : 100.10000000000000000001, "Note":"{\\"OrderId\\":1}, \\"Quantity\\":", "Legs":[{"orderId":"o-2"}], "a\\"OrderId":3}`);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
