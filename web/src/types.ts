/** The console API's answers as the pages use them (contract: /work/notes/i11-api.md, src/http/api/schemas.ts). */

/** A scope's figures (docs/统计口径.md); rates are fractions 0..1. */
export interface Figures {
  informants: number;
  days: number;
  firstDay: string | null;
  informantDays: number;
  activeInformants: number;
  rawShares: number;
  effectiveShares: number;
  quotaMetDays: number;
  activities: number;
  participants: number;
  activitiesOf50: number;
  activeRate: number;
  perInformantDay: number;
  quotaMetRate: number;
  participantsPerActivity: number;
}

export interface Period {
  key: string;
  label: string;
  from: string;
  to: string;
}

export interface Named {
  id: number;
  name: string;
}

export interface AuthOptions {
  wecom: boolean;
  password: boolean;
  demo: boolean;
  /** The message for the `?error=<code>` asked about (null without one). */
  error: string | null;
}

export interface AttentionItem {
  kind: 'no-activity' | 'silent-group' | 'unconfirmed' | 'bot-offline' | 'below-quota';
  text: string;
  stationId: number | null;
  groupId: number | null;
}

export interface Overview {
  county: Named;
  counties: Named[];
  period: Period;
  targets: { informantsPerStation: number; sharesPerInformantDay: number; activitiesPerMonth: number; participantsPerActivity: number };
  figures: Figures;
  stations: number;
  daily: Array<{ day: string; effectiveShares: number; activeInformants: number }>;
  weekly: Array<{ week: string; from: string; to: string; activeRate: number; perInformantDay: number }>;
  ranking: Array<{ rank: number; stationId: number; name: string; type: string; figures: Figures }>;
  attention: AttentionItem[];
}

/** GET /stations (on main). */
export interface StationList {
  period: Period;
  counties: Array<{
    id: number;
    name: string;
    counted: { from: string; to: string };
    total: Figures;
    stations: Array<{ id: number; name: string; status: string; type: string; start: string | null; figures: Figures }>;
  }>;
}

export interface Station {
  id: number;
  countyId: number;
  countyName: string;
  name: string;
  type: string;
  /** The type's Chinese name. */
  typeLabel: string;
  status: string;
  countingFrom: string | null;
  createdAt: string;
}

export interface Group {
  id: number;
  topic: string;
  stationId: number | null;
  stationName: string | null;
  countyId: number | null;
  lastMessageAt: string | null;
  boundAt: string | null;
  memberCount: number | null;
  /** The bot accounts in the group (GET /groups only): every one listens, the speaker speaks. */
  accounts?: GroupAccount[];
  /** Share of the last 24 hours / 7 days with at least one bot account listening (GET /groups only). */
  coverage?: { day: number | null; week: number | null };
}

/** One bot account in a group. */
export interface GroupAccount {
  accountId: number;
  accountName: string;
  present: boolean;
  healthy: boolean;
  speaker: boolean;
  pinned: boolean;
  lastHeardAt: string | null;
}

export interface Activity {
  id: number;
  stationId: number;
  date: string;
  type: string;
  title: string;
  participants: number;
  place: string | null;
  status: 'active' | 'withdrawn';
  by: string;
  createdAt: string;
}

export interface StationDetail {
  station: Station;
  figures: Figures;
  /** The effective counting start (set, or the first group's binding day); null before counting starts. */
  start: string | null;
  period: Period;
  groups: Group[];
  informants: { total: number; active: number; unconfirmed: number };
  activities: Activity[];
  resources: Array<{ id: number; date: string; kind: string; text: string }>;
}

export interface Informant {
  id: number;
  name: string;
  phoneTail: string | null;
  status: string;
  joinedOn: string;
  leftOn: string | null;
  boundWechat: boolean;
  sharesThisMonth: number;
}

export interface RosterRowError {
  row: number;
  message: string;
}

export interface RosterPreview {
  ok: boolean;
  rows: number;
  add: number;
  /** Disabled entries the file lists again. */
  enabled?: number;
  unchanged: number;
  /** The first bad rows (at most 1,000); `errorCount` is the total. */
  errors: RosterRowError[];
  errorCount?: number;
  sample: Array<{ row: number; name: string; phoneTail: string | null }>;
}

export interface Unconfirmed {
  index: number;
  /** Stable across list changes; what binding sends. */
  key: string;
  contactName: string;
  shares: number;
  lastSharedAt: string | null;
  groupTopic: string | null;
}

/** A person's ids, by identity kind (the kinds come with the list: `People.kinds`). */
export interface Handles {
  identities: Record<string, string>;
}

/** An identity kind of the installation's channels, as the server's registry lists it. */
export interface IdentityKindInfo {
  kind: string;
  label: string;
  maxLength: number;
  /** Why nobody can be registered with it here (its channel not configured), or null. */
  unavailable: string | null;
}

export interface People {
  managers: Array<{ id: number; stationId: number; stationName: string; name: string } & Handles>;
  staff: Array<{ id: number; countyId: number; countyName: string; name: string } & Handles>;
  kinds: IdentityKindInfo[];
}

export interface JobRun {
  id: number;
  job: string;
  scope: string;
  /** The county, station or group by name. */
  scopeLabel: string;
  period: string;
  state: string;
  round: number;
  pendingReason: string | null;
  startedAt: string;
  queued: number;
  sent: number;
  failed: number;
  other: number;
}

export interface QueueItem {
  id: number;
  runId: number;
  job: string;
  scope: string;
  /** The county, station or group by name. */
  scopeLabel: string;
  period: string;
  round: number;
  part: number;
  channel: string;
  state: string;
  attempts: number;
  dueAt: string;
  validUntil: string | null;
  lastError: string | null;
  pendingReason: string | null;
}

export interface Robot {
  ready: boolean;
  reasons: string[];
  wechat: { state: string; loggedIn: boolean; connected: boolean; since: string | null; reason: string | null; waitingForScan: boolean };
  database: { up: boolean; since: string | null };
  queue: { outbox: number; failed: number; replies: number; spool: number };
  version: string;
  lastMessageAt?: string | null;
  accounts: RobotAccount[];
}

/** One WeChat account of the bot (every process's); the token is only ever masked. */
export interface RobotAccount {
  id: number;
  name: string;
  source: 'db' | 'env' | 'demo' | 'test';
  endpoint: string | null;
  tokenMasked: string | null;
  tls: boolean;
  paused: boolean;
  counties: Array<{ id: number; name: string }>;
  state: string;
  stateLabel: string;
  loggedIn: boolean;
  wechatName: string | null;
  groups: number | null;
  lastEventAt: string | null;
  sentToday: number;
  holder: string | null;
  waitingForScan: boolean;
  mayScan: boolean;
  /** Since when the account looks dead although logged in (hears nothing while others in its groups do). */
  suspectSince: string | null;
}

/** An attached file of a job's message (.xlsx or .png). */
export interface MessageFile {
  name: string;
  bytes: number;
}

/** GET /jobs/runs/:id/messages: what a run queued and sent, part by part (the demo inbox's messages too). */
export interface RunMessages {
  run: { id: number; job: string; scope: string; scopeLabel: string; period: string; state: string };
  parts: Array<{
    id: number;
    round: number;
    part: number;
    channel: string;
    channelLabel: string;
    state: string;
    sentAt: string | null;
    text: string;
    markdown: boolean;
    file: MessageFile | null;
  }>;
}

/** GET /jobs/preview: what a job would send for a period in one county (a dry run: nothing stored or sent). */
export interface JobPreview {
  job: string;
  period: string;
  county: number;
  scopes: Array<{
    scope: string;
    scopeLabel: string;
    messages: Array<{
      index: number;
      channel: string;
      channelLabel: string;
      mentions: number;
      text: string;
      markdown: boolean;
      file: MessageFile | null;
      waiting: string | null;
    }>;
  }>;
}
