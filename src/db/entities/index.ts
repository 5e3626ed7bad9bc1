import { Activity } from './activity.entity';
import { AlertIncident } from './alert-incident.entity';
import { AuditLog } from './audit-log.entity';
import { CallbackReceipt } from './callback-receipt.entity';
import { CallbackSignature } from './callback-signature.entity';
import { CountyStaff } from './county-staff.entity';
import { DailyRollup } from './daily-rollup.entity';
import { EffectiveShare } from './effective-share.entity';
import { Informant } from './informant.entity';
import { InformantRoster } from './informant-roster.entity';
import { JobRun } from './job-run.entity';
import { OutboxMessage } from './outbox-message.entity';
import { Region } from './region.entity';
import { ResourceLog } from './resource-log.entity';
import { ShareEvent } from './share-event.entity';
import { InformantPeriod, StationDay, StationPeriod, StationRosterDay, SummaryWatermark } from './summaries.entity';
import { StationManager } from './station-manager.entity';
import { Station } from './station.entity';
import { WechatGroup } from './wechat-group.entity';
import { WechatSendSlot } from './wechat-send-slot.entity';
import { UnknownLinkShape } from './unknown-link-shape.entity';
import { OperatorAccount } from './operator-account.entity';
import { ConsoleSession } from './console-session.entity';
import { ConsoleLoginTicket } from './console-login-ticket.entity';
import { LoginAttempt } from './login-attempt.entity';
import { ContentTitle } from './content-title.entity';
import { BotAccount, BotAccountCounty, BotAccountLease, type BotAccountSource } from './bot-account.entity';
import { MessageClaim } from './message-claim.entity';
import { GroupAccount } from './group-account.entity';
import { AccountListenInterval } from './account-listen-interval.entity';
import { PersonIdentity } from './person-identity.entity';

export {
  InformantPeriod,
  StationDay,
  StationPeriod,
  SummaryWatermark,
  Activity,
  AlertIncident,
  AuditLog,
  CallbackReceipt,
  CallbackSignature,
  CountyStaff,
  DailyRollup,
  EffectiveShare,
  Informant,
  InformantRoster,
  StationRosterDay,
  JobRun,
  OutboxMessage,
  Region,
  ResourceLog,
  ShareEvent,
  Station,
  StationManager,
  WechatGroup,
  WechatSendSlot,
  UnknownLinkShape,
  OperatorAccount,
  ConsoleSession,
  ConsoleLoginTicket,
  LoginAttempt,
  ContentTitle,
  BotAccount,
  BotAccountCounty,
  BotAccountLease,
  type BotAccountSource,
  MessageClaim,
  GroupAccount,
  AccountListenInterval,
  PersonIdentity,
};

/** Every entity, for the DataSource. */
export const ENTITIES = [
  Region,
  Station,
  StationManager,
  Informant,
  WechatGroup,
  ShareEvent,
  EffectiveShare,
  DailyRollup,
  Activity,
  AuditLog,
  CountyStaff,
  CallbackReceipt,
  CallbackSignature,
  ResourceLog,
  JobRun,
  OutboxMessage,
  StationDay,
  InformantPeriod,
  StationPeriod,
  SummaryWatermark,
  WechatSendSlot,
  AlertIncident,
  UnknownLinkShape,
  InformantRoster,
  StationRosterDay,
  OperatorAccount,
  ConsoleSession,
  ConsoleLoginTicket,
  LoginAttempt,
  ContentTitle,
  BotAccount,
  BotAccountCounty,
  BotAccountLease,
  MessageClaim,
  GroupAccount,
  AccountListenInterval,
  PersonIdentity,
];

export { ACTIVITY_TYPES, type ActivityType } from './activity.entity';
export type { AuditOutcome } from './audit-log.entity';
export type { InformantStatus } from './informant.entity';
export type { RegionLevel } from './region.entity';
export { STATION_TYPES, type StationStatus, type StationType } from './station.entity';
export type { ResourceKind } from './resource-log.entity';
export type { JobRunState } from './job-run.entity';
export { outboxParts, type Deliver, type OutboxChannel, type OutboxPayload, type OutboxState } from './outbox-message.entity';
export type { PrincipalKind } from './console-session.entity';
export type { ContentTitleOutcome } from './content-title.entity';
