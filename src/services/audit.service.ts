import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AuditLog, type AuditOutcome } from '../db/entities';

export interface AuditEntry {
  channel: string;
  senderId: string;
  senderName?: string;
  stationId?: number | null;
  listenerId: string;
  command: string;
  outcome: AuditOutcome;
  detail?: string;
}

/** Column sizes of audit_log, in characters. */
const LIMITS = { channel: 16, senderId: 128, senderName: 128, listenerId: 64, command: 2000, detail: 2000 };

/**
 * Text as PostgreSQL will take it: no NUL characters, at most `max`
 * characters (code points, as varchar(n) counts them).
 */
export function fitText(value: string, max: number): string {
  const clean = value.split('\u0000').join('');
  if (clean.length <= max) return clean;
  let out = '';
  let n = 0;
  for (const ch of clean) {
    if (n++ >= max) break;
    out += ch;
  }
  return out;
}

function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** An audit entry as audit_log stores it (every field fitted to its column). */
export interface AuditRow {
  channel: string;
  senderId: string;
  senderIdSha256: string | null;
  senderName: string;
  stationId: number | null;
  listenerId: string;
  command: string;
  commandSha256: string | null;
  outcome: AuditOutcome;
  detail: string;
}

/**
 * An entry fitted to audit_log: every field shortened to its column, and a sender id or command
 * that had to be shortened keeps the SHA-256 of its original.
 */
export function auditRow(entry: AuditEntry): AuditRow {
  const senderId = fitText(entry.senderId, LIMITS.senderId);
  const command = fitText(entry.command, LIMITS.command);
  return {
    channel: fitText(entry.channel, LIMITS.channel),
    senderId,
    senderIdSha256: senderId === entry.senderId ? null : sha256(entry.senderId),
    senderName: fitText(entry.senderName ?? '', LIMITS.senderName),
    stationId: entry.stationId ?? null,
    listenerId: fitText(entry.listenerId, LIMITS.listenerId),
    command,
    commandSha256: command === entry.command ? null : sha256(entry.command),
    outcome: entry.outcome,
    detail: fitText(entry.detail ?? '', LIMITS.detail),
  };
}

/**
 * The audit log of commands: who ran what, through which channel, and how it ended. Recording
 * never fails on long or odd input (see `auditRow`).
 */
export class AuditService {
  constructor(private readonly ds: DataSource) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.ds.getRepository(AuditLog).insert(auditRow(entry));
  }
}
