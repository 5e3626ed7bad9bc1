import type Router from '@koa/router';
import type { ChannelName, IdentityKind } from '../bot/context';
import type { Robot } from '../bot/robot';
import type { Clock } from '../clock';
import type { AppConfig } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { CallbackReceiptService } from '../services/callback-receipt.service';
import type { WecomApiClient } from './wecom/wecom-api';

/** What the composition root gives every channel plug-in. */
export interface ChannelDeps {
  robot: Robot;
  receipts: CallbackReceiptService;
  clock: Clock;
  log: Logger;
  metrics?: Metrics;
  /** The process's WeCom API client (shared with alerts and the outbox); a WeCom channel builds its own when absent. */
  wecomApi?: WecomApiClient;
}

/**
 * A manager channel as a plug-in: where messages come in (HTTP routes that turn a delivery into
 * the robot's IncomingMessage) and how text goes out to one recipient.
 */
export interface ChannelPlugin {
  /** The channel's name: IncomingMessage.channel, the audit log's and the receipts' channel column. */
  name: ChannelName;
  /** Which registered handle of a manager or staff member the channel's sender ids are. */
  identityKind: IdentityKind;
  /** The routes that receive the channel's messages. */
  router(): Router;
  /** Sends text to one recipient (answers that missed the passive-reply deadline); absent when the channel cannot. */
  send?(recipient: string, text: string): Promise<void>;
}

/**
 * One entry of the channel registry: builds the plug-in from the loaded config, or returns null
 * when this installation has not configured the channel.
 */
export type ChannelFactory = (config: AppConfig, deps: ChannelDeps) => ChannelPlugin | null;
