/**
 * The relation a store reader leaves for the mapping: `(pos, line)`, one JSON record per event
 * in position order, `pos` its position in the source (global position, stream sequence). A
 * TEMP view (over the pages the PostgreSQL reader wrote to a file, or over the raw JetStream
 * messages): nothing in it is the store's until the ingest's transaction appends the events.
 */
export const STAGE_TABLE = 'evt_store_stage';
