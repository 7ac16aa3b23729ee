/** What `verify --source` says of one source (sources-check.ts for files, store-source-check.ts for event stores). */
export interface SourceCheck {
  uri: string;
  kind: string;
  /** ok | changed | missing | not-read */
  status: string;
  file?: string;
  sha256?: string | null;
  /**
   * With a seal (--manifest): ok when the file's first sealed bytes still have the sealed
   * SHA-256, changed when not, not-sealed for a source ingested after the seal.
   */
  sinceSeal?: 'ok' | 'changed' | 'not-sealed';
  message?: string;
}
