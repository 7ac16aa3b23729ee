/**
 * The report's own hash and signature ("seal"), one rule for every format (see docs/reports.md):
 *
 * - every report holds a hash field (and, when signed, a key field and a signature field) in a
 *   place its format has for metadata: an HTML <meta>, a top-level JSON field, a trailing
 *   Markdown comment line, a JUnit <property>;
 * - the signature (with --key) is Ed25519 over the document's UTF-8 bytes with the hash value
 *   replaced by 64 '0' and the signature value by 88 '0' (the key field is kept, so it is signed);
 * - the hash is the SHA-256 of the document's UTF-8 bytes with only the hash value replaced by
 *   64 '0': it covers everything but itself, the signature included, so any edit anywhere —
 *   a signature too — shows without a key.
 *
 * Pure: text in, text out. Renderers write the placeholders; sealDocument fills them in.
 */
import type crypto from 'node:crypto';
import { sha256Hex, sign } from '../integrity/keys.js';

export type ReportFormat = 'html' | 'markdown' | 'json' | 'junit';

export const HASH_PLACEHOLDER = '0'.repeat(64);
/** An Ed25519 signature is 64 bytes: 88 characters of base64. */
export const SIGNATURE_PLACEHOLDER = '0'.repeat(88);

/** What the renderers need to write the seal fields. */
export interface SealFields {
  sha256: string;
  /** Fingerprint of the signing key (keys.ts keyFingerprint), when signed. */
  key?: string;
  signature?: string;
}

/** The placeholder fields a renderer writes before sealing. */
export function placeholderSeal(keyFingerprint?: string): SealFields {
  return keyFingerprint === undefined ? { sha256: HASH_PLACEHOLDER } : { sha256: HASH_PLACEHOLDER, key: keyFingerprint, signature: SIGNATURE_PLACEHOLDER };
}

// Each field's pattern per format: the value is capture group 1. The patterns can only match
// the field evtrail wrote: report data is escaped (HTML, XML, Markdown), JSON data sits deeper
// than the top level's two-space indent, and the Markdown line must be the document's last.
const HEX64 = '([0-9a-f]{64})';
const B64SIG = '([A-Za-z0-9+/]{86}==|0{88})';
const PATTERNS: Record<ReportFormat, Record<'sha256' | 'key' | 'signature', RegExp>> = {
  html: {
    sha256: new RegExp(`<meta name="evtrail-report-sha256" content="${HEX64}">`, 'dg'),
    key: new RegExp(`<meta name="evtrail-report-key" content="${HEX64}">`, 'dg'),
    signature: new RegExp(`<meta name="evtrail-report-signature" content="${B64SIG}">`, 'dg'),
  },
  json: {
    sha256: new RegExp(`\\n  "reportSha256": "${HEX64}"`, 'dg'),
    key: new RegExp(`\\n  "reportKey": "${HEX64}"`, 'dg'),
    signature: new RegExp(`\\n  "reportSignature": "${B64SIG}"`, 'dg'),
  },
  markdown: {
    sha256: new RegExp(`\\n<!-- evtrail-report sha256=${HEX64}(?: key=[0-9a-f]{64} signature=\\S{88})? -->\\n?$`, 'dg'),
    key: new RegExp(`\\n<!-- evtrail-report sha256=[0-9a-f]{64} key=${HEX64} signature=\\S{88} -->\\n?$`, 'dg'),
    signature: new RegExp(`\\n<!-- evtrail-report sha256=[0-9a-f]{64} key=[0-9a-f]{64} signature=${B64SIG} -->\\n?$`, 'dg'),
  },
  junit: {
    sha256: new RegExp(`<property name="evtrail.report.sha256" value="${HEX64}"/>`, 'dg'),
    key: new RegExp(`<property name="evtrail.report.key" value="${HEX64}"/>`, 'dg'),
    signature: new RegExp(`<property name="evtrail.report.signature" value="${B64SIG}"/>`, 'dg'),
  },
};

interface Span {
  value: string;
  start: number;
  end: number;
}

export interface LocatedSeal {
  sha256: Span[];
  key: Span[];
  signature: Span[];
}

/** Every occurrence of each seal field (a sound report has one hash, and at most one key and signature). */
export function locateSeal(text: string, format: ReportFormat): LocatedSeal {
  const find = (re: RegExp): Span[] =>
    [...text.matchAll(new RegExp(re.source, re.flags))].map((m) => {
      const [start, end] = m.indices![1]!;
      return { value: m[1]!, start, end };
    });
  const p = PATTERNS[format];
  return { sha256: find(p.sha256), key: find(p.key), signature: find(p.signature) };
}

/**
 * The text with the hash value (and, for what is signed, the signature value) replaced by its
 * placeholder: what is hashed, and what is signed.
 */
export function blankSeal(text: string, seal: LocatedSeal, what: 'hashed' | 'signed'): string {
  const spans = [
    ...seal.sha256.map((s) => ({ ...s, with: HASH_PLACEHOLDER })),
    ...(what === 'signed' ? seal.signature.map((s) => ({ ...s, with: SIGNATURE_PLACEHOLDER })) : []),
  ].sort((a, b) => b.start - a.start);
  let out = text;
  for (const s of spans) out = out.slice(0, s.start) + s.with + out.slice(s.end);
  return out;
}

/**
 * Fills in a rendered document's placeholders: first the signature (with a key) over the
 * document as rendered, then the hash over the signed document. The renderer wrote the
 * placeholders, so the document as rendered is already the blanked form.
 */
export function sealDocument(rendered: string, format: ReportFormat, key?: crypto.KeyObject): { text: string; sha256: string; signature: string | null } {
  const seal = locateSeal(rendered, format);
  if (seal.sha256.length !== 1) throw new Error(`report renderer (${format}) wrote ${seal.sha256.length} hash fields, expected 1`);
  if (key && seal.signature.length !== 1) throw new Error(`report renderer (${format}) wrote no signature field`);
  const signed = blankSeal(rendered, seal, 'signed');
  let text = signed;
  let signature: string | null = null;
  if (key) {
    signature = sign(Buffer.from(signed, 'utf8'), key);
    // Same length as the placeholder: the other spans stay where they are.
    text = replaceSpan(text, seal.signature[0]!, signature);
  }
  const sha256 = sha256Hex(Buffer.from(text, 'utf8'));
  return { text: replaceSpan(text, seal.sha256[0]!, sha256), sha256, signature };
}

function replaceSpan(text: string, span: Span, value: string): string {
  if (value.length !== span.end - span.start) throw new Error('seal value of the wrong length');
  return text.slice(0, span.start) + value + text.slice(span.end);
}

/** The format a report file is in: by its extension, else by its first bytes. */
export function formatOf(file: string, text?: string): ReportFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase();
  if (ext === 'html' || ext === 'htm') return 'html';
  if (ext === 'md' || ext === 'markdown') return 'markdown';
  if (ext === 'json') return 'json';
  if (ext === 'xml') return 'junit';
  if (text === undefined) return undefined;
  const head = text.trimStart().slice(0, 200).toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'html';
  if (head.startsWith('<?xml') || head.startsWith('<testsuites')) return 'junit';
  if (head.startsWith('{')) return 'json';
  if (text.includes('<!-- evtrail-report sha256=')) return 'markdown';
  return undefined;
}
