/** One renderer per format, and the seal over the rendered text. Pure. */
import type crypto from 'node:crypto';
import { keyFingerprint } from '../integrity/keys.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { ReportModel } from './model.js';
import { placeholderSeal, sealDocument, type ReportFormat, type SealFields } from './seal.js';

const RENDERERS: Record<ReportFormat, (m: ReportModel, seal: SealFields) => string> = {
  html: renderHtml,
  markdown: renderMarkdown,
  json: renderJson,
  junit: renderJunit,
};

/** The report as it is written: rendered with placeholders, then hashed and (with a key) signed. */
export function renderReport(model: ReportModel, format: ReportFormat, key?: crypto.KeyObject): { text: string; sha256: string; signature: string | null } {
  const rendered = RENDERERS[format](model, placeholderSeal(key ? keyFingerprint(key) : undefined));
  return sealDocument(rendered, format, key);
}
