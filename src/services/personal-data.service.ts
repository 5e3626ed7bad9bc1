import ExcelJS from 'exceljs';
import type { DataSource, EntityManager } from 'typeorm';
import { dayOf } from '../domain/calendar';
import { WECHAT_CONTACT } from '../domain/identity-kinds';
import { normalisePhone } from '../domain/roster';
import { UserError } from '../errors';
import { AuditService } from './audit.service';
import { SHARE_LOCK_KEY } from './share-counter.service';

/** The name an informant's roster entry keeps after `forget` (the row and its counts stay). */
export const forgottenName = (id: number): string => `已删除信息员#${id}`;
/** What replaces a forgotten person's WeChat id where a sender id must stay (shares, audit): not derived from the id. */
export const forgottenSender = (id: number): string => `erased:informant:${id}`;

/** Who asked for an export or an erasure, for the audit log. */
export interface Requester {
  channel: 'cli' | 'console';
  senderId: string;
  senderName?: string;
}

/** Everything kepubot keeps about one informant (what `kepubot informant export` writes). */
export interface PersonalData {
  exportedAt: string;
  informant: {
    id: number;
    name: string;
    phone: string | null;
    note: string | null;
    status: string;
    station: { id: number; name: string; county: string };
    createdAt: string;
    boundAt: string | null;
  };
  rosterIntervals: Array<{ fromDay: string; toDay: string | null }>;
  /** The person's accounts: the WeChat contact the roster entry is bound to, and any manager or staff entry with the same contact. */
  identities: Array<{ kind: string; id: string; since: string | null; role?: string; name?: string | null }>;
  /** Every share sent from the person's WeChat contact (or counted for the roster entry), counted or not yet confirmed. */
  shares: Array<{
    sentAt: string;
    day: string;
    group: string | null;
    url: string;
    title: string | null;
    messageType: string;
    effective: boolean;
    confirmed: boolean;
    nickname: string;
  }>;
  effectiveShares: Array<{ day: string; contentKey: string }>;
  dailyTotals: Array<{ day: string; rawShares: number; effectiveShares: number }>;
  /** Audit lines sent by the person, or naming them (their name, phone or WeChat id in the command). */
  audit: Array<{ at: string; channel: string; listenerId: string; command: string; outcome: string; detail: string }>;
}

interface Row {
  id: number;
  station_id: number;
  name: string;
  phone: string | null;
  note: string | null;
  wechat_contact_id: string | null;
  status: string;
  bound_at: Date | null;
  created_at: Date;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
/** A string as it appears inside JSON text (for replacing inside jsonb). */
const inJson = (s: string): string => JSON.stringify(s).slice(1, -1);
const likePattern = (s: string): string => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * A person's data (China's PIPL: the right to know and to erase): the export of what kepubot keeps
 * about one informant, and the erasure of their name, phone and WeChat ids. The erasure keeps the
 * roster entry (under forgottenName), its roster intervals and every count, so station figures do
 * not change; the shares stay, under a sender id that no longer identifies anybody.
 *
 * Where a person's data lives (one list; tests/services/personal-data.test.ts searches every text
 * column of every table, so a new place cannot be missed): informant (name, phone, note,
 * wechat_contact_id), person_identity (external_id: the same WeChat id registered for a manager or
 * staff member), share_event (talker_id, talker_name), effective_share (talker_id), audit_log
 * (sender_id, sender_name, command, detail), outbox_message (payload text and mentions, last_error),
 * callback_receipt (reply).
 */
export class PersonalDataService {
  constructor(private readonly ds: DataSource) {}

  /** The informant of the station with this name or phone number (one only; names are not echoed in errors). */
  async find(stationId: number, who: string): Promise<{ id: number; stationId: number }> {
    const phone = normalisePhone(who);
    const rows: Array<{ id: number }> = await this.ds.query(
      `SELECT id FROM informant WHERE station_id = $1 AND (name = $2 OR (phone IS NOT NULL AND phone = $3)) ORDER BY id`,
      [stationId, who.trim(), phone],
    );
    if (rows.length === 0) throw new UserError('这个e站的名册上没有这个人（请用名册上的姓名或 11 位手机号）');
    if (rows.length > 1) throw new UserError(`名册上有 ${rows.length} 位同名的信息员，请改用手机号指定`);
    return { id: rows[0].id, stationId };
  }

  private async informant(m: EntityManager | DataSource, id: number): Promise<Row> {
    const [row]: Row[] = await m.query(
      `SELECT id, station_id, name, phone, note, wechat_contact_id, status, bound_at, created_at FROM informant WHERE id = $1`,
      [id],
    );
    if (!row) throw new UserError('没有这位信息员');
    return row;
  }

  /** Everything kepubot keeps about informant `id`, and an audit line saying it was exported (without the data). */
  async export(id: number, now: Date, by: Requester): Promise<PersonalData> {
    const ds = this.ds;
    const p = await this.informant(ds, id);
    const [station]: Array<{ id: number; name: string; county: string }> = await ds.query(
      `SELECT s.id, s.name, c.name AS county FROM station s JOIN region c ON c.id = s.county_id WHERE s.id = $1`,
      [p.station_id],
    );
    const contact = p.wechat_contact_id;
    const intervals: Array<{ from_day: string; to_day: string | null }> = await ds.query(
      `SELECT to_char(from_day, 'YYYY-MM-DD') AS from_day, to_char(to_day, 'YYYY-MM-DD') AS to_day
         FROM informant_roster WHERE informant_id = $1 ORDER BY from_day`,
      [id],
    );
    const identities: PersonalData['identities'] = [];
    if (contact) {
      identities.push({ kind: 'wechat-contact', id: contact, since: iso(p.bound_at) });
      // The same WeChat contact registered as a station manager or county staff member: that person and their other ids.
      const others: Array<{ role: string; name: string | null; kind: string; id: string; at: Date; own: boolean }> = await ds.query(
        `SELECT CASE WHEN p.manager_id IS NOT NULL THEN 'station-manager' ELSE 'county-staff' END AS role,
                coalesce(m.name, c.name) AS name, i.kind, i.external_id AS id, i.created_at AS at, i.id = p.id AS own
           FROM person_identity p
           JOIN person_identity i ON i.manager_id = p.manager_id OR i.staff_id = p.staff_id
           LEFT JOIN station_manager m ON m.id = p.manager_id LEFT JOIN county_staff c ON c.id = p.staff_id
          WHERE p.kind = $2 AND p.external_id = $1
          ORDER BY p.id, i.id <> p.id, i.id`,
        [contact, WECHAT_CONTACT.kind],
      );
      for (const o of others) {
        identities.push(
          o.own
            ? { kind: o.kind, id: o.id, since: iso(o.at), role: o.role, name: o.name }
            : { kind: o.kind, id: o.id, since: iso(o.at), role: o.role },
        );
      }
    }
    const shares: Array<{
      sent_at: Date;
      day: string;
      topic: string | null;
      url: string;
      title: string | null;
      message_type: string;
      effective: boolean;
      informant_id: number | null;
      talker_name: string;
    }> = await ds.query(
      `SELECT e.sent_at, to_char(e.day, 'YYYY-MM-DD') AS day, g.topic, e.url, e.title, e.message_type, e.effective,
              e.informant_id, e.talker_name
         FROM share_event e LEFT JOIN wechat_group g ON g.room_id = e.room_id
        WHERE e.informant_id = $1 OR ($2::text IS NOT NULL AND e.talker_id = $2)
        ORDER BY e.sent_at, e.id`,
      [id, contact],
    );
    const effective: Array<{ day: string; content_key: string }> = await ds.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, content_key FROM effective_share
        WHERE informant_id = $1 OR ($2::text IS NOT NULL AND talker_id = $2) ORDER BY day, content_key`,
      [id, contact],
    );
    const daily: Array<{ day: string; raw_shares: number; effective_shares: number }> = await ds.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, raw_shares, effective_shares FROM daily_rollup WHERE informant_id = $1 ORDER BY day`,
      [id],
    );
    const audit = await this.auditAbout(ds, p);
    await new AuditService(ds).record({
      channel: by.channel,
      senderId: by.senderId,
      senderName: by.senderName,
      stationId: p.station_id,
      listenerId: `${by.channel}.informant.export`,
      command: `informant export #${id}`,
      outcome: 'ok',
      detail: `导出信息员 #${id} 的个人信息`,
    });
    return {
      exportedAt: now.toISOString(),
      informant: {
        id: p.id,
        name: p.name,
        phone: p.phone,
        note: p.note,
        status: p.status,
        station,
        createdAt: p.created_at.toISOString(),
        boundAt: iso(p.bound_at),
      },
      rosterIntervals: intervals.map((r) => ({ fromDay: r.from_day, toDay: r.to_day })),
      identities,
      shares: shares.map((s) => ({
        sentAt: s.sent_at.toISOString(),
        day: s.day,
        group: s.topic,
        url: s.url,
        title: s.title,
        messageType: s.message_type,
        effective: s.effective,
        confirmed: s.informant_id !== null,
        nickname: s.talker_name,
      })),
      effectiveShares: effective.map((e) => ({ day: e.day, contentKey: e.content_key })),
      dailyTotals: daily.map((d) => ({ day: d.day, rawShares: d.raw_shares, effectiveShares: d.effective_shares })),
      audit,
    };
  }

  /** Audit lines sent by the person or carrying their name, phone or WeChat id. */
  private async auditAbout(m: EntityManager | DataSource, p: Row): Promise<PersonalData['audit']> {
    const needles = [p.name, p.phone, p.wechat_contact_id].filter((x): x is string => Boolean(x)).map(likePattern);
    const rows: Array<{ at: Date; channel: string; listener_id: string; command: string; outcome: string; detail: string }> = await m.query(
      `SELECT at, channel, listener_id, command, outcome, detail FROM audit_log
        WHERE ($1::text IS NOT NULL AND sender_id = $1) OR command LIKE ANY($2::text[]) OR detail LIKE ANY($2::text[])
        ORDER BY at, id`,
      [p.wechat_contact_id, needles],
    );
    return rows.map((r) => ({
      at: r.at.toISOString(),
      channel: r.channel,
      listenerId: r.listener_id,
      command: r.command,
      outcome: r.outcome,
      detail: r.detail,
    }));
  }

  /**
   * Erases informant `id`'s name, phone, note and WeChat id, unlinks their WeChat identity and
   * replaces their sender id and nickname wherever shares and audit lines keep them; every count
   * stays (the roster entry, its intervals, shares, effective shares and rollups keep their ids).
   * Audited without the erased data. Returns the placeholder name.
   */
  async forget(id: number, now: Date, by: Requester): Promise<{ name: string; shares: number }> {
    const done = await this.ds.transaction(async (m) => {
      // Shares being counted take this lock too: none is written under the old id half way.
      await m.query('SELECT pg_advisory_xact_lock($1)', [SHARE_LOCK_KEY]);
      const p = await this.informant(m, id);
      const placeholder = forgottenName(id);
      const sender = forgottenSender(id);
      if (p.name === placeholder && !p.phone && !p.wechat_contact_id) throw new UserError(`信息员 #${id} 的个人信息此前已删除`);
      const contact = p.wechat_contact_id;
      await m.query(`UPDATE informant SET name = $2, phone = NULL, note = NULL, wechat_contact_id = NULL, bound_at = NULL WHERE id = $1`, [
        id,
        placeholder,
      ]);
      let shares = 0;
      if (contact) {
        const r: [unknown[], number] = await m.query(`UPDATE share_event SET talker_id = $2, talker_name = '' WHERE talker_id = $1`, [
          contact,
          sender,
        ]);
        shares = r[1];
        await m.query(`UPDATE effective_share SET talker_id = $2 WHERE talker_id = $1`, [contact, sender]);
        await m.query(`UPDATE audit_log SET sender_id = $2, sender_name = '', sender_id_sha256 = NULL WHERE sender_id = $1`, [
          contact,
          sender,
        ]);
        // The same WeChat id registered for a station manager or county staff member: unlinked too (their other ids stay).
        await m.query(`DELETE FROM person_identity WHERE kind = $2 AND external_id = $1`, [contact, WECHAT_CONTACT.kind]);
      }
      // Shares counted for the entry under another sender id (none today, but the id is the link).
      await m.query(`UPDATE share_event SET talker_name = '' WHERE informant_id = $1`, [id]);
      // Free text: commands, replies and sent messages that quote the person.
      const replacements: Array<[string, string]> = [];
      if (contact) replacements.push([contact, sender]);
      if (p.phone) replacements.push([p.phone, '***********']);
      replacements.push([p.name, placeholder]);
      for (const [from, to] of replacements) {
        const like = likePattern(from);
        await m.query(
          `UPDATE audit_log SET command = replace(command, $1, $2), detail = replace(detail, $1, $2)
            WHERE command LIKE $3 OR detail LIKE $3`,
          [from, to, like],
        );
        await m.query(`UPDATE callback_receipt SET reply = replace(reply, $1, $2) WHERE reply LIKE $3`, [from, to, like]);
        await m.query(`UPDATE outbox_message SET payload = replace(payload::text, $1, $2)::jsonb WHERE payload::text LIKE $3`, [
          inJson(from),
          inJson(to),
          likePattern(inJson(from)),
        ]);
        await m.query(`UPDATE outbox_message SET last_error = replace(last_error, $1, $2) WHERE last_error LIKE $3`, [from, to, like]);
      }
      return { name: placeholder, shares, stationId: p.station_id };
    });
    await new AuditService(this.ds).record({
      channel: by.channel,
      senderId: by.senderId,
      senderName: by.senderName,
      stationId: done.stationId,
      listenerId: `${by.channel}.informant.forget`,
      command: `informant forget #${id}`,
      outcome: 'ok',
      detail: `删除信息员 #${id} 的姓名、手机号和微信标识（${dayOf(now)}），统计数字保留`,
    });
    return { name: done.name, shares: done.shares };
  }
}

/** The export as an .xlsx for people who read it in Excel or WPS: one sheet per part. */
export async function personalDataWorkbook(data: PersonalData): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'kepubot';
  const sheet = (name: string, columns: Array<[key: string, header: string, width: number]>, rows: object[]): void => {
    const ws = wb.addWorksheet(name);
    ws.columns = columns.map(([key, header, width]) => ({ key, header, width }));
    ws.getRow(1).font = { bold: true };
    for (const r of rows) ws.addRow(r);
  };
  const i = data.informant;
  sheet(
    '信息员',
    [
      ['field', '项目', 16],
      ['value', '内容', 50],
    ],
    [
      { field: '编号', value: i.id },
      { field: '姓名', value: i.name },
      { field: '手机号', value: i.phone ?? '' },
      { field: '备注', value: i.note ?? '' },
      { field: '状态', value: i.status },
      { field: 'e站', value: `${i.station.name}（${i.station.county}）` },
      { field: '加入名册', value: i.createdAt },
      { field: '绑定微信', value: i.boundAt ?? '' },
      { field: '导出时间', value: data.exportedAt },
    ],
  );
  sheet(
    '在册区间',
    [
      ['fromDay', '开始', 14],
      ['toDay', '结束', 14],
    ],
    data.rosterIntervals,
  );
  sheet(
    '账号',
    [
      ['kind', '类型', 16],
      ['id', '标识', 40],
      ['since', '自', 26],
      ['role', '身份', 16],
    ],
    data.identities,
  );
  sheet(
    '转发',
    [
      ['sentAt', '时间', 26],
      ['group', '群', 20],
      ['url', '链接', 50],
      ['title', '标题', 30],
      ['effective', '有效', 8],
      ['confirmed', '已确认', 8],
      ['nickname', '微信昵称', 16],
    ],
    data.shares,
  );
  sheet(
    '每日统计',
    [
      ['day', '日期', 14],
      ['rawShares', '原始转发', 10],
      ['effectiveShares', '有效转发', 10],
    ],
    data.dailyTotals,
  );
  sheet(
    '操作记录',
    [
      ['at', '时间', 26],
      ['channel', '渠道', 14],
      ['command', '命令', 40],
      ['outcome', '结果', 10],
      ['detail', '说明', 40],
    ],
    data.audit,
  );
  return Buffer.from(await wb.xlsx.writeBuffer());
}
