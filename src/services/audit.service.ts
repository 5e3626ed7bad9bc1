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

/** The audit log of commands: who ran what, through which channel, and how it ended. */
export class AuditService {
  constructor(private readonly ds: DataSource) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.ds.getRepository(AuditLog).insert({
      channel: entry.channel,
      senderId: entry.senderId,
      senderName: (entry.senderName ?? '').slice(0, 128),
      stationId: entry.stationId ?? null,
      listenerId: entry.listenerId,
      command: entry.command.slice(0, 2000),
      outcome: entry.outcome,
      detail: (entry.detail ?? '').slice(0, 2000),
    });
  }
}
