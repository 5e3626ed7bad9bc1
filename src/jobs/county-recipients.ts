import type { OutboxPayload } from '../db/entities';
import type { JobContext, PlannedMessage } from './job';
import { WECOM_USER } from '../domain/identity-kinds';

/**
 * The demo county's inbox (region.demo_inbox): its messages are kept in the console instead of
 * sent. Null for any other county.
 */
export async function demoInbox(ctx: JobContext, countyId: number, payload: OutboxPayload): Promise<PlannedMessage | null> {
  const [r]: Array<{ demo_inbox: boolean }> = await ctx.ds.query(`SELECT demo_inbox FROM region WHERE id = $1`, [countyId]);
  return r?.demo_inbox ? { channel: 'demo', recipient: `county:${countyId}`, payload } : null;
}

/** The county's staff on WeCom (one app message to all of them) and its group robot webhook, if set; the demo county's inbox. */
export async function toCountyStaff(ctx: JobContext, countyId: number, payload: OutboxPayload): Promise<PlannedMessage[]> {
  const { ds } = ctx;
  const demo = await demoInbox(ctx, countyId, payload);
  if (demo) return [demo];
  const staff: Array<{ wecom_user_id: string }> = await ds.query(
    `SELECT i.external_id AS wecom_user_id FROM county_staff c JOIN person_identity i ON i.staff_id = c.id AND i.kind = $2
     WHERE c.county_id = $1 ORDER BY i.external_id`,
    [countyId, WECOM_USER.kind],
  );
  const [county]: Array<{ name: string; digest_webhook_url: string | null }> = await ds.query(
    `SELECT name, digest_webhook_url FROM region WHERE id = $1`,
    [countyId],
  );
  const out: PlannedMessage[] = [];
  if (staff.length > 0) out.push({ channel: 'wecom-app', recipient: staff.map((s) => s.wecom_user_id).join('|'), payload });
  if (county?.digest_webhook_url) out.push({ channel: 'wecom-webhook', recipient: county.digest_webhook_url, payload });
  if (out.length > 0) return out;
  // Nobody to send to: keep the message so a dry run still shows it; the runner keeps the run pending.
  const name = county?.name ?? `旗县区 ${countyId}`;
  const noRecipient =
    `没有接收人：${name}还没有登记有企业微信账号的工作人员（管理后台“人员”页添加，或 npx kepubot staff add --county ${name} --${WECOM_USER.flag} <企业微信UserID>），` +
    `也没有设置群机器人（npx kepubot county ${name} --webhook <地址>）`;
  return [{ channel: 'wecom-app', recipient: '', payload, noRecipient }];
}

export async function countyName(ctx: JobContext, countyId: number): Promise<string> {
  const [r]: Array<{ name: string }> = await ctx.ds.query(`SELECT name FROM region WHERE id = $1`, [countyId]);
  return r?.name ?? '';
}
