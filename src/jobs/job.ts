import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config';
import type { Period } from '../domain/periods';
import { formatScope, type JobScope } from '../domain/job-scope';
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
  /** Its scopes (groups, stations or counties) in the given counties. */
  scopes(ctx: JobContext, countyIds: number[]): Promise<JobScope[]>;
  plan(ctx: JobContext, scope: JobScope, period: Period, now: Date): Promise<PlannedMessage[]>;
  /**
   * Slow work the plan reads afterwards (fetching page titles), run before the run is claimed and
   * outside its transaction, also for a dry run. Must not throw.
   */
  prepare?(ctx: JobContext, scope: JobScope, period: Period, now: Date): Promise<void>;
}

/** The county of a county job's scope (a scope of another kind is a programming error). */
export function countyIdOf(scope: JobScope): number {
  if (scope.kind !== 'county') throw new Error(`a county job was given the scope ${formatScope(scope)}`);
  return scope.countyId;
}

/** The station of a station job's scope (a scope of another kind is a programming error). */
export function stationIdOf(scope: JobScope): number {
  if (scope.kind !== 'station') throw new Error(`a station job was given the scope ${formatScope(scope)}`);
  return scope.stationId;
}

/** Scopes of the county jobs: the counties themselves. */
export async function countyScopes(_ctx: JobContext, countyIds: number[]): Promise<JobScope[]> {
  return countyIds.map((countyId) => ({ kind: 'county', countyId }));
}

/** Scopes of the group jobs: every bound group of the counties. */
export async function boundRoomScopes(ctx: JobContext, countyIds: number[]): Promise<JobScope[]> {
  return (await ctx.services.groups.boundRooms(countyIds)).map((r) => ({ kind: 'room', roomId: r.roomId }));
}

/** The group and its station for a room scope, or null when the group is no longer bound. */
export async function roomOf(ctx: JobContext, scope: JobScope): Promise<{ roomId: string; station: { id: number; name: string } } | null> {
  if (scope.kind !== 'room') throw new Error(`a group job was given the scope ${formatScope(scope)}`);
  const station = await ctx.services.groups.stationOf(scope.roomId);
  return station ? { roomId: scope.roomId, station } : null;
}
