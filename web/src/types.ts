/**
 * The console API's answers as the pages use them: named pieces of the types generated from
 * /api/v1/openapi.json (web/src/api-types.ts, `npm run gen:web`), never copied by hand.
 */
import type { operations } from './api-types';

/** The JSON answer of an operation (the route id of src/http/api/areas/). */
export type Answer<K extends keyof operations> = operations[K]['responses'] extends { 200: { content: { 'application/json': infer T } } }
  ? T
  : operations[K]['responses'] extends { 201: { content: { 'application/json': infer T } } }
    ? T
    : never;

export type Overview = Answer<'overview'>;

/** A scope's figures (docs/统计口径.md); rates are fractions 0..1. Labels and formats: web/src/figures.ts. */
export type Figures = Overview['figures'];
export type Period = Overview['period'];
export type Named = Overview['county'];
export type AttentionItem = Overview['attention'][number];

export type AuthOptions = Answer<'authOptions'>;

/** GET /stations. */
export type StationList = Answer<'stations'>;

export type StationDetail = Answer<'station'>;
export type Station = StationDetail['station'];

type ListedGroup = Answer<'groups'>[number];
/** A group; GET /groups adds its bot accounts (every one listens, the speaker speaks) and its coverage. */
export type Group = Answer<'bindGroup'> & Partial<Pick<ListedGroup, 'accounts' | 'coverage' | 'silent' | 'lastShareDay'>>;
export type GroupAccount = ListedGroup['accounts'][number];

export type Activity = Answer<'activities'>[number];

export type Informant = Answer<'informants'>[number];

export type RosterPreview = Answer<'rosterPreview'>;
export type RosterRowError = RosterPreview['errors'][number];

export type Unconfirmed = Answer<'unconfirmed'>[number];

export type People = Answer<'people'>;
/** A person's ids, by identity kind (the kinds come with the list: `People.kinds`). */
export type Handles = Pick<People['managers'][number], 'identities'>;
/** An identity kind of the installation's channels, as the server's registry lists it. */
export type IdentityKindInfo = People['kinds'][number];

type Jobs = Answer<'jobs'>;
export type JobRun = Jobs['runs'][number];
export type QueueItem = Jobs['queue'][number];

export type Robot = Answer<'robot'>;
export type RobotAccount = Robot['accounts'][number];

/** GET /jobs/runs/:id/messages: what a run queued and sent, part by part (the demo inbox's messages too). */
export type RunMessages = Answer<'runMessages'>;
export type MessageFile = NonNullable<RunMessages['parts'][number]['file']>;

/** GET /jobs/preview: what a job would send for a period in one county (a dry run: nothing stored or sent). */
export type JobPreview = Answer<'jobPreview'>;
