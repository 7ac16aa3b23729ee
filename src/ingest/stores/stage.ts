/**
 * The relation a store reader leaves for the mapping, one row per record in position order,
 * `pos` its position in the source (global position, stream sequence): `(pos, line)` with a JSON
 * record per line (JetStream; with the canonical preset also the columns its expressions read
 * beside the record, Preset.stageColumns), or `pos` and one column per table column (PostgreSQL, described
 * by StoreRead.columns). A TEMP view over the files the reader wrote: nothing in it is the
 * store's until the ingest's transactions append the events.
 */
export const STAGE_TABLE = 'evt_store_stage';
