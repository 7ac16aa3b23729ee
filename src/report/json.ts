/**
 * The JSON report: the model itself, with the seal as top-level fields first (reportSha256,
 * then reportKey and reportSignature when signed). Two-space indentation is part of the seal
 * rule: the seal fields are found as top-level keys by their indentation. Pure.
 */
import type { ReportModel } from './model.js';
import type { SealFields } from './seal.js';

export function renderJson(m: ReportModel, seal: SealFields): string {
  const doc = {
    reportSha256: seal.sha256,
    ...(seal.key !== undefined && seal.signature !== undefined ? { reportKey: seal.key, reportSignature: seal.signature } : {}),
    kind: 'evtrail-report',
    ...m,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** The model back from a JSON report's text (the seal fields dropped). */
export function parseJsonReport(text: string): ReportModel {
  const { reportSha256: _h, reportKey: _k, reportSignature: _s, kind: _kind, ...model } = JSON.parse(text) as Record<string, unknown>;
  return model as unknown as ReportModel;
}
