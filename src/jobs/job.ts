import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config';
import type { Period } from '../domain/periods';
import type { JobName } from '../domain/schedule';
import type { OutboxChannel, OutboxPayload } from '../db/entities';
import type { Services } from '../services';

/** A message a job wants sent; the runner queues it once per (run, recipient). */
export interface PlannedMessage {
  channel: OutboxChannel;
  recipient: string;
  payload: OutboxPayload;
  /** Not worth sending after this instant (a reminder for a past evening). */
  validUntil?: Date;
  /**
   * Set (with recipient '') when nobody can receive the message yet: why, and how to register
   * someone, in Chinese. The runner keeps the run pending instead of done.
   */
  noRecipient?: string;
}

export interface JobContext {
  ds: DataSource;
  services: Services;
  config: AppConfig;
}

/** A scheduled job: which scopes it covers, and what it sends for one scope and period. */
export interface JobDefinition {
  name: JobName;
  /** Scopes (room:<id>, station:<id>, county:<id>) in the given counties. */
  scopes(ctx: JobContext, countyIds: number[]): Promise<string[]>;
  plan(ctx: JobContext, scope: string, period: Period, now: Date): Promise<PlannedMessage[]>;
  /**
   * Slow work the plan reads afterwards (fetching page titles), run before the run is claimed and
   * outside its transaction, also for a dry run. Must not throw.
   */
  prepare?(ctx: JobContext, scope: string, period: Period, now: Date): Promise<void>;
}

export function scopeId(scope: string): { kind: string; id: string } {
  const i = scope.indexOf(':');
  return { kind: scope.slice(0, i), id: scope.slice(i + 1) };
}

/** Scopes of the group jobs: every bound group of the counties (room:<id>). */
export async function boundRoomScopes(ctx: JobContext, countyIds: number[]): Promise<string[]> {
  return (await ctx.services.groups.boundRooms(countyIds)).map((r) => `room:${r.roomId}`);
}

/** The group and its station for a room scope, or null when the group is no longer bound. */
export async function roomOf(ctx: JobContext, scope: string): Promise<{ roomId: string; station: { id: number; name: string } } | null> {
  const roomId = scopeId(scope).id;
  const station = await ctx.services.groups.stationOf(roomId);
  return station ? { roomId, station } : null;
}
