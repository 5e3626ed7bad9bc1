import type { OutboxPayload } from '../db/entities';
import type { JobContext, PlannedMessage } from './job';

/** The county's staff on WeCom (one app message to all of them) and its group robot webhook, if set. */
export async function toCountyStaff(ctx: JobContext, countyId: number, payload: OutboxPayload): Promise<PlannedMessage[]> {
  const { ds } = ctx;
  const staff: Array<{ wecom_user_id: string }> = await ds.query(
    `SELECT wecom_user_id FROM county_staff WHERE county_id = $1 AND wecom_user_id IS NOT NULL ORDER BY wecom_user_id`,
    [countyId],
  );
  const [county]: Array<{ digest_webhook_url: string | null }> = await ds.query(`SELECT digest_webhook_url FROM region WHERE id = $1`, [countyId]);
  const out: PlannedMessage[] = [];
  if (staff.length > 0) out.push({ channel: 'wecom-app', recipient: staff.map((s) => s.wecom_user_id).join('|'), payload });
  if (county?.digest_webhook_url) out.push({ channel: 'wecom-webhook', recipient: county.digest_webhook_url, payload });
  // Nobody to send to: keep the message (with no recipient) so a dry run still shows it; the
  // runner never queues it.
  return out.length > 0 ? out : [{ channel: 'wecom-app', recipient: '', payload }];
}

export async function countyName(ctx: JobContext, countyId: number): Promise<string> {
  const [r]: Array<{ name: string }> = await ctx.ds.query(`SELECT name FROM region WHERE id = $1`, [countyId]);
  return r?.name ?? '';
}
