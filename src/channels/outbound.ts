import { FileBox } from 'file-box';
import type { Wechaty } from 'wechaty';
import type { OutboxMessage } from '../db/entities';
import type { Deliver } from '../db/entities';
import type { WecomApiClient } from './wecom/wecom-api';

/** What the outbox worker can send through: the bot's WeChat account, the WeCom app, group robot webhooks. */
export interface OutboundDeps {
  bot?: Wechaty;
  wecom?: WecomApiClient;
}

async function webhookCall(url: string, body: object): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15000),
  });
  if (!res.ok) throw new Error(`webhook HTTP ${res.status}`);
  const answer = (await res.json()) as Record<string, unknown>;
  if (answer.errcode !== 0) throw new Error(`webhook errcode ${String(answer.errcode)}: ${String(answer.errmsg)}`);
  return answer;
}

/** The group robot's upload URL for a send URL (…/webhook/send?key=K → …/webhook/upload_media?key=K&type=file). */
function webhookUploadUrl(sendUrl: string): string {
  const u = new URL(sendUrl);
  u.pathname = u.pathname.replace(/\/send$/, '/upload_media');
  u.searchParams.set('type', 'file');
  return u.toString();
}

/**
 * Sends one outbox entry through its channel. The runner stores a message's text and its file as
 * separate entries, so each call sends one of them (older entries may still carry both: text first).
 */
export function createDeliver(deps: OutboundDeps): Deliver {
  return async (msg: OutboxMessage) => {
    const { payload } = msg;
    const file = payload.file ? { name: payload.file.name, bytes: Buffer.from(payload.file.base64, 'base64') } : null;
    switch (msg.channel) {
      case 'wechat-room': {
        if (!deps.bot) throw new Error('no WeChat bot to send through');
        const room = await deps.bot.Room.find({ id: msg.recipient });
        if (!room) throw new Error(`the bot is not in room ${msg.recipient}`);
        const mentions = [];
        for (const id of payload.mentions ?? []) {
          const c = await deps.bot.Contact.find({ id });
          if (c) mentions.push(c);
        }
        if (payload.text) await room.say(payload.text, ...mentions);
        if (file) await room.say(FileBox.fromBuffer(file.bytes, file.name));
        return;
      }
      case 'wechat-contact': {
        if (!deps.bot) throw new Error('no WeChat bot to send through');
        const contact = await deps.bot.Contact.find({ id: msg.recipient });
        if (!contact) throw new Error(`unknown WeChat contact ${msg.recipient}`);
        if (payload.text) await contact.say(payload.text);
        if (file) await contact.say(FileBox.fromBuffer(file.bytes, file.name));
        return;
      }
      case 'wecom-app': {
        if (!deps.wecom) throw new Error('the WeCom app is not configured');
        if (payload.text && payload.markdown) await deps.wecom.sendMarkdown(msg.recipient, payload.text);
        else if (payload.text) await deps.wecom.sendText(msg.recipient, payload.text);
        if (file) await deps.wecom.sendFile(msg.recipient, await deps.wecom.uploadFile(file.name, file.bytes));
        return;
      }
      case 'demo':
        // The demo county's inbox: the entry itself (its payload, text or file) is what the console shows.
        return;
      case 'wecom-webhook': {
        if (payload.text) {
          await webhookCall(
            msg.recipient,
            payload.markdown
              ? { msgtype: 'markdown', markdown: { content: payload.text } }
              : { msgtype: 'text', text: { content: payload.text } },
          );
        }
        if (file) {
          const form = new FormData();
          form.append('media', new Blob([new Uint8Array(file.bytes)]), file.name);
          const res = await fetch(webhookUploadUrl(msg.recipient), { method: 'POST', body: form, signal: AbortSignal.timeout(30000) });
          const answer = (await res.json()) as { errcode?: number; media_id?: string; errmsg?: string };
          if (!res.ok || answer.errcode !== 0 || !answer.media_id) throw new Error(`webhook upload failed: ${answer.errmsg ?? res.status}`);
          await webhookCall(msg.recipient, { msgtype: 'file', file: { media_id: answer.media_id } });
        }
        return;
      }
    }
  };
}
