// Description:
//   Counts every Kepu China share (link card, mini-program card or links in text) in groups bound
//   to a station: raw shares and effective shares (one per informant, item and day). Each distinct
//   content item of a message counts, up to SHARE_ITEMS_PER_MESSAGE_MAX; Kepu China URLs of an
//   unknown shape are not counted but kept for `kepubot links unknown`.
//
// Commands:
//   (转发科普中国链接) - 自动计数，无需命令；未绑定的成员会收到一次绑定提示
//
// Configuration:
//   KEPU_EXTRA_DOMAINS, KEPU_MINIPROGRAM_NAMES, KEPU_MINIPROGRAM_APPIDS, KEPU_URL_RULES,
//   SHARE_ITEMS_PER_MESSAGE_MAX, STALE_MESSAGE_SECONDS

import type { Robot } from '../src/bot/robot';
import { dayOf } from '../src/domain/calendar';
import { shareIdOf } from '../src/domain/shares';

export default function shareCounter(robot: Robot): void {
  const hinted = new Set<string>();

  robot.hear(
    (m) => m.channel === 'wechat-group' && (m.links.length > 0 || (m.unknownLinks?.length ?? 0) > 0),
    { id: 'shares.count' },
    async (ctx) => {
      const { message } = ctx;
      const unknown = message.unknownLinks ?? [];
      if (unknown.length > 0) {
        // Keeping the shape is for the operator: it must never hold up or fail the count (not awaited:
        // a stalled database must not keep the share from its write timeout and the spool).
        void ctx.services.links
          .noteUnknown(unknown, message.sentAt)
          .catch((err: unknown) => ctx.log.debug({ err }, 'could not keep an unknown link shape'));
      }
      const items = message.links.slice(0, ctx.config.counting.itemsPerMessage);
      ctx.services.links.noteOverLimit(message.links.length - items.length);
      if (items.length === 0) return;
      // One share per distinct item, identified by the message key (the same for every account that
      // heard the message, whatever its id) and the item's place: replays and copies stay harmless.
      const identity = message.key ?? message.id;
      const results = await Promise.all(
        items.map((link, i) =>
          ctx.services.shares.record({
            messageId: shareIdOf(identity, i),
            roomId: message.room!.id,
            talkerId: message.sender.id,
            talkerName: message.sender.name,
            link,
            sentAt: message.sentAt,
          }),
        ),
      );
      ctx.log.debug({ outcomes: results.map((r) => r.outcome), keys: items.map((l) => l.contentKey) }, 'share');
      if (!results.some((r) => r.outcome === 'effective' && r.informantId === null)) return;

      const hintKey = `${message.sender.id}|${dayOf(ctx.clock.now())}`;
      if (hinted.has(hintKey)) return;
      if (hinted.size > 10_000) hinted.clear();
      hinted.add(hintKey);
      // Heard by several accounts (or processes): one prompt.
      if (!(await ctx.once('prompt'))) return;
      await ctx.reply('已记录您的科普转发。您还没有绑定信息员身份，请发送“#绑定 您的姓名”，之前的转发也会计入您的名下。');
    },
  );
}
