/** Marten has no Node client: its tables and functions as its own DDL generation makes them (shared by the store tests). */

/**
 * Marten 9.29.0's event store objects for: conjoined tenancy, string stream identity, the
 * correlation, causation, headers and user-name metadata columns, quick append. Written out
 * from EventsTable, StreamsTable, the Metadata columns, QuickAppendEventFunction and
 * ArchiveStreamFunction (writeSimple), in the column order Marten declares them.
 */
export function martenDdl(s: string): string {
  return `CREATE SCHEMA ${s};
    CREATE SEQUENCE ${s}.mt_events_sequence;
    CREATE TABLE ${s}.mt_streams (
      tenant_id varchar NOT NULL DEFAULT '*DEFAULT*',
      id varchar NOT NULL,
      type varchar NULL,
      version bigint NULL,
      timestamp timestamptz NOT NULL DEFAULT (now()),
      created timestamptz NOT NULL DEFAULT (now()),
      is_archived bool NULL DEFAULT FALSE,
      CONSTRAINT pkey_mt_streams_tenant_id_id PRIMARY KEY (tenant_id, id)
    );
    CREATE TABLE ${s}.mt_events (
      seq_id bigint NOT NULL,
      id uuid NOT NULL,
      stream_id varchar NULL,
      version bigint NOT NULL,
      data jsonb NOT NULL,
      bdata bytea NULL,
      type varchar(500) NOT NULL,
      timestamp timestamp with time zone NOT NULL DEFAULT (now()),
      tenant_id varchar NULL DEFAULT '*DEFAULT*',
      mt_dotnet_type varchar NULL,
      correlation_id varchar NULL,
      causation_id varchar NULL,
      headers jsonb NULL,
      user_name varchar NULL,
      is_archived bool NULL DEFAULT FALSE,
      CONSTRAINT pkey_mt_events_seq_id PRIMARY KEY (seq_id),
      CONSTRAINT fkey_mt_events_stream_id_tenant_id FOREIGN KEY (tenant_id, stream_id) REFERENCES ${s}.mt_streams(tenant_id, id)
    );
    CREATE UNIQUE INDEX pk_mt_events_stream_and_version ON ${s}.mt_events USING btree (tenant_id, stream_id, version);
    CREATE OR REPLACE FUNCTION ${s}.mt_quick_append_events(stream varchar, stream_type varchar, tenantid varchar, event_ids uuid[], event_types varchar[], dotnet_types varchar[], bodies jsonb[], bdatas bytea[], causation_ids varchar[], correlation_ids varchar[], headers jsonb[], user_names varchar[], expected_version integer DEFAULT NULL::integer) RETURNS int[] AS $$
    DECLARE
      event_version int;
      stream_is_archived boolean;
      event_type varchar;
      event_id uuid;
      body jsonb;
      index int;
      seq int;
      actual_tenant varchar;
      return_value int[];
    BEGIN
      if expected_version IS NOT NULL then
        select version, is_archived into event_version, stream_is_archived from ${s}.mt_streams where id = stream AND tenant_id = tenantid;
        if COALESCE(event_version, 0) != expected_version then
          RAISE EXCEPTION 'Stream version mismatch on ''%'': expected %, actual %', stream, expected_version, COALESCE(event_version, 0) USING ERRCODE = 'MT003';
        end if;
      else
        select version, is_archived into event_version, stream_is_archived from ${s}.mt_streams where id = stream AND tenant_id = tenantid;
      end if;
      if event_version IS NULL then
        event_version = 0;
        insert into ${s}.mt_streams (id, type, version, timestamp, tenant_id) values (stream, stream_type, 0, now(), tenantid);
      else
        if stream_is_archived then
          RAISE EXCEPTION 'Attempted to append event to archived stream with Id ''%''.', stream USING ERRCODE = 'MT001';
        end if;
        if tenantid IS NOT NULL then
          select tenant_id into actual_tenant from ${s}.mt_streams where id = stream AND tenant_id = tenantid;
          if actual_tenant != tenantid then
            RAISE EXCEPTION 'The tenantid does not match the existing stream';
          end if;
        end if;
      end if;
      index := 1;
      return_value := ARRAY[event_version + COALESCE(array_length(event_ids, 1), 0)];
      foreach event_id in ARRAY event_ids
      loop
        seq := nextval('${s}.mt_events_sequence');
        return_value := array_append(return_value, seq);
        event_version := event_version + 1;
        event_type = event_types[index];
        body = bodies[index];
        insert into ${s}.mt_events
          (seq_id, id, stream_id, version, data, bdata, type, tenant_id, timestamp, mt_dotnet_type, is_archived, causation_id, correlation_id, headers, user_name)
        values
          (seq, event_id, stream, event_version, body, bdatas[index], event_type, tenantid, (now() at time zone 'utc'), dotnet_types[index], FALSE, causation_ids[index], correlation_ids[index], headers[index], user_names[index]);
        index := index + 1;
      end loop;
      update ${s}.mt_streams set version = event_version, timestamp = now() where id = stream AND tenant_id = tenantid;
      return return_value;
    END
    $$ LANGUAGE plpgsql;
    CREATE OR REPLACE FUNCTION ${s}.mt_archive_stream(streamid varchar, tenantid varchar) RETURNS VOID LANGUAGE plpgsql AS
    $function$
    BEGIN
      update ${s}.mt_streams set is_archived = TRUE where id = streamid and tenant_id = tenantid;
      update ${s}.mt_events set is_archived = TRUE where stream_id = streamid and tenant_id = tenantid;
    END;
    $function$;`;
}
