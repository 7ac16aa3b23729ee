/** One thing verify found wrong; seq/id name the first event concerned when it can. */
export interface IntegrityProblem {
  /**
   * changed | removed | inserted | reordered | chain | source-chain | truncated | count | rejects |
   * source-changed | source-missing | signature | seal
   */
  kind: string;
  seq?: number;
  id?: string;
  source?: string;
  message: string;
}
