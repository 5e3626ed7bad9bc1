import { InitialSchema1763800000000 } from './1763800000000-initial-schema';
import { StationCommands1764000000000 } from './1764000000000-station-commands';
import { Scheduling1764200000000 } from './1764200000000-scheduling';
import { Summaries1764400000000 } from './1764400000000-summaries';
import { WechatSendSlot1764600000000 } from './1764600000000-wechat-send-slot';
import { AuditHashes1764610000000 } from './1764610000000-audit-hashes';
import { OutboxParts1764630000000 } from './1764630000000-outbox-parts';
import { AlertIncidents1764650000000 } from './1764650000000-alert-incidents';
import { StationPeriodRepair1764700000000 } from './1764700000000-station-period-repair';
import { CountingPeriods1764800000000 } from './1764800000000-counting-periods';
import { UnknownLinkShapes1764810000000 } from './1764810000000-unknown-link-shapes';
import { ConsoleSessions1764900000000 } from './1764900000000-console-sessions';
import { ConsoleLoginTickets1765000000000 } from './1765000000000-console-login-tickets';
import { LoginAttempts1765310000000 } from './1765310000000-login-attempts';
import { StationNamePerCounty1765100000000 } from './1765100000000-station-name-per-county';
import { UnconfirmedSharesIndex1765200000000 } from './1765200000000-unconfirmed-shares-index';
import { CallbackReplay1765300000000 } from './1765300000000-callback-replay';
import { DemoInboxContentTitles1765400000000 } from './1765400000000-demo-inbox-content-titles';
import { BotAccounts1765500000000 } from './1765500000000-bot-accounts';
import { MessageClaims1765510000000 } from './1765510000000-message-claims';
import { GroupSpeakers1765511000000 } from './1765511000000-group-speakers';
import { SendPacing1765520000000 } from './1765520000000-send-pacing';
import { ListenIntervals1765530000000 } from './1765530000000-listen-intervals';
import { PersonIdentities1765600000000 } from './1765600000000-person-identities';
import { JobRunCounty1765610000000 } from './1765610000000-job-run-county';
import { StationStatus1765620000000 } from './1765620000000-station-status';
import { CountyKeysPartitions1765700000000 } from './1765700000000-county-keys-partitions';

/** Versioned migrations, oldest first; run at start-up. */
export const MIGRATIONS = [
  InitialSchema1763800000000,
  StationCommands1764000000000,
  Scheduling1764200000000,
  Summaries1764400000000,
  WechatSendSlot1764600000000,
  AuditHashes1764610000000,
  OutboxParts1764630000000,
  AlertIncidents1764650000000,
  StationPeriodRepair1764700000000,
  CountingPeriods1764800000000,
  UnknownLinkShapes1764810000000,
  ConsoleSessions1764900000000,
  ConsoleLoginTickets1765000000000,
  StationNamePerCounty1765100000000,
  UnconfirmedSharesIndex1765200000000,
  CallbackReplay1765300000000,
  LoginAttempts1765310000000,
  DemoInboxContentTitles1765400000000,
  BotAccounts1765500000000,
  MessageClaims1765510000000,
  GroupSpeakers1765511000000,
  SendPacing1765520000000,
  ListenIntervals1765530000000,
  PersonIdentities1765600000000,
  JobRunCounty1765610000000,
  StationStatus1765620000000,
  CountyKeysPartitions1765700000000,
];
