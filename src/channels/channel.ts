import type Router from '@koa/router';
import type { ChannelName, IdentityKind } from '../bot/context';
import type { Robot } from '../bot/robot';
import type { Clock } from '../clock';
import type { AppConfig } from '../config';
import type { IdentityKindSpec } from '../domain/identity-kinds';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { CallbackReceiptService } from '../services/callback-receipt.service';

/**
 * What the composition root gives every channel plug-in. A plug-in builds its own clients (the
 * WeCom app its API client, src/channels/wecom/wecom-client.ts) from the config it is given.
 */
export interface ChannelDeps {
  robot: Robot;
  receipts: CallbackReceiptService;
  clock: Clock;
  log: Logger;
  metrics?: Metrics;
}

/**
 * One HTTP request to a channel, read by the shared route: the body at most the channel's
 * `bodyLimitBytes`, query and header values single strings (a repeated query parameter is
 * dropped; repeated headers are joined as Node joins them).
 */
export interface ChannelRequest {
  method: 'GET' | 'POST';
  path: string;
  query: Readonly<Record<string, string | undefined>>;
  /** By lower-case name. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The raw body as UTF-8 ('' for GET). */
  body: string;
  /** When the request arrived (the injected clock). */
  receivedAt: Date;
}

/**
 * Where an answer that is not given in the HTTP response goes: what the inbound message gave
 * (a per-message response URL, a conversation id), or the sender's id on channels that send to
 * a user.
 */
export type ReplyTo = string;

/**
 * A manager channel as a plug-in: where messages come in (HTTP routes that turn a delivery into
 * the robot's IncomingMessage) and how text goes out to a reply address.
 */
export interface ChannelPlugin {
  /** The channel's name: IncomingMessage.channel, the audit log's and the receipts' channel column. */
  name: ChannelName;
  /** Which of a person's identities the channel's sender ids are. */
  identityKind: IdentityKind;
  /** The routes that receive the channel's messages. */
  router(): Router;
  /** Sends text to a reply address (answers not given in the HTTP response); absent when the channel cannot. */
  send?(replyTo: ReplyTo, text: string): Promise<void>;
}

/**
 * Builds the plug-in from the loaded config, or returns null when this installation has not
 * configured the channel.
 */
export type ChannelFactory = (config: AppConfig, deps: ChannelDeps) => ChannelPlugin | null;

/** One line of the channel registry: the channel's identity kind and how the plug-in is built. */
export interface ChannelRegistration {
  /** The kind of its senders' ids: people are registered with an id of this kind to be recognised there. */
  identity: IdentityKindSpec;
  /** Why nobody can be reached through the channel here (Chinese, naming what to configure), or null when configured. */
  notConfigured(config: AppConfig): string | null;
  build: ChannelFactory;
}
