import { Activity } from './activity.entity';
import { AuditLog } from './audit-log.entity';
import { DailyRollup } from './daily-rollup.entity';
import { EffectiveShare } from './effective-share.entity';
import { Informant } from './informant.entity';
import { Region } from './region.entity';
import { ShareEvent } from './share-event.entity';
import { StationManager } from './station-manager.entity';
import { Station } from './station.entity';
import { WechatGroup } from './wechat-group.entity';

export {
  Activity,
  AuditLog,
  DailyRollup,
  EffectiveShare,
  Informant,
  Region,
  ShareEvent,
  Station,
  StationManager,
  WechatGroup,
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
];

export { ACTIVITY_TYPES, type ActivityType } from './activity.entity';
export type { AuditOutcome } from './audit-log.entity';
export type { InformantStatus } from './informant.entity';
export type { RegionLevel } from './region.entity';
export { STATION_TYPES, type StationStatus, type StationType } from './station.entity';
